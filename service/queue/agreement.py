"""How often the model's suggestion agreed with the moderators, over the last day and week.

Read from the labels stream (``P:labels``), which holds for every decision that
teaches something (approve, reject as spam, reject as toxic) the scores the
comment got and the label the moderator gave. Rejections with reason
``other`` teach nothing and are not counted.

The model's suggestion is what its calibrated probabilities lean to: reject
when a head's score is at least 0.5, approve otherwise. Per head, a decision
counts where the moderator's label says something about that head (an
approval says "neither"; a spam rejection says nothing about toxicity).

A falling agreement rate is the signal to retrain: the site's comments have
drifted from what the model learned. Entry ids of a stream are millisecond
times, so each window is one ``XREVRANGE`` by time, bounded by ``MAX_SCAN``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

from service.store import keys

LEAN = 0.5
DAY_S = 24 * 3600
WINDOWS = {"last_day": DAY_S, "last_week": 7 * DAY_S}
MAX_SCAN = 100_000
HEAD_FIELDS = {"spam": ("spam_score", "spam"), "toxicity": ("toxicity_score", "toxic")}


@dataclass
class _Tally:
    decisions: int = 0
    agreed: int = 0

    def add(self, agreed: bool) -> None:
        self.decisions += 1
        self.agreed += int(agreed)

    def to_dict(self) -> dict[str, Any]:
        rate = round(self.agreed / self.decisions, 4) if self.decisions else None
        return {"decisions": self.decisions, "agreed": self.agreed, "rate": rate}


def read_agreement(
    client: redis.Redis, now: float, namespace: str = keys.DEFAULT_NAMESPACE
) -> dict[str, dict[str, Any]]:
    """Per window: decisions counted, how many the model agreed with, the rate, per head too."""
    longest = max(WINDOWS.values())
    entries = client.xrevrange(
        keys.labels(namespace), max="+", min=str(int((now - longest) * 1000)), count=MAX_SCAN
    )
    tallies = {name: (_Tally(), {head: _Tally() for head in HEAD_FIELDS}) for name in WINDOWS}
    for entry_id, fields in entries:  # type: ignore[union-attr]
        age = now - int(str(entry_id).split("-", 1)[0]) / 1000.0
        verdict = _verdict(fields)
        if verdict is None:
            continue
        overall, per_head = verdict
        for name, span in WINDOWS.items():
            if age <= span:
                total, heads = tallies[name]
                total.add(overall)
                for head, agreed in per_head.items():
                    heads[head].add(agreed)
    return {
        name: {**total.to_dict(), "by_head": {h: t.to_dict() for h, t in heads.items()}}
        for name, (total, heads) in tallies.items()
    }


def _verdict(fields: dict[str, str]) -> tuple[bool, dict[str, bool]] | None:
    """(overall agreement, per-head agreement) of one label, or None if it cannot be judged."""
    leans: dict[str, bool] = {}
    labels: dict[str, bool] = {}
    for head, (score_field, label_field) in HEAD_FIELDS.items():
        try:
            leans[head] = float(fields.get(score_field, "")) >= LEAN
        except ValueError:
            return None  # scored before scores were stored, or a hand-made entry
        label = fields.get(label_field, "")
        if label in ("0", "1"):
            labels[head] = label == "1"
    if not labels:
        return None
    rejected = any(labels.values())
    suggested_reject = any(leans.values())
    per_head = {head: leans[head] == label for head, label in labels.items()}
    return suggested_reject == rejected, per_head
