"""Scoring a comment with the current model and applying the policy to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from classifier import Model, Scores
from classifier.model import ScoredBatch
from service import metrics
from service.concurrency.batching import Batcher
from service.domain import Head
from service.moderation.policy import Band, Decision, decide, resolve_thresholds
from service.moderation.word_lists import word_list
from service.settings import Settings, Thresholds

if TYPE_CHECKING:
    from service.moderation.model_holder import ModelHolder


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


# A comment's part of a model call: the model, the scored batch, the comment's row in it.
_Scored = tuple[Model, ScoredBatch, int]

_bands_cache: dict[tuple[int, Thresholds], tuple[Model, dict[Head, Band]]] = {}


def thresholds_for(model: Model, settings: Settings) -> dict[Head, Band]:
    """The model card's thresholds with the settings' overrides (computed once per model)."""
    key = (id(model), settings.thresholds)
    cached = _bands_cache.get(key)
    if cached is not None and cached[0] is model:
        return cached[1]
    bands = resolve_thresholds(model.thresholds, settings.thresholds)
    if len(_bands_cache) > 8:  # a few models over a process's life; keep it small
        _bands_cache.clear()
    _bands_cache[key] = (model, bands)
    return bands


def moderate_many(
    model: Model,
    settings: Settings,
    comments: Sequence[Mapping[str, Any]],
) -> list[Outcome]:
    """Score the comments in one call and decide on each (no honeypot: nothing was posted)."""
    batch = model.score_batch([_model_input(c) for c in comments])
    return [
        decide_scored(model, settings, comment, batch, index)
        for index, comment in enumerate(comments)
    ]


def moderate(
    models: ModelHolder,
    scorer: Batcher[Any],
    settings: Settings,
    comment: Mapping[str, Any],
    *,
    honeypot_filled: bool = False,
) -> Outcome:
    """Score one comment (batched with concurrent requests) and decide on it."""

    def score_many(batch: Sequence[Mapping[str, Any]]) -> list[_Scored | Exception]:
        # One model for the whole batch, reported with each result (a swap may happen).
        model: Model = models.get()
        if scorer.max_batch > 1:  # coalescing on: how full the model calls are
            metrics.observe(metrics.BATCH_SIZE, len(batch))
        try:
            scored = model.score_batch([_model_input(c) for c in batch])
        except Exception:
            if len(batch) == 1:
                raise
            # A comment the model cannot score fails alone, not the requests it was
            # batched with: score each by itself.
            return [_score_alone(model, c) for c in batch]
        return [(model, scored, index) for index in range(len(batch))]

    result = scorer.submit(comment, score_many)
    if isinstance(result, Exception):
        raise result
    model, scored, index = result
    return decide_scored(model, settings, comment, scored, index, honeypot_filled=honeypot_filled)


def _score_alone(model: Model, comment: Mapping[str, Any]) -> _Scored | Exception:
    try:
        return (model, model.score_batch([_model_input(comment)]), 0)
    except Exception as error:  # handed to its own request, which raises it
        return error


def decide_scored(
    model: Model,
    settings: Settings,
    comment: Mapping[str, Any],
    scored: ScoredBatch,
    index: int,
    *,
    honeypot_filled: bool = False,
) -> Outcome:
    """Apply the policy to comment ``index`` of a batch the model has scored."""
    scores: Scores = scored.scores[index]
    spam, toxicity = _probability(scores.spam), _probability(scores.toxicity)

    def explain(heads: Sequence[Head]) -> Mapping[str, Any]:
        # From the features scoring computed: the comment is not featurized again.
        explained = scored.explain_heads(index, [head.value for head in heads])
        return {name: part.to_dict() for name, part in explained.items()}

    text, name = str(comment["text"]), str(comment.get("name") or "")
    decision = decide(
        text=text,
        honeypot_filled=honeypot_filled,
        scores={Head.SPAM: spam, Head.TOXICITY: toxicity},
        thresholds=thresholds_for(model, settings),
        max_links=settings.max_links,
        mode=settings.mode,
        explain=explain,
        banned=word_list(settings.banned_words).find(text, name),
        suspect=word_list(settings.suspect_words).find(text, name),
    )
    return Outcome(spam, toxicity, decision, model.version)


def _model_input(comment: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(comment[k]) for k in ("text", "name", "email", "url") if comment.get(k)}


def _probability(value: float) -> float:
    number = float(value)
    return 0.0 if number != number else min(1.0, max(0.0, number))
