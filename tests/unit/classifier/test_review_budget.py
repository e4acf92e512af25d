"""A review budget: the review threshold derived from the share of benign comments held."""

from __future__ import annotations

import numpy as np

from classifier.adaptation import review_load
from classifier.card import render_model_card
from classifier.train import choose_thresholds


def test_a_budget_holds_at_most_that_share_of_the_benign_comments() -> None:
    rng = np.random.default_rng(4)
    labels = np.r_[np.zeros(1000), np.ones(300)]
    probs = np.clip(np.r_[rng.beta(2, 6, 1000), rng.beta(6, 2, 300)], 0, 1)

    wide = choose_thresholds(probs, labels)["review"]
    tight = choose_thresholds(probs, labels, review_budget=0.05)["review"]

    assert tight > wide
    held = (probs[labels == 0] >= tight).mean()
    assert 0.04 <= held <= 0.05
    assert choose_thresholds(probs, labels, review_budget=0.0)["review"] > probs[labels == 0].max()


def test_review_load_counts_both_sides_of_the_band() -> None:
    load = review_load(np.array([0.1, 0.6, 0.7, 0.9]), np.array([0, 0, 1, 1]), 0.65)
    assert load == {"review": 0.65, "benign_held": 0.0, "harmful_caught": 1.0}


def test_the_card_reports_the_review_load_per_head() -> None:
    card = {
        "version": "v",
        "thresholds": {"toxicity": {"review": 0.3, "reject": 0.9}},
        "recipe": {"review_budget": 0.05},
        "metrics": {
            "test": {"toxicity": {"all": {"fpr_at_review": 0.0498, "recall_at_review": 0.71}}}
        },
    }
    text = render_model_card(card)
    assert "## Review load" in text
    assert "| toxicity | test split, pooled | 0.050 | 0.710 |" in text
    assert "review budget of 0.05" in text


def test_the_card_shows_each_sources_review_load_beside_the_pooled_one() -> None:
    card = {
        "version": "v",
        "thresholds": {"toxicity": {"review": 0.2, "reject": 0.9}},
        "metrics": {
            "test": {
                "toxicity": {
                    "all": {"rows": 900, "positives": 300, "fpr_at_review": 0.2},
                    "news": {
                        "rows": 400, "positives": 100, "fpr_at_review": 0.31,
                        "recall_at_review": 0.92,
                    },
                    "tiny": {"rows": 40, "positives": 5, "fpr_at_review": 0.5},
                }
            }
        },
    }  # fmt: skip
    text = render_model_card(card)
    assert "| toxicity | test split, news | 0.310 | 0.920 |" in text
    assert "test split, tiny" not in text  # too few benign rows for a share worth reading
