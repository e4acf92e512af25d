"""Read and validate labeled comment CSVs (the public datasets and moderator exports).

Format (DESIGN.md): UTF-8 CSV with a header; ``text`` required; optional ``id``,
``name``, ``email``, ``url``, ``spam``, ``toxic``, ``source``; ``spam`` and
``toxic`` are ``1``, ``0`` or empty (not labeled). Other columns are kept in
``LabeledComment.extra`` (e.g. the YouTube ``video`` column used for group splits).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

LABELS = ("spam", "toxic")
_KNOWN = frozenset(("id", "text", "name", "email", "url", "spam", "toxic", "source"))

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class DataFormatError(ValueError):
    """A labeled CSV does not follow the format (the message names file, line and column)."""


@dataclass(frozen=True)
class LabeledComment:
    """One labeled comment; ``spam``/``toxic`` are 1, 0 or None (not labeled)."""

    text: str
    spam: int | None = None
    toxic: int | None = None
    name: str = ""
    email: str = ""
    url: str = ""
    id: str = ""
    source: str = ""
    file: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def dataset(self) -> str:
        """The dataset a row comes from: the source up to its first '/' (``youtube_spam``)."""
        return self.source.split("/", 1)[0]

    @property
    def group(self) -> str:
        """Rows sharing a group stay on one side of a split (a YouTube video, a forum post)."""
        video = self.extra.get("video", "")
        if video:
            return f"{self.dataset}/video:{video}"
        if self.dataset == "stormfront_hate" and "_" in self.id:
            return f"{self.dataset}/post:{self.id.rsplit('_', 1)[0]}"
        return f"{self.dataset}/row:{self.id or self.text}"

    def comment(self) -> dict[str, str]:
        """The comment as the scoring API takes it."""
        return {"text": self.text, "name": self.name, "email": self.email, "url": self.url}


@dataclass(frozen=True)
class DataFile:
    """A CSV that was read: path, sha256 and row count (for the model card)."""

    path: str
    sha256: str
    rows: int


def find_csv_files(paths: Iterable[str | Path]) -> list[Path]:
    """The CSV files named by ``paths``: files as given; folders recurse to ``*/data.csv``
    (the shared datasets' layout) or, failing that, to every ``*.csv`` below them."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            data_files = sorted(path.rglob("data.csv"))
            found.extend(data_files or sorted(path.rglob("*.csv")))
        else:
            raise DataFormatError(f"{path}: no such file or folder")
    if not found:
        raise DataFormatError("no CSV files found in " + ", ".join(str(p) for p in paths))
    return found


def _label(value: str | None, column: str, where: str) -> int | None:
    value = (value or "").strip()
    if value == "":
        return None
    if value in ("0", "1"):
        return int(value)
    raise DataFormatError(f"{where}: column {column!r} must be 1, 0 or empty, not {value!r}")


def read_labeled_csv(path: str | Path) -> tuple[list[LabeledComment], DataFile]:
    """Rows of one labeled CSV, validated, plus the file's sha256 and row count."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: not UTF-8 ({exc})") from exc
    reader = csv.DictReader(content.splitlines(keepends=True))
    columns = reader.fieldnames or []
    if "text" not in columns:
        raise DataFormatError(f"{path}: no 'text' column (columns: {', '.join(columns)})")
    default_source = path.parent.name if path.name == "data.csv" else path.stem
    rows: list[LabeledComment] = []
    for number, record in enumerate(reader, start=2):
        where = f"{path}:{reader.line_num or number}"
        text = record.get("text")
        if text is None or not text.strip():
            raise DataFormatError(f"{where}: empty 'text'")
        rows.append(
            LabeledComment(
                text=text,
                spam=_label(record.get("spam"), "spam", where),
                toxic=_label(record.get("toxic"), "toxic", where),
                name=record.get("name") or "",
                email=record.get("email") or "",
                url=record.get("url") or "",
                id=record.get("id") or f"{default_source}-{number}",
                source=(record.get("source") or "").strip() or default_source,
                file=str(path),
                extra={k: v for k, v in record.items() if k not in _KNOWN and k and v},
            )
        )
    return rows, DataFile(str(path), hashlib.sha256(raw).hexdigest(), len(rows))


def _merge(first: LabeledComment, other: LabeledComment) -> LabeledComment:
    """One row from two with the same text: known labels fill gaps, disagreements unset."""
    changes: dict[str, int | None] = {}
    for label in LABELS:
        mine, theirs = getattr(first, label), getattr(other, label)
        if mine is None and theirs is not None:
            changes[label] = theirs
        elif mine is not None and theirs is not None and mine != theirs:
            changes[label] = None
    return replace(first, **changes) if changes else first  # type: ignore[arg-type]


def dedupe(rows: Sequence[LabeledComment]) -> list[LabeledComment]:
    """Rows with unique texts (whitespace-trimmed), first occurrence kept, labels merged."""
    by_text: dict[str, LabeledComment] = {}
    disputed: dict[str, set[str]] = {}
    for row in rows:
        key = row.text.strip()
        if key in by_text:
            merged = _merge(by_text[key], row)
            for label in LABELS:
                mine, theirs = getattr(by_text[key], label), getattr(row, label)
                if mine is not None and theirs is not None and mine != theirs:
                    disputed.setdefault(key, set()).add(label)
            by_text[key] = merged
        else:
            by_text[key] = row
    if disputed:  # a label two copies disagree on stays unknown even if a third copy has it
        for key, labels in disputed.items():
            by_text[key] = replace(by_text[key], **dict.fromkeys(labels))  # type: ignore[arg-type]
    return list(by_text.values())


def load_labeled(
    paths: Iterable[str | Path], *, deduplicate: bool = True
) -> tuple[list[LabeledComment], list[DataFile]]:
    """Every row of the CSVs under ``paths`` (see ``find_csv_files``), deduplicated
    across files by text unless ``deduplicate`` is false, plus the files read."""
    rows: list[LabeledComment] = []
    files: list[DataFile] = []
    for path in find_csv_files(paths):
        file_rows, info = read_labeled_csv(path)
        rows.extend(file_rows)
        files.append(info)
    return (dedupe(rows) if deduplicate else rows), files
