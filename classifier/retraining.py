"""Retraining with moderator labels: fit a candidate, then gate it against the current model.

Two ways to fit the candidate: ``classifier.adaptation`` adapts the base model to the
labels (the default of ``make retrain``; its site evidence is every label's
cross-fitted score, see ``classifier.adaptation.site_comparisons``), and
``fit_candidate`` here refits the base recipe on base data plus labels (the ``joint``
method). Both go through the same gate (``decide``).

For the joint refit, moderator labels are rows in the labeled data format with ``source`` =
``moderator``. They join the base data as one more dataset (and one more
toxicity domain), split by the same seeded hash of each row as the base data,
so a label keeps its side as more labels arrive: the ``test`` share (15 %) is
a fixed held-out set of the site's own comments.

``label_weight`` sets the moderator labels' total weight relative to one
public dataset (spam) or domain (toxicity), where each of those already has
the same total whatever its size; 1 treats the site like one more source.

The gate measures candidate and current model on the same held-out rows (the
base test split plus the moderator test share) and compares ROC-AUC per head
and per set:

- refused if the candidate is worse than the current model by more than
  ``margin`` on any set with at least ``GATE_MIN_PER_CLASS`` rows of each class,
  beyond what the set's size can tell apart: the drop must exceed
  ``margin + Z * se``, with ``se`` the standard error of the paired ROC-AUC
  difference (DeLong et al. 1988) and ``Z`` = 1.645 (one-sided 95 %). A public
  set with 48 positives cannot show a 0.015 drop; one with 3,000 can;
- refused unless it is better overall: the mean ROC-AUC change over the sets
  with at least ``OVERALL_MIN_PER_CLASS`` rows of each class must be above 0,
  where the moderator sets (the site's own comments) count as much as all the
  public sets together.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
from scipy.stats import rankdata

from classifier.data import DataFile, LabeledComment, dedupe
from classifier.model import Model
from classifier.train import (
    CONVERSATION,
    DEFAULT_SEED,
    Recipe,
    Splits,
    fit_model,
    head_rows,
    heldout_metrics,
    split_dataset,
)

MODERATOR = "moderator"
# Measured by experiments/adaptation.py (README, "Adapting to a new site: measured"):
# the site's gain is flat for weights 1-8, the public sets' loss grows with the weight.
DEFAULT_LABEL_WEIGHT = 2.0
GATE_MIN_PER_CLASS = 20
OVERALL_MIN_PER_CLASS = 5
Z = 1.645
AGGREGATES = frozenset({"all", "all_spam_labeled", "conversation"})

Progress = Callable[[str], None]


def moderator_rows(records: Iterable[Mapping[str, str]]) -> list[LabeledComment]:
    """Moderator labels (labeled-format dicts) as rows; the last label of a text wins."""
    by_text: dict[str, LabeledComment] = {}
    for number, record in enumerate(records, start=1):
        text = record.get("text") or ""
        spam, toxic = _label(record.get("spam")), _label(record.get("toxic"))
        if not text.strip() or (spam is None and toxic is None):
            continue
        by_text[text.strip()] = LabeledComment(
            text=text,
            spam=spam,
            toxic=toxic,
            name=record.get("name") or "",
            email=record.get("email") or "",
            url=record.get("url") or "",
            id=record.get("id") or f"{MODERATOR}-{number}",
            source=MODERATOR,
            file="redis",
        )
    return list(by_text.values())


def merge_rows(
    base: Sequence[LabeledComment], labels: Sequence[LabeledComment]
) -> list[LabeledComment]:
    """Base rows (deduplicated) plus moderator rows; on the same text the moderator wins."""
    decided = {row.text.strip() for row in labels}
    kept = [row for row in dedupe(base) if row.text.strip() not in decided]
    return kept + list(labels)


def labels_file(labels: Sequence[LabeledComment], where: str) -> DataFile:
    """A card entry for the moderator labels: like a data file, hashed over their content."""
    digest = hashlib.sha256()
    for row in labels:
        digest.update(f"{row.id}\t{row.spam}\t{row.toxic}\t{row.text}\n".encode())
    return DataFile(where, digest.hexdigest(), len(labels))


def fit_candidate(
    base: Sequence[LabeledComment],
    base_files: Sequence[DataFile],
    labels: Sequence[LabeledComment],
    *,
    label_weight: float = DEFAULT_LABEL_WEIGHT,
    labels_source: str = "redis",
    seed: int = DEFAULT_SEED,
    recipe: Recipe | None = None,
    progress: Progress | None = None,
) -> tuple[Model, Splits]:
    """Fit a candidate on base rows plus moderator labels; return it and its splits."""
    rows = merge_rows(base, labels)
    splits = split_dataset(rows, seed=seed)
    weights = {**(recipe or Recipe()).group_weights, MODERATOR: label_weight}
    recipe = replace(recipe or Recipe(), group_weights=weights)
    model = fit_model(splits.train, splits.val, recipe=recipe, progress=progress)
    per_split = {
        name: sum(row.source == MODERATOR for row in part)
        for name, part in (("train", splits.train), ("val", splits.val), ("test", splits.test))
    }
    files = [*base_files, labels_file(labels, labels_source)]
    model.card.update(
        {
            "seed": seed,
            "data": [asdict(f) | {"dataset": _dataset_of(f, labels_source)} for f in files],
            "splits": splits.counts(),
            "metrics": {"test": heldout_metrics(model, splits.test)},
            # Learned from: train (fit) and val (calibration, thresholds); test is held out.
            "moderator_labels": per_split["train"] + per_split["val"],
            "moderator_label_split": per_split,
            "label_weight": label_weight,
        }
    )
    return model, splits


def _dataset_of(info: DataFile, labels_source: str) -> str:
    if info.path == labels_source:
        return MODERATOR
    parts = info.path.replace("\\", "/").split("/")
    return parts[-2] if parts[-1] == "data.csv" and len(parts) > 1 else parts[-1].rsplit(".", 1)[0]


@dataclass(frozen=True)
class SetComparison:
    """ROC-AUC of both models on one head's held-out set."""

    head: str
    name: str
    rows: int
    positives: int
    current: float
    candidate: float
    se: float = 0.0

    @property
    def delta(self) -> float:
        """Candidate minus current."""
        return self.candidate - self.current

    @property
    def smaller_class(self) -> int:
        """Rows of the rarer class."""
        return min(self.positives, self.rows - self.positives)

    @property
    def moderator(self) -> bool:
        """Whether this set is the site's own held-out labels."""
        return self.name == MODERATOR


