"""Holds the model a process scores with, and swaps in a newly promoted one.

The swap is one attribute assignment: a request that already took the old
model finishes with it; the next one gets the new one. Loading happens beside
the old model (``service.moderation.reload`` does it in a background thread), so no
request waits on a load.
"""

from __future__ import annotations

import threading
from pathlib import Path

from classifier import Model, load_model

# Touches every part of scoring and explaining: links, a url field, a disposable
# address, words for both heads.
_WARM_UP_COMMENT = {
    "text": "Cheap pills at http://pills.example, you idiot! Visit www.pills.example",
    "name": "Pills",
    "email": "pills@mailinator.com",
    "url": "http://pills.example",
}


def warm_up(model: Model) -> Model:
    """Score and explain one comment, so that what the classifier loads or builds on
    first use (the disposable-domain list, compiled-pattern caches) is ready before
    the first request, and, in gunicorn's master, shared by every worker it forks."""
    model.score_batch([_WARM_UP_COMMENT]).explain_heads(0, tuple(model.thresholds))
    return model


class ModelHolder:
    """The current model of this process."""

    def __init__(self, model: Model, path: Path | None = None) -> None:
        self._model = model
        self._path = path
        self._lock = threading.Lock()
        self._swaps = 0

    @classmethod
    def load(cls, path: Path | None = None) -> ModelHolder:
        """Load the configured model (None: the current one, else the shipped default)."""
        return cls(warm_up(load_model(path)), path)

    @property
    def pinned(self) -> bool:
        """True when an explicit model directory was configured (MODQ_MODEL): never reloaded."""
        return self._path is not None

    @property
    def swaps(self) -> int:
        """How many times a new model was swapped in since start."""
        return self._swaps

    def get(self) -> Model:
        """The model to score this request with."""
        return self._model

    def directory(self) -> Path | None:
        """The directory the model in use was loaded from (None if it was built in memory)."""
        directory = getattr(self._model, "directory", None)
        return Path(directory) if directory is not None else None

    def swap(self, model: Model) -> Model:
        """Make ``model`` the one new requests use; return the one it replaced."""
        with self._lock:
            previous = self._model
            self._model = model
            self._swaps += 1
            return previous
