"""modq's classifier: spam and toxicity scores for comments, with explanations.

Public API::

    from classifier import load_model
    model = load_model()                 # current model of the registry, else the shipped default
    model.version, model.card, model.thresholds
    model.score([{"text": "...", "name": "...", "email": "...", "url": "..."}])  # -> list[Scores]
    model.explain({"text": "..."}).to_dict()

No Flask, no Redis: ``service`` uses this package, never the other way round.
"""

from __future__ import annotations

from classifier.features import hashing_is_compiled
from classifier.model import (
    HEADS,
    Explanation,
    HeadExplanation,
    Model,
    ModelError,
    ModelNotFoundError,
    ModelVersionError,
    Reason,
    Scores,
    Span,
    UnsafeModelError,
    load_model,
    save_model,
)
from classifier.registry import current_version, list_versions, mark_current

__all__ = [
    "HEADS",
    "Explanation",
    "HeadExplanation",
    "Model",
    "ModelError",
    "ModelNotFoundError",
    "ModelVersionError",
    "Reason",
    "Scores",
    "Span",
    "UnsafeModelError",
    "current_version",
    "hashing_is_compiled",
    "list_versions",
    "load_model",
    "mark_current",
    "save_model",
]
