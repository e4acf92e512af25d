"""Metrics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifier.evaluate import (
    Scored,
    calibration_curve,
    confusion_at,
    expected_calibration_error,
    format_table,
    head_metrics,
)

Y = np.array([0, 0, 1, 1])
P = np.array([0.1, 0.4, 0.35, 0.8])


def test_confusion_counts_flag_scores_at_or_above_the_threshold() -> None:
    c = confusion_at(Y, P, 0.35)
    assert (c.tp, c.fp, c.tn, c.fn) == (2, 1, 1, 0)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(1.0)
    assert c.f1 == pytest.approx(0.8)
    assert c.false_positive_rate == pytest.approx(0.5)


def test_confusion_with_nothing_flagged_has_undefined_precision() -> None:
    c = confusion_at(Y, P, 0.9)
    assert (c.tp, c.fp, c.tn, c.fn) == (0, 0, 2, 2)
    assert math.isnan(c.precision)
    assert c.recall == 0.0
    assert math.isnan(c.f1)


def test_ece_one_row_per_bin_is_mean_absolute_gap() -> None:
    # bins 1, 4, 3, 8: gaps 0.1, 0.4, 0.65, 0.2
    assert expected_calibration_error(Y, P) == pytest.approx(1.35 / 4)


def test_ece_weighs_bins_by_their_share_of_rows() -> None:
    # two bins: [0, .5) holds .1, .4, .35 (mean .2833, rate 1/3); [.5, 1] holds .8 (rate 1)
    expected = 3 / 4 * abs(0.85 / 3 - 1 / 3) + 1 / 4 * 0.2
    assert expected_calibration_error(Y, P, n_bins=2) == pytest.approx(expected)


def test_ece_puts_probability_one_in_the_last_bin_and_is_zero_when_calibrated() -> None:
    y = np.array([1, 1, 0, 0])
    p = np.array([1.0, 1.0, 0.0, 0.0])
    assert expected_calibration_error(y, p) == 0.0
    mean_p, rate, counts = calibration_curve(y, p)
    assert list(mean_p) == [0.0, 1.0]
    assert list(rate) == [0.0, 1.0]
    assert list(counts) == [2, 2]


def test_head_metrics_ranks_and_thresholds() -> None:
    m = head_metrics(Scored("set", "toxicity", "modq", Y, P, {"review": 0.3, "reject": 0.5}))
    assert m.n == 4 and m.positives == 2
    assert m.roc_auc == pytest.approx(0.75)  # 3 of 4 positive-negative pairs ordered
    assert m.average_precision == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert (m.at["review"].tp, m.at["review"].fp) == (2, 1)
    assert (m.at["reject"].tp, m.at["reject"].fp) == (1, 0)


def test_head_metrics_with_one_class_leaves_roc_auc_undefined() -> None:
    m = head_metrics(Scored("positives only", "toxicity", "modq", np.ones(3, int), P[:3], {}))
    assert math.isnan(m.roc_auc)
    assert m.average_precision == pytest.approx(1.0)
    assert m.as_dict()["roc_auc"] is None


def test_table_shows_each_row_with_its_thresholds() -> None:
    m = head_metrics(Scored("news", "spam", "modq", Y, P, {"review": 0.3, "reject": 0.5}))
    table = format_table([m])
    lines = table.splitlines()
    assert lines[0].startswith("dataset")
    assert "news" in lines[2] and "0.750" in lines[2]
    assert "0.30  P 0.67 R 1.00 F1 0.80  2/1/1/0" in lines[2]
    assert "0.50  P 1.00 R 0.50 F1 0.67  1/0/2/1" in lines[2]
