"""Where trained models live: the one place the classifier reads the environment.

The classifier cannot use ``service.settings`` (it never imports ``service``), so
the two variables that locate the model registry are read here and nowhere else
in ``classifier``:

- ``MODQ_MODELS_DIR``: the registry directory, if set;
- else ``$MODQ_DATA_DIR/models`` with ``MODQ_DATA_DIR`` defaulting to ``var``;
- ``MODQ_MODEL``: a model directory pinned by the operator (the service then uses it
  instead of the registry; ``modq score`` without ``--model`` does the same).
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "default_model"


def models_dir() -> Path:
    """The model registry directory (MODQ_MODELS_DIR, else $MODQ_DATA_DIR/models)."""
    explicit = os.environ.get("MODQ_MODELS_DIR", "").strip()
    if explicit:
        return Path(explicit)
    data_dir = os.environ.get("MODQ_DATA_DIR", "").strip() or "var"
    return Path(data_dir) / "models"


def pinned_model_dir() -> Path | None:
    """The model directory pinned with MODQ_MODEL, or None."""
    pinned = os.environ.get("MODQ_MODEL", "").strip()
    return Path(pinned) if pinned else None


def encoders_dir() -> Path:
    """Sentence encoders built on this machine, too large for the package
    (``$MODQ_DATA_DIR/encoders``; ``make encoder-minilm`` writes there)."""
    data_dir = os.environ.get("MODQ_DATA_DIR", "").strip() or "var"
    return Path(data_dir) / "encoders"
