"""Leave-one-source-out (LOSO) evaluation: how modq does on a source it never saw.

Toxicity: for each toxicity domain (a dataset, or datasets that share one, as
``classifier.train.TOXICITY_DOMAINS`` groups them: the positives-only
toxic_spans_civil with the Civil Comments negatives), fit a model with the
trainer's own split and recipe on every other row, then score every
toxicity-labeled row of the held-out domain, beside alt-profanity-check.
Spam: the same per YouTube video (a video the spam head never saw).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import roc_auc_score

from classifier import peer
from classifier.data import LabeledComment
from classifier.evaluate import expected_calibration_error

# Sources whose label means offensive or abusive language: the issue's >= 0.85
# target applies to these. Stormfront labels hate speech only (narrower).
OFFENSIVE_DOMAINS = frozenset(
    {
        "davidson_hate_offensive",
        "olid",
        "civil",
        "jigsaw_toxic_sample",
        "wiki_talk_context",
        "wiki_toxicity_identity_test",
    }
)
TOXICITY_TARGET = 0.85
SPAM_TARGET = 0.99

Say = Callable[[str], None]


@dataclass(frozen=True)
class LosoResult:
    """One held-out source: sizes and ROC-AUC of modq (and the peer, for toxicity)."""

    head: str
    held_out: str
    rows: int
    positives: int
    train_rows: int
    modq_roc_auc: float
    modq_ece: float
    peer_roc_auc: float
    target: float | None
    fit_s: float

    @property
    def meets_target(self) -> bool | None:
        """modq at or above the target and (toxicity) above the peer; None without a target."""
        if self.target is None or math.isnan(self.modq_roc_auc):
            return None
        above_peer = math.isnan(self.peer_roc_auc) or self.modq_roc_auc > self.peer_roc_auc
        return self.modq_roc_auc >= self.target and above_peer


def toxicity_domain(row: LabeledComment) -> str:
    """The LOSO unit of a row: its dataset, or the shared domain of several."""
    from classifier.train import TOXICITY_DOMAINS

    return TOXICITY_DOMAINS.get(row.dataset, row.dataset)


LABEL = {"spam": "spam", "toxicity": "toxic"}


def _held_out_test(head: str, unit: str) -> Callable[[LabeledComment], bool]:
    if head == "toxicity":
        return lambda r: toxicity_domain(r) == unit
    video = unit.split("/", 1)[1]
    return lambda r: r.dataset == "youtube_spam" and r.extra.get("video") == video


def _auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else math.nan


def _fit_without(
    rows: Sequence[LabeledComment],
    held_out: Callable[[LabeledComment], bool],
    seed: int,
    recipe: object | None,
    say: Say,
) -> tuple[object, int, float]:
    from classifier.train import Recipe, fit_model, split_dataset

    keep = [r for r in rows if not held_out(r)]
    splits = split_dataset(keep, seed=seed)
    started = time.perf_counter()
    model = fit_model(
        splits.train,
        splits.val,
        recipe=recipe if isinstance(recipe, Recipe) else None,
        progress=lambda _m: None,
    )
    elapsed = time.perf_counter() - started
    say(f"  fitted on {len(splits.train)} rows in {elapsed:.0f} s")
    return model, len(splits.train), elapsed


def run_loso(
    rows: Sequence[LabeledComment],
    *,
    seed: int,
    recipe: object | None = None,
    only: Sequence[str] = (),
    spam_videos: bool = True,
    with_peer: bool = True,
    say: Say = print,
) -> list[LosoResult]:
    """Fit one model per held-out source and measure it on that source."""
    results: list[LosoResult] = []
    tox_domains = sorted({toxicity_domain(r) for r in rows if r.toxic is not None})
    videos = sorted({r.extra.get("video", "") for r in rows if r.dataset == "youtube_spam"} - {""})
    units = [("toxicity", d) for d in tox_domains]
    if spam_videos:
        units += [("spam", f"youtube_spam/{v}") for v in videos]
    if only:
        units = [u for u in units if u[1] in only or u[1].split("/")[-1] in only]
    for head, unit in units:
        say(f"{head}: holding out {unit}")
        held = _held_out_test(head, unit)
        test = [r for r in rows if held(r) and getattr(r, LABEL[head]) is not None]
        y = np.array([getattr(r, LABEL[head]) for r in test], dtype=np.int64)
        model, n_train, fit_s = _fit_without(rows, held, seed, recipe, say)
        probs = model.predict_proba([r.comment() for r in test])[head]  # type: ignore[attr-defined]
        peer_auc = math.nan
        if head == "toxicity" and with_peer:
            peer_auc = _auc(y, peer.score_texts([r.text for r in test]))
        target = None
        if head == "spam":
            target = SPAM_TARGET
        elif unit in OFFENSIVE_DOMAINS:
            target = TOXICITY_TARGET
        result = LosoResult(
            head=head,
            held_out=unit,
            rows=len(test),
            positives=int(y.sum()),
            train_rows=n_train,
            modq_roc_auc=_auc(y, probs),
            modq_ece=expected_calibration_error(y, probs),
            peer_roc_auc=peer_auc,
            target=target,
            fit_s=fit_s,
        )
        say(
            f"  ROC-AUC modq {result.modq_roc_auc:.3f}, peer {result.peer_roc_auc:.3f}, "
            f"ECE {result.modq_ece:.3f}"
        )
        results.append(result)
    return results


def format_loso(results: Sequence[LosoResult]) -> str:
    """The LOSO table: one line per held-out source."""

    def f(x: float) -> str:
        return "–" if math.isnan(x) else f"{x:.3f}"

    lines = [
        f"{'head':<9} {'held-out source':<36} {'rows':>6} {'pos':>6} {'modq AUC':>9} "
        f"{peer.NAME + ' AUC':>24} {'modq ECE':>9}  target",
    ]
    for r in results:
        verdict = {None: "(none)", True: "met", False: "MISSED"}[r.meets_target]
        goal = f">= {r.target:.2f}" if r.target is not None else "–"
        if r.head == "toxicity" and r.target is not None:
            goal += " and > peer"
        lines.append(
            f"{r.head:<9} {r.held_out:<36} {r.rows:>6} {r.positives:>6} {f(r.modq_roc_auc):>9} "
            f"{f(r.peer_roc_auc):>24} {f(r.modq_ece):>9}  {goal} {verdict}"
        )
    return "\n".join(lines)


def results_json(results: Sequence[LosoResult]) -> list[dict[str, object]]:
    """JSON-ready rows (NaN becomes None)."""
    out = []
    for r in results:
        d: dict[str, object] = {
            k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(r).items()
        }
        d["meets_target"] = r.meets_target
        out.append(d)
    return out
