"""`make retrain`'s last line names the model in use afterwards and the candidate."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

from classifier.model import Model
from classifier.retraining import SetComparison, decide
from service.learning.retrain import RetrainOutcome

CANDIDATE = "2026.12.07-a52984"
CURRENT = "2026.11.28-63527c"


def comparison(name: str, current: float, candidate: float) -> SetComparison:
    return SetComparison(
        "toxicity", name, rows=400, positives=100, current=current, candidate=candidate, se=0.004
    )


def line(sets: list[SetComparison]) -> str:
    result = decide(sets, margin=0.01, candidate=f"candidate {CANDIDATE}")
    candidate = cast(Model, SimpleNamespace(version=CANDIDATE))
    return RetrainOutcome(candidate, CURRENT, result, labels=160).line


def test_a_kept_line_names_the_model_kept_and_the_candidate_refused() -> None:
    # A change of -0.00001 is no change: it reads +0.0000, not -0.0000.
    assert line([comparison("olid", 0.8, 0.79999)]) == (
        f"kept {CURRENT}: candidate {CANDIDATE} is not better overall (mean ROC-AUC change +0.0000)"
    )


def test_a_refusal_for_one_worse_set_names_both() -> None:
    assert line([comparison("olid", 0.83, 0.80), comparison("moderator", 0.7, 0.9)]) == (
        f"kept {CURRENT}: candidate {CANDIDATE} is worse on toxicity/olid: ROC-AUC 0.8000 vs "
        "0.8300 (-0.0300 ± 0.0040, allowed -0.01)"
    )


def test_a_promoted_line_names_the_candidate_and_the_model_it_replaces() -> None:
    assert line([comparison("olid", 0.8, 0.81), comparison("moderator", 0.7, 0.75)]) == (
        f"promoted {CANDIDATE} (replacing {CURRENT}): mean ROC-AUC change +0.0300; "
        "toxicity on moderator labels 0.700 -> 0.750"
    )