@dataclass(frozen=True)
class GateResult:
    """Whether the candidate replaces the current model, and why."""

    promote: bool
    reason: str
    overall: float
    sets: list[SetComparison] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the candidate's card."""
        return {
            "promote": self.promote,
            "reason": self.reason,
            "overall_delta": rounded(self.overall),
            "sets": [
                asdict(s) | {"delta": rounded(s.delta), "se": rounded(s.se)} for s in self.sets
            ],
        }

    def table(self) -> list[str]:
        """One line per compared set, for the retrain log."""
        lines = [f"{'set':<40} {'rows':>6} {'pos':>5} {'current':>8} {'candidate':>9} {'se':>7}"]
        for s in self.sets:
            lines.append(
                f"{s.head + '/' + s.name:<40} {s.rows:>6} {s.positives:>5} "
                f"{s.current:>8.4f} {s.candidate:>9.4f} {s.se:>7.4f}"
            )
        return lines


def compare_models(
    candidate: Model, current: Model, test_rows: Sequence[LabeledComment]
) -> list[SetComparison]:
    """ROC-AUC of both models per head and per dataset of the held-out rows (as in
    ``heldout_metrics``), with the standard error of their paired difference."""
    comments = [r.comment() for r in test_rows]
    ours, theirs = candidate.predict_proba(comments), current.predict_proba(comments)
    index = {id(r): i for i, r in enumerate(test_rows)}
    sets = []
    for head in ours:
        rows, labels, groups = head_rows(test_rows, head)
        picked = np.asarray([index[id(r)] for r in rows], dtype=np.int64)
        names = [g if g == CONVERSATION else r.dataset for r, g in zip(rows, groups, strict=True)]
        for name in sorted(set(names) - AGGREGATES):
            mask = np.asarray([n == name for n in names])
            y = labels[mask]
            if not 0 < y.sum() < len(y):
                continue
            auc_new, auc_old, se = paired_auc(
                y, ours[head][picked[mask]], theirs[head][picked[mask]]
            )
            sets.append(SetComparison(head, name, len(y), int(y.sum()), auc_old, auc_new, se))
    return sets


