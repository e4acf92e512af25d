"""Label harmonization: weight factors from the datasets' annotation columns."""

from __future__ import annotations

import numpy as np
import pytest

from classifier.data import LabeledComment
from classifier.harmonize import row_factors

DAVIDSON = "davidson_hate_offensive"


def _davidson(toxic: int, neither: str) -> LabeledComment:
    extra = {"n_annotators": "3", "votes_neither": neither}
    return LabeledComment("t", toxic=toxic, source=DAVIDSON, extra=extra)


def test_davidson_rows_weigh_the_share_of_coders_who_agree() -> None:
    rows = [_davidson(1, "0"), _davidson(1, "1"), _davidson(0, "2")]
    assert np.allclose(row_factors(rows, ["davidson_votes"]), [1.0, 2 / 3, 2 / 3])


def test_civil_rater_fraction_near_one_half_counts_little() -> None:
    rows = [
        LabeledComment("a", toxic=1, source="civil_comments_autolabel", extra={"toxicity": "0.5"}),
        LabeledComment("b", toxic=0, source="civil_comments_autolabel", extra={"toxicity": "0"}),
        LabeledComment("c", toxic=0, source="civil_comments_autolabel", extra={"toxicity": ""}),
    ]
    assert np.allclose(row_factors(rows, ["civil_fraction"]), [0.0, 1.0, 1.0])


def test_rules_leave_other_datasets_alone() -> None:
    rows = [LabeledComment("x", toxic=1, source="olid/train", extra={"subtask_b": "TIN"})]
    names = ["davidson_votes", "civil_fraction", "stormfront_context", "olid_untargeted"]
    assert row_factors(rows, names).tolist() == [1.0]


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown harmonization rule"):
        row_factors([], ["nope"])
