"""The model registry: trained models under the models directory, one marked current.

Layout (``classifier.paths.models_dir()``: ``MODQ_MODELS_DIR``, else
``$MODQ_DATA_DIR/models``, default ``var/models``)::

    <models_dir>/
        CURRENT              one line: the version (directory name) in use
        <version>/           a model directory (model.skops, card.json, MODEL_CARD.md)
        <version>/ ...

``load_model()`` with no path loads ``<models_dir>/<CURRENT>``; without a
``CURRENT`` file it loads the default model shipped in ``classifier/default_model``.
Promoting a version rewrites ``CURRENT`` atomically; nothing else changes, so a
rollback is promoting the previous version again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from classifier.paths import models_dir as _env_models_dir

CURRENT_FILE = "CURRENT"
CARD_FILE = "card.json"


class RegistryError(LookupError):
    """A version is not in the registry, or the CURRENT marker names a missing model."""


def _root(models_dir: str | Path | None) -> Path:
    return Path(models_dir) if models_dir is not None else _env_models_dir()


def current_version(models_dir: str | Path | None = None) -> str | None:
    """The version marked current, or None when nothing is marked."""
    marker = _root(models_dir) / CURRENT_FILE
    try:
        version = marker.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return version or None


def current_model_dir(models_dir: str | Path | None = None) -> Path | None:
    """The directory of the current model, or None when nothing is marked current."""
    version = current_version(models_dir)
    if version is None:
        return None
    directory = _root(models_dir) / version
    if not (directory / CARD_FILE).is_file():
        raise RegistryError(
            f"{_root(models_dir) / CURRENT_FILE} names {version!r}, but {directory} holds no model"
        )
    return directory


def list_versions(models_dir: str | Path | None = None) -> list[str]:
    """Versions in the registry, oldest first (by the card's created_at, then name)."""
    root = _root(models_dir)
    if not root.is_dir():
        return []
    found: list[tuple[str, str]] = []
    for child in root.iterdir():
        card_path = child / CARD_FILE
        if child.is_dir() and card_path.is_file():
            try:
                created = str(json.loads(card_path.read_text(encoding="utf-8")).get("created_at"))
            except (OSError, ValueError):
                created = ""
            found.append((created, child.name))
    return [name for _, name in sorted(found)]


def mark_current(version: str, models_dir: str | Path | None = None) -> Path:
    """Mark ``version`` current (atomic rewrite of CURRENT); returns its directory."""
    root = _root(models_dir)
    directory = root / version
    if "/" in version or version in ("", ".", "..") or not (directory / CARD_FILE).is_file():
        raise RegistryError(f"no model {version!r} in {root}")
    fd, tmp = tempfile.mkstemp(dir=root, prefix=".CURRENT.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(version + "\n")
    os.replace(tmp, root / CURRENT_FILE)
    return directory
