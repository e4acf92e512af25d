"""The retrain gate: paired ROC-AUC with DeLong's standard error, and the promote rule."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from classifier.retraining import SetComparison, decide, moderator_rows, paired_auc


def test_paired_auc_matches_sklearn_and_bootstrap() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(400) < 0.2).astype(int)
    a = y + rng.normal(0, 1, 400)
    b = y + rng.normal(0, 1.2, 400)
    a[:10] = a[0]  # ties
    auc_a, auc_b, se = paired_auc(y, a, b)
    assert auc_a == pytest.approx(roc_auc_score(y, a))
    assert auc_b == pytest.approx(roc_auc_score(y, b))
    deltas = []
    for _ in range(500):
        i = rng.integers(0, 400, 400)
        deltas.append(roc_auc_score(y[i], a[i]) - roc_auc_score(y[i], b[i]))
    assert se == pytest.approx(np.std(deltas), rel=0.2)
    assert paired_auc(y, a, a)[2] == 0.0


def comparison(
    name: str, current: float, candidate: float, se: float, pos: int = 100
) -> SetComparison:
    return SetComparison(
        "toxicity", name, rows=4 * pos, positives=pos, current=current, candidate=candidate, se=se
    )


def test_site_gain_with_a_drop_within_noise_is_promoted() -> None:
    result = decide(
        [
            comparison("olid", 0.80, 0.805, 0.004),
            comparison("wiki_talk_context", 0.826, 0.811, 0.012, pos=48),  # -0.015 ± 0.012
            comparison("moderator", 0.72, 0.79, 0.03, pos=17),
        ],
        margin=0.01,
    )
    assert result.promote, result.reason
    assert "moderator labels 0.720 -> 0.790" in result.reason


def test_a_significant_drop_on_a_public_set_is_refused() -> None:
    result = decide(
        [
            comparison("stormfront_hate", 0.83, 0.80, 0.005),  # -0.03 ± 0.005
            comparison("moderator", 0.72, 0.90, 0.03),
        ],
        margin=0.01,
    )
    assert not result.promote
    assert result.reason.startswith("candidate is worse on toxicity/stormfront_hate")


def test_small_sets_do_not_veto_but_count_overall() -> None:
    tiny = comparison("jigsaw_toxic_sample", 1.0, 0.5, 0.0, pos=6)
    assert decide([tiny, comparison("olid", 0.8, 0.81, 0.004)], margin=0.01).promote is False
    assert "not better overall" in decide([tiny], margin=0.01).reason


def test_no_gain_is_kept() -> None:
    result = decide([comparison("olid", 0.8, 0.79999, 0.004)], margin=0.01)
    assert not result.promote
    assert "not better overall (mean ROC-AUC change +0.0000)" in result.reason
    assert str(result.to_dict()["overall_delta"]) == "0.0"  # not -0.0 in the card


def test_moderator_rows_skip_unlabeled_and_keep_the_last_label_of_a_text() -> None:
    rows = moderator_rows(
        [
            {"id": "a", "text": "same words", "spam": "0", "toxic": "0"},
            {"id": "b", "text": "no label", "spam": "", "toxic": ""},
            {"id": "c", "text": "same words ", "spam": "", "toxic": "1"},
            {"id": "d", "text": "   ", "toxic": "1"},
        ]
    )
    assert [(r.id, r.spam, r.toxic, r.source) for r in rows] == [("c", None, 1, "moderator")]
