"""Promote and roll back models in the registry, keeping the history of what was current.

``classifier.registry`` owns the layout (``<models_dir>/<version>/``, the
``CURRENT`` marker). This module adds what an operator does with it:

- ``list_models``: every version with its card's headline facts, current one marked;
- ``promote``: make a version current, remembering the one it replaces;
- ``rollback``: make the previously current version current again;
- ``prune_plan`` / ``prune``: delete old models, keeping what a rollback or a retrain needs.

The history is ``<models_dir>/HISTORY``, a stack with one line per promotion:
``<version that was replaced>\\t<promoted version>\\t<UTC time>``, where the
replaced version is ``-`` for the shipped default (no ``CURRENT`` yet).
``promote`` pushes a line, ``rollback`` pops one, so rolling back twice goes
back two promotions. A file lock serializes the changes (a CLI promote and a
retrain may run at once); ``CURRENT`` is always replaced atomically, so the
service's reloader never reads half a name.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifier.registry import (
    CARD_FILE,
    CURRENT_FILE,
    RegistryError,
    current_version,
    list_versions,
    mark_current,
)

HISTORY_FILE = "HISTORY"
LOCK_FILE = ".lock"
DEFAULT = "-"


@dataclass(frozen=True)
class ModelInfo:
    """One model of the registry as ``modq models list`` shows it."""

    version: str
    created_at: str
    current: bool
    card: dict[str, Any] = field(repr=False)

    @property
    def moderator_labels(self) -> int:
        """How many moderator labels the model learned from (0 if the card does not say)."""
        return int(self.card.get("moderator_labels") or 0)

    @property
    def data_rows(self) -> int:
        """Rows over every data file on the card (before de-duplication and splitting)."""
        files = self.card.get("data") or []
        return sum(int(f.get("rows", 0)) for f in files if isinstance(f, dict))

    def key_metrics(self) -> dict[str, float]:
        """ROC-AUC per head on the card's overall held-out set (``{head: auc}``)."""
        return headline_metrics(self.card)


def headline_metrics(card: dict[str, Any]) -> dict[str, float]:
    """ROC-AUC per head on all of the card's held-out test rows (missing heads left out)."""
    test = (card.get("metrics") or {}).get("test") or {}
    found: dict[str, float] = {}
    for head, pooled in (("spam", "all_spam_labeled"), ("toxicity", "all")):
        value = (test.get(head) or {}).get(pooled, {}).get("roc_auc")
        if isinstance(value, int | float):
            found[head] = float(value)
    return found


def read_card(directory: Path) -> dict[str, Any]:
    """The card.json of a model directory ({} if unreadable)."""
    try:
        card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def list_models(models_dir: Path) -> list[ModelInfo]:
    """Every model in the registry, oldest first, the current one marked."""
    current = current_version(models_dir)
    infos = []
    for version in list_versions(models_dir):
        card = read_card(models_dir / version)
        infos.append(
            ModelInfo(
                version=version,
                created_at=str(card.get("created_at", "")),
                current=version == current,
                card=card,
            )
        )
    return infos


def history(models_dir: Path) -> list[tuple[str, str, str]]:
    """The promotion stack, oldest first: (replaced version or '-', promoted version, when)."""
    path = models_dir / HISTORY_FILE
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            entries.append((parts[0], parts[1], parts[2]))
    return entries


def promote(version: str, models_dir: Path) -> str | None:
    """Make ``version`` current; return the version it replaced (None: the default)."""
    with _locked(models_dir):
        previous = current_version(models_dir)
        if previous == version:
            return previous
        mark_current(version, models_dir)
        entries = history(models_dir)
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries.append((previous or DEFAULT, version, when))
        _write_history(models_dir, entries)
        return previous


def rollback(models_dir: Path) -> tuple[str, str | None]:
    """Undo the last promotion; return (version rolled back from, version now current or None)."""
    with _locked(models_dir):
        entries = history(models_dir)
        current = current_version(models_dir)
        if not entries or current is None:
            raise RegistryError(f"nothing to roll back to: no promotion recorded in {models_dir}")
        replaced, promoted, _ = entries[-1]
        if promoted != current:
            # CURRENT was changed without `promote` (by hand, or an old `modq train`):
            # the model in use before that change is the last one promoted.
            mark_current(promoted, models_dir)
            return current, promoted
        if replaced == DEFAULT:
            (models_dir / CURRENT_FILE).unlink()
            target = None
        else:
            mark_current(replaced, models_dir)
            target = replaced
        _write_history(models_dir, entries[:-1])
        return current, target


@dataclass(frozen=True)
class PrunePlan:
    """Which versions ``prune`` keeps (with why) and which it deletes."""

    keep: dict[str, str]
    delete: list[str]


def prune_plan(models_dir: Path, newest: int = 3) -> PrunePlan:
    """Keep the current model, every version a rollback can reach (the HISTORY stack), the
    base model of each kept adapted model (the next retrain starts from it) and the
    ``newest`` most recent; delete the rest."""
    infos = list_models(models_dir)
    by_version = {info.version: info for info in infos}
    keep: dict[str, str] = {}
    for info in infos:
        if info.current:
            keep[info.version] = "current"
    for replaced, promoted, _ in reversed(history(models_dir)):
        for version in (promoted, replaced):
            if version in by_version:
                keep.setdefault(version, "rollback history")
    for info in sorted(infos, key=lambda i: (i.created_at, i.version))[::-1][: max(newest, 0)]:
        keep.setdefault(info.version, "newest")
    for version in list(keep):
        base = (by_version[version].card.get("adapter") or {}).get("base_version")
        if base in by_version:
            keep.setdefault(str(base), f"base of {version}")
    return PrunePlan(keep, [info.version for info in infos if info.version not in keep])


def prune(models_dir: Path, newest: int = 3) -> PrunePlan:
    """Delete what ``prune_plan`` says (under the registry lock); returns the plan carried out."""
    with _locked(models_dir):
        plan = prune_plan(models_dir, newest)
        for version in plan.delete:
            directory = models_dir / version
            if directory.is_symlink():
                directory.unlink()
            else:
                shutil.rmtree(directory)
        return plan


def _write_history(models_dir: Path, entries: list[tuple[str, str, str]]) -> None:
    fd, tmp = tempfile.mkstemp(dir=models_dir, prefix=".HISTORY.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines("\t".join(entry) + "\n" for entry in entries)
    os.replace(tmp, models_dir / HISTORY_FILE)


@contextmanager
def _locked(models_dir: Path) -> Iterator[None]:
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / LOCK_FILE, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
