"""Evaluation sets: which labeled rows a model is measured on, and scoring them once.

A :class:`Pool` holds every row to evaluate, scored by modq (both heads) and by
the peer (toxicity) exactly once; named *sets* are index arrays into it (one per
file, one per source inside a file that mixes sources, one pooled over all).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from classifier import peer
from classifier.evaluate import HEADS, LABEL_COLUMNS, MODQ, Scored

Row = Mapping[str, str]
BATCH = 1000


class _Scores(Protocol):
    @property
    def spam(self) -> float: ...

    @property
    def toxicity(self) -> float: ...


class ScoringModel(Protocol):
    """What evaluation needs from a model (classifier.Model satisfies it)."""

    @property
    def thresholds(self) -> Mapping[str, Mapping[str, float]]: ...

    def score(self, comments: Sequence[Mapping[str, str]]) -> Sequence[_Scores]: ...


def parse_label(value: str | None) -> float:
    """``"1"`` → 1.0, ``"0"`` → 0.0, empty or missing → NaN (not labeled)."""
    value = (value or "").strip()
    if value in ("1", "1.0", "true", "True"):
        return 1.0
    if value in ("0", "0.0", "false", "False"):
        return 0.0
    if value == "":
        return math.nan
    raise ValueError(f"label must be 1, 0 or empty, got {value!r}")


@dataclass
class Pool:
    """Labeled rows to evaluate on, and the named subsets (index arrays) to report."""

    rows: list[Row] = field(default_factory=list)
    sets: dict[str, list[int]] = field(default_factory=dict)

    def add(self, name: str, rows: Iterable[Row], *, split_sources: bool = True) -> None:
        """Add a named set; also one set per ``source`` if it mixes several."""
        start = len(self.rows)
        self.rows.extend(rows)
        indices = list(range(start, len(self.rows)))
        self.sets.setdefault(name, []).extend(indices)
        if not split_sources:
            return
        by_source: dict[str, list[int]] = {}
        for i in indices:
            by_source.setdefault(self.rows[i].get("source") or "", []).append(i)
        if len(by_source) > 1:
            for source, idx in sorted(by_source.items()):
                self.sets.setdefault(f"{name} · {source or '(no source)'}", []).extend(idx)

    def labels(self, head: str) -> npt.NDArray[np.float64]:
        """Each row's label for ``head`` (NaN where not labeled)."""
        column = LABEL_COLUMNS[head]
        return np.array([parse_label(r.get(column)) for r in self.rows], dtype=np.float64)


def _comment(row: Row) -> dict[str, str]:
    return {k: row.get(k) or "" for k in ("text", "name", "email", "url")}


def score_pool(
    model: ScoringModel,
    pool: Pool,
    *,
    with_peer: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[Scored]:
    """Score every row once and return one :class:`Scored` per (set, head, scorer)."""
    n = len(pool.rows)
    modq_scores = {h: np.zeros(n, dtype=np.float64) for h in HEADS}
    for start in range(0, n, BATCH):
        chunk = [_comment(r) for r in pool.rows[start : start + BATCH]]
        for i, s in enumerate(model.score(chunk)):
            modq_scores["spam"][start + i] = s.spam
            modq_scores["toxicity"][start + i] = s.toxicity
        if progress:
            progress(min(start + BATCH, n), n)
    labels = {h: pool.labels(h) for h in HEADS}
    peer_scores: npt.NDArray[np.float64] | None = None
    if with_peer:
        tox_rows = np.flatnonzero(~np.isnan(labels["toxicity"]))
        peer_scores = np.full(n, np.nan)
        if tox_rows.size:
            peer_scores[tox_rows] = peer.score_texts(
                [pool.rows[i].get("text") or "" for i in tox_rows]
            )
    out: list[Scored] = []
    for name, idx_list in pool.sets.items():
        idx = np.asarray(idx_list, dtype=np.int_)
        for head in HEADS:
            y = labels[head][idx]
            known = ~np.isnan(y)
            if not known.any():
                continue
            y_known = y[known].astype(np.int_)
            sel = idx[known]
            out.append(
                Scored(name, head, MODQ, y_known, modq_scores[head][sel], model.thresholds[head])
            )
            if head == "toxicity" and peer_scores is not None:
                out.append(
                    Scored(
                        name,
                        head,
                        peer.NAME,
                        y_known,
                        peer_scores[sel],
                        {"default": peer.DEFAULT_THRESHOLD},
                    )
                )
    return out
