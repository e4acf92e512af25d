"""Importers: turn a site's comment history into the labeled data format.

A site that has moderated comments before (WordPress, Disqus) already holds
thousands of decisions. Each importer reads one export file and yields rows in
the labeled data format (``text`` plus ``spam``/``toxic`` as ``"1"``, ``"0"``
or ``""``), counting every outcome, so ``modq train --data`` can learn from a
site's own past comments on day one. Importers are pure data: no Redis, no
network, no model.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TextIO

# The labeled data format (DESIGN.md), then the importers' extra columns.
LABELED_COLUMNS = ("id", "text", "name", "email", "url", "spam", "toxic", "source")
EXTRA_COLUMNS = ("thread", "created_at", "status")


class ImportFormatError(ValueError):
    """An export file cannot be read as the format it claims to be."""


class Outcome(str, Enum):
    """What became of one comment of an export."""

    HAM = "ham"
    SPAM = "spam"
    TOXIC = "toxic"
    SKIPPED_PENDING = "skipped_pending"
    SKIPPED_TRASH = "skipped_trash"
    SKIPPED_DELETED = "skipped_deleted"
    SKIPPED_TYPE = "skipped_type"
    SKIPPED_EMPTY = "skipped_empty"
    SKIPPED_UNKNOWN = "skipped_unknown"


class RemovedAs(str, Enum):
    """How to label comments a moderator removed without calling them spam."""

    SKIP = "skip"
    TOXIC = "toxic"
    SPAM = "spam"


@dataclass
class ImportResult:
    """The labeled rows of one export and a count of every outcome."""

    rows: list[dict[str, str]] = field(default_factory=list)
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    def add(self, outcome: Outcome, row: dict[str, str] | None = None) -> None:
        """Count an outcome, keeping the row if it was labeled."""
        self.outcomes[outcome] += 1
        if row is not None:
            self.rows.append(row)

    def summary(self) -> str:
        """One line: rows written and every outcome's count."""
        parts = [f"{outcome.value}={n}" for outcome, n in sorted(self.outcomes.items())]
        return f"{len(self.rows)} labeled rows ({', '.join(parts) or 'empty export'})"


def labels_for(outcome: Outcome, *, approved_clean: bool) -> tuple[str, str] | None:
    """The (spam, toxic) labels of an outcome, or None if it is not a label."""
    if outcome is Outcome.HAM:
        return "0", "0" if approved_clean else ""
    if outcome is Outcome.SPAM:
        return "1", ""
    if outcome is Outcome.TOXIC:
        # Removed for what it said; whether it was also spam is not known.
        return "", "1"
    return None


def removed_outcome(removed_as: RemovedAs, skipped: Outcome) -> Outcome:
    """The outcome of a moderator-removed comment under the chosen policy."""
    if removed_as is RemovedAs.TOXIC:
        return Outcome.TOXIC
    if removed_as is RemovedAs.SPAM:
        return Outcome.SPAM
    return skipped


def write_labeled_csv(rows: Iterable[dict[str, str]], out: TextIO) -> int:
    """Write rows in the labeled data format (plus the importers' extras); return the count."""
    writer = csv.DictWriter(
        out, fieldnames=[*LABELED_COLUMNS, *EXTRA_COLUMNS], extrasaction="ignore"
    )
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def read_text(path: Path) -> str:
    """The file's text as UTF-8 (a byte-order mark is dropped, line ends kept), or a clear error."""
    try:
        # Not read_text(): it turns a CRLF inside a quoted CSV value into LF.
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"{path}: not UTF-8 (byte {exc.start}); re-export the file as UTF-8"
        ) from None
