"""A site's imported history as site labels, kept apart from the public base data.

``modq import wordpress|disqus --site-labels`` stores each export's labeled rows as one
CSV under ``<data dir>/site_labels/`` (source ``import/<kind>``), and the retrain's site
adapter learns from them together with the moderators' decisions: a WordPress spam
folder teaches the site's own spam, which the public base data never saw. A text that
a moderator decided keeps the moderator's label.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from classifier.data import LabeledComment, load_labeled
from classifier.importers import write_labeled_csv

FOLDER = "site_labels"
IMPORT_SOURCE = "import"


def save_import(rows: Iterable[dict[str, str]], directory: Path, kind: str) -> tuple[Path, int]:
    """Write an export's labeled rows as ``<directory>/<kind>-<digest>.csv`` (the same
    export imported twice is one file); returns the file and its row count."""
    source = f"{IMPORT_SOURCE}/{kind}"
    buffer = io.StringIO()
    count = write_labeled_csv(({**row, "source": source} for row in rows), buffer)
    text = buffer.getvalue()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kind}-{digest}.csv"
    path.write_text(text, encoding="utf-8", newline="")
    return path, count


def read_site_labels(directory: Path) -> list[LabeledComment]:
    """Every imported site label under ``directory`` (none when it does not exist)."""
    if not directory.is_dir() or not any(directory.glob("*.csv")):
        return []
    rows, _ = load_labeled([directory])
    return rows


def with_site_labels(
    moderator: Sequence[LabeledComment], imported: Sequence[LabeledComment]
) -> list[LabeledComment]:
    """The moderators' labels plus the imported ones whose text no moderator decided."""
    decided = {row.text.strip() for row in moderator}
    return [*moderator, *(row for row in imported if row.text.strip() not in decided)]