def paired_auc(y: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """ROC-AUC of scores ``a`` and ``b`` on labels ``y``, and the standard error of
    ``auc(a) - auc(b)`` by DeLong's method (fast midrank form of Sun and Xu 2014)."""
    pos, neg = y == 1, y == 0
    m, n = int(pos.sum()), int(neg.sum())
    aucs, v_pos, v_neg = [], [], []
    for scores in (a, b):
        x, z = scores[pos], scores[neg]
        tx, tz = rankdata(x), rankdata(z)
        t_all = rankdata(np.concatenate([x, z]))
        aucs.append(float(t_all[:m].sum() / (m * n) - (m + 1) / (2 * n)))
        v_pos.append((t_all[:m] - tx) / n)
        v_neg.append(1.0 - (t_all[m:] - tz) / m)
    s_pos = np.cov(np.vstack(v_pos)) if m > 1 else np.zeros((2, 2))
    s_neg = np.cov(np.vstack(v_neg)) if n > 1 else np.zeros((2, 2))
    cov = s_pos / m + s_neg / n
    variance = float(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    return aucs[0], aucs[1], math.sqrt(max(variance, 0.0))


def rounded(value: float, digits: int = 4) -> float:
    """``value`` rounded, a negative zero made zero (a change of -0.00001 is no change)."""
    return round(value, digits) + 0.0


def signed(value: float, digits: int = 4) -> str:
    """A change with its sign: ``+0.0123``, ``-0.0040``, and ``+0.0000``, never ``-0.0000``."""
    return f"{rounded(value, digits):+.{digits}f}"


def decide(
    sets: Sequence[SetComparison], margin: float, *, candidate: str = "candidate"
) -> GateResult:
    """The gate's rule (module docstring) applied to per-set comparisons; ``candidate``
    names the candidate in the reason (``candidate 2026.12.07-a52984``)."""
    worse = [
        s for s in sets if s.smaller_class >= GATE_MIN_PER_CLASS and s.delta + Z * s.se < -margin
    ]
    counted = [s for s in sets if s.smaller_class >= OVERALL_MIN_PER_CLASS]
    public = [s.delta for s in counted if not s.moderator]
    own = [s.delta for s in counted if s.moderator]
    parts = [sum(d) / len(d) for d in (public, own) if d]
    overall = sum(parts) / len(parts) if parts else 0.0
    if worse:
        s = min(worse, key=lambda s: s.delta)
        reason = (
            f"{candidate} is worse on {s.head}/{s.name}: ROC-AUC {s.candidate:.4f} vs "
            f"{s.current:.4f} ({signed(s.delta)} ± {s.se:.4f}, allowed -{margin:g})"
        )
        if len(worse) > 1:
            reason += f" and on {len(worse) - 1} more set(s)"
        return GateResult(False, reason, overall, list(sets))
    if not parts:
        reason = f"no held-out set is large enough to compare {candidate} with"
        return GateResult(False, reason, 0.0, list(sets))
    if overall <= 0:
        reason = f"{candidate} is not better overall (mean ROC-AUC change {signed(overall)})"
        return GateResult(False, reason, overall, list(sets))
    best_own = [s for s in counted if s.moderator]
    detail = f"mean ROC-AUC change {signed(overall)}"
    for s in best_own:
        detail += f"; {s.head} on moderator labels {s.current:.3f} -> {s.candidate:.3f}"
    return GateResult(True, detail, overall, list(sets))


def gate(
    candidate: Model, current: Model, test_rows: Sequence[LabeledComment], margin: float
) -> GateResult:
    """Compare candidate and current on the same held-out rows and apply the rule."""
    sets = compare_models(candidate, current, test_rows)
    return decide(sets, margin, candidate=f"candidate {candidate.version}")


def _label(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value in ("0", "1") else None
