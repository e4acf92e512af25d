"""A stand-in for classifier.Model with predictable scores, for tests of the service alone.

Words decide the scores: "viagra"/"casino" make spam 0.97, "deal" 0.6;
"idiot" makes toxicity 0.95, "stupid" 0.6; everything else scores 0.02.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

_SPAM = {"viagra": 0.97, "casino": 0.97, "deal": 0.6}
_TOXIC = {"idiot": 0.95, "stupid": 0.6}


@dataclass(frozen=True)
class FakeScores:
    spam: float
    toxicity: float


class FakeExplanation:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


def _head(text: str, words: Mapping[str, float]) -> tuple[float, list[dict[str, Any]]]:
    lowered = text.lower()
    score, spans = 0.02, []
    for word, value in words.items():
        start = lowered.find(word)
        if start >= 0:
            score = max(score, value)
            spans.append(
                {
                    "start": start,
                    "end": start + len(word),
                    "text": text[start : start + len(word)],
                    "weight": value,
                }
            )
    return score, spans


class FakeModel:
    version = "fake-1"
    card: ClassVar[dict[str, Any]] = {
        "version": "fake-1",
        "created_at": "2026-01-01T00:00:00Z",
        "metrics": {},
    }

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        return {"spam": {"review": 0.5, "reject": 0.9}, "toxicity": {"review": 0.5, "reject": 0.9}}

    def score(self, comments: Sequence[Mapping[str, Any]]) -> list[FakeScores]:
        return [
            FakeScores(_head(c["text"], _SPAM)[0], _head(c["text"], _TOXIC)[0]) for c in comments
        ]

    def score_batch(self, comments: Sequence[Mapping[str, Any]]) -> FakeScoredBatch:
        return FakeScoredBatch(self, comments, self.score(comments))

    def explain(self, comment: Mapping[str, Any]) -> FakeExplanation:
        result = {}
        for head, words in (("spam", _SPAM), ("toxicity", _TOXIC)):
            score, spans = _head(comment["text"], words)
            reasons = [{"code": "word", "message": f"Contains {s['text']!r}."} for s in spans]
            result[head] = {"score": score, "reasons": reasons, "spans": spans}
        return FakeExplanation(result)


@dataclass(frozen=True)
class FakeScoredBatch:
    model: FakeModel
    comments: Sequence[Mapping[str, Any]]
    scores: list[FakeScores]

    def explain(self, index: int) -> FakeExplanation:
        return self.model.explain(self.comments[index])

    def explain_heads(self, index: int, heads: Sequence[str]) -> dict[str, FakeExplanation]:
        whole = self.explain(index).to_dict()
        return {head: FakeExplanation(whole[head]) for head in heads}
