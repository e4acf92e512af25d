"""Scoring a comment with the current model and applying the policy to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from service import metrics
from service.domain import Head
from service.policy import Band, Decision, decide, resolve_thresholds
from service.settings import Settings


class ScoresLike(Protocol):
    """What the classifier's Scores offer."""

    spam: float
    toxicity: float


class ModelLike(Protocol):
    """The part of ``classifier.Model`` the service uses."""

    version: str

    @property
    def thresholds(self) -> Mapping[str, Mapping[str, float]]: ...

    def score(self, comments: Sequence[Mapping[str, Any]]) -> Sequence[ScoresLike]: ...

    def explain(self, comment: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """A scored comment and the policy's decision on it."""

    spam: float
    toxicity: float
    decision: Decision
    model_version: str

    def record_metrics(self) -> None:
        """Count this decision and its scores."""
        metrics.record_decision(
            self.decision.status.value, self.decision.verdict.value, self.spam, self.toxicity
        )


def thresholds_for(model: ModelLike, settings: Settings) -> dict[Head, Band]:
    """The model card's thresholds with the settings' overrides."""
    return resolve_thresholds(model.thresholds, settings.thresholds)


def moderate_many(
    model: ModelLike,
    settings: Settings,
    comments: Sequence[Mapping[str, Any]],
    *,
    honeypots: Sequence[bool] | None = None,
) -> list[Outcome]:
    """Score the comments in one call and decide on each."""
    bands = thresholds_for(model, settings)
    scored = model.score([_model_input(c) for c in comments])
    outcomes = []
    for index, (comment, scores) in enumerate(zip(comments, scored, strict=True)):
        spam, toxicity = _probability(scores.spam), _probability(scores.toxicity)

        def explain(comment: Mapping[str, Any] = comment) -> Mapping[str, Any]:
            result: Mapping[str, Any] = model.explain(_model_input(comment)).to_dict()
            return result

        decision = decide(
            text=str(comment["text"]),
            honeypot_filled=bool(honeypots[index]) if honeypots else False,
            scores={Head.SPAM: spam, Head.TOXICITY: toxicity},
            thresholds=bands,
            max_links=settings.max_links,
            mode=settings.mode,
            explain=explain,
        )
        outcomes.append(Outcome(spam, toxicity, decision, model.version))
    return outcomes


def moderate(
    model: ModelLike,
    settings: Settings,
    comment: Mapping[str, Any],
    *,
    honeypot_filled: bool = False,
) -> Outcome:
    """Score one comment and decide on it."""
    return moderate_many(model, settings, [comment], honeypots=[honeypot_filled])[0]


def _model_input(comment: Mapping[str, Any]) -> dict[str, Any]:
    return {k: comment[k] for k in ("text", "name", "email", "url") if comment.get(k)}


def _probability(value: float) -> float:
    number = float(value)
    return 0.0 if number != number else min(1.0, max(0.0, number))
