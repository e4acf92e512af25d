"""Metrics for the spam and toxicity heads, and the table that shows them.

Conventions used everywhere in modq's evaluation:
- a comment is *flagged* at a threshold when its score is ``>=`` the threshold
  (the same rule the moderation policy applies);
- ``review`` and ``reject`` are the two thresholds a model card chooses per head;
- expected calibration error (ECE) uses ``n_bins`` equal-width bins on [0, 1]
  (the last bin includes 1.0) and weighs each bin's gap between mean score and
  positive rate by the share of rows in it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, roc_auc_score

HEADS: tuple[str, ...] = ("spam", "toxicity")
# The labeled-CSV column that holds each head's label (DESIGN.md, "Labeled data format").
LABEL_COLUMNS: Mapping[str, str] = {"spam": "spam", "toxicity": "toxic"}
MODQ = "modq"
PEER = "alt-profanity-check"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int_]


@dataclass(frozen=True)
class Confusion:
    """Confusion counts of a binary decision, with the rates derived from them."""

    threshold: float
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def precision(self) -> float:
        """Share of flagged rows that are positive (NaN when nothing is flagged)."""
        flagged = self.tp + self.fp
        return self.tp / flagged if flagged else math.nan

    @property
    def recall(self) -> float:
        """Share of positive rows that are flagged (NaN without positives)."""
        positives = self.tp + self.fn
        return self.tp / positives if positives else math.nan

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0 when either is 0, NaN if undefined)."""
        p, r = self.precision, self.recall
        if math.isnan(p) or math.isnan(r):
            return math.nan
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_positive_rate(self) -> float:
        """Share of negative rows that are flagged (NaN without negatives)."""
        negatives = self.fp + self.tn
        return self.fp / negatives if negatives else math.nan


def confusion_at(y_true: npt.ArrayLike, scores: npt.ArrayLike, threshold: float) -> Confusion:
    """Count TP/FP/TN/FN when every score ``>= threshold`` is flagged."""
    y = np.asarray(y_true).astype(bool)
    flagged = np.asarray(scores, dtype=np.float64) >= threshold
    return Confusion(
        threshold=float(threshold),
        tp=int(np.sum(flagged & y)),
        fp=int(np.sum(flagged & ~y)),
        tn=int(np.sum(~flagged & ~y)),
        fn=int(np.sum(~flagged & y)),
    )


def expected_calibration_error(
    y_true: npt.ArrayLike, prob: npt.ArrayLike, n_bins: int = 10
) -> float:
    """Weighted mean gap between mean probability and positive rate over equal-width bins."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    if y.size == 0:
        return math.nan
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        count = int(in_bin.sum())
        if count:
            ece += count / y.size * abs(float(p[in_bin].mean()) - float(y[in_bin].mean()))
    return ece


def calibration_curve(
    y_true: npt.ArrayLike, prob: npt.ArrayLike, n_bins: int = 10
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Per non-empty bin (same bins as ECE): mean probability, positive rate, row count."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(prob, dtype=np.float64)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    keep = counts > 0
    mean_p = np.bincount(bins, weights=p, minlength=n_bins)[keep] / counts[keep]
    rate = np.bincount(bins, weights=y, minlength=n_bins)[keep] / counts[keep]
    return mean_p, rate, counts[keep]


@dataclass(frozen=True)
class Scored:
    """One scorer's probabilities for one head on one evaluation set, with the labels."""

    dataset: str
    head: str
    scorer: str
    y_true: IntArray
    scores: FloatArray
    thresholds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class HeadMetrics:
    """Every metric of one scorer on one head of one evaluation set."""

    dataset: str
    head: str
    scorer: str
    n: int
    positives: int
    roc_auc: float
    average_precision: float
    ece: float
    at: Mapping[str, Confusion]  # threshold name ("review", "reject") -> confusion

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready form (NaN becomes None)."""

        def clean(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 6)

        return {
            "dataset": self.dataset,
            "head": self.head,
            "scorer": self.scorer,
            "n": self.n,
            "positives": self.positives,
            "roc_auc": clean(self.roc_auc),
            "average_precision": clean(self.average_precision),
            "ece": clean(self.ece),
            "at": {
                name: {
                    "threshold": c.threshold,
                    "precision": clean(c.precision),
                    "recall": clean(c.recall),
                    "f1": clean(c.f1),
                    "tp": c.tp,
                    "fp": c.fp,
                    "tn": c.tn,
                    "fn": c.fn,
                }
                for name, c in self.at.items()
            },
        }


def head_metrics(scored: Scored) -> HeadMetrics:
    """Compute ROC-AUC, average precision, ECE and confusion at each threshold."""
    y, p = scored.y_true, scored.scores
    positives = int(np.sum(y))
    both_classes = 0 < positives < y.size
    return HeadMetrics(
        dataset=scored.dataset,
        head=scored.head,
        scorer=scored.scorer,
        n=int(y.size),
        positives=positives,
        roc_auc=float(roc_auc_score(y, p)) if both_classes else math.nan,
        average_precision=float(average_precision_score(y, p)) if positives else math.nan,
        ece=expected_calibration_error(y, p),
        at={name: confusion_at(y, p, t) for name, t in scored.thresholds.items()},
    )


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if math.isnan(x) else f"{x:.{digits}f}"


def _fmt_at(c: Confusion | None) -> str:
    if c is None:
        return ""
    return (
        f"{c.threshold:.2f}  P {_fmt(c.precision, 2)} R {_fmt(c.recall, 2)} "
        f"F1 {_fmt(c.f1, 2)}  {c.tp}/{c.fp}/{c.tn}/{c.fn}"
    )


def format_table(rows: Sequence[HeadMetrics]) -> str:
    """A fixed-width text table, one line per (set, head, scorer)."""
    header = (
        "dataset",
        "head",
        "scorer",
        "n",
        "pos",
        "ROC-AUC",
        "AP",
        "ECE",
        "review (peer: 0.5): thr P R F1 tp/fp/tn/fn",
        "reject: thr P R F1 tp/fp/tn/fn",
    )
    lines = [
        (
            r.dataset,
            r.head,
            r.scorer,
            str(r.n),
            str(r.positives),
            _fmt(r.roc_auc),
            _fmt(r.average_precision),
            _fmt(r.ece),
            _fmt_at(r.at.get("review") or r.at.get("default")),
            _fmt_at(r.at.get("reject")),
        )
        for r in rows
    ]
    widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(header)]
    numeric = {3, 4, 5, 6, 7}

    def render(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in numeric else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [render(header), render(["-" * w for w in widths])]
    out.extend(render(line) for line in lines)
    return "\n".join(out)
