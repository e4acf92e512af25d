"""Holds the model a process scores with, and swaps in a newly promoted one.

The swap is one attribute assignment: a request that already took the old
model finishes with it; the next one gets the new one. Loading happens beside
the old model, so no request waits on a load.
"""

from __future__ import annotations

import threading
from pathlib import Path

from classifier import Model, load_model


class ModelHolder:
    """The current model of this process."""

    def __init__(self, model: Model, path: Path | None = None) -> None:
        self._model = model
        self._path = path
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path | None = None) -> ModelHolder:
        """Load the configured model (None: the current one, else the shipped default)."""
        return cls(load_model(path), path)

    def get(self) -> Model:
        """The model to score this request with."""
        return self._model

    def swap(self, model: Model) -> None:
        """Make ``model`` the one new requests use."""
        with self._lock:
            self._model = model
