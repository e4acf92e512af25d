"""WordPress: read the ``wp_comments`` table from a CSV export or an SQL dump.

``comment_approved`` says what the site decided:

| comment_approved | label |
|------------------|-------|
| ``1``            | ham (``spam=0``) |
| ``spam``         | spam (``spam=1``) |
| ``trash``        | skipped by default (``--trash-as toxic|spam`` labels it) |
| ``0``            | skipped: pending, nobody decided |
| anything else    | skipped (e.g. ``post-trashed``) |

Only real comments are read: pingbacks, trackbacks and plugin records
(WooCommerce order notes and the like) share the table and are skipped.

CSV is read as RFC 4180, the quoting phpMyAdmin, ``wp comment list
--format=csv`` and export plugins write: fields in double quotes, a quote
inside doubled, newlines and commas inside quoted fields kept. The delimiter
is a comma, a tab for ``.tsv``, or whatever separates the header's column
names (phpMyAdmin's "CSV for MS Excel" writes semicolons); ``delimiter``
overrides it. The dialect is guessed from the content (``csv.Sniffer``) only
when asked: a guess depends on the rows, and a wrong one silently corrupts
quotes.

SQL dumps (``mysqldump``, phpMyAdmin, ``wp db export``) are parsed with
sqlglot's MySQL dialect, so quoting and backslash escapes are read the way
MySQL reads them. Every table whose name ends in ``comments`` is read (a
multisite dump has ``wp_comments``, ``wp_2_comments``, ...). Column order
comes from the INSERT's column list, else the dump's CREATE TABLE, else
WordPress's own schema.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.tokens import Token, TokenType

from classifier.importers import (
    ImportFormatError,
    ImportResult,
    Outcome,
    RemovedAs,
    labels_for,
    read_text,
    removed_outcome,
)

SOURCE = "wordpress"
# wp-admin/includes/schema.php, unchanged since WordPress 2.x.
WP_COMMENTS_COLUMNS = (
    "comment_ID",
    "comment_post_ID",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_author_IP",
    "comment_date",
    "comment_date_gmt",
    "comment_content",
    "comment_karma",
    "comment_approved",
    "comment_agent",
    "comment_type",
    "comment_parent",
    "user_id",
)
REQUIRED_COLUMNS = ("comment_content", "comment_approved")
# '' is a comment in WordPress < 5.5; 'review' is a WooCommerce product review.
COMMENT_TYPES = frozenset({"", "comment", "review"})


def read_wordpress(
    path: Path,
    *,
    trash_as: RemovedAs = RemovedAs.SKIP,
    approved_clean: bool = False,
    delimiter: str | None = None,
    guess_dialect: bool = False,
) -> ImportResult:
    """Labeled rows from a wp_comments CSV export or SQL dump (chosen by content)."""
    text = read_text(path)
    if _looks_like_sql(path, text):
        records = _sql_records(text, path)
    else:
        csv_format = _csv_format(text, path, delimiter=delimiter, guess=guess_dialect)
        records = _csv_records(text, path, csv_format)
    result = ImportResult()
    for table, record in records:
        _add_record(result, table, record, trash_as=trash_as, approved_clean=approved_clean)
    return result


def status_outcome(approved: str, trash_as: RemovedAs) -> Outcome:
    """The outcome of one ``comment_approved`` value."""
    value = approved.strip().lower()
    if value == "1":
        return Outcome.HAM
    if value == "spam":
        return Outcome.SPAM
    if value == "trash":
        return removed_outcome(trash_as, Outcome.SKIPPED_TRASH)
    if value == "0":
        return Outcome.SKIPPED_PENDING
    return Outcome.SKIPPED_UNKNOWN


def _add_record(
    result: ImportResult,
    table: str,
    record: dict[str, str],
    *,
    trash_as: RemovedAs,
    approved_clean: bool,
) -> None:
    if record.get("comment_type", "").strip().lower() not in COMMENT_TYPES:
        result.add(Outcome.SKIPPED_TYPE)
        return
    outcome = status_outcome(record["comment_approved"], trash_as)
    labels = labels_for(outcome, approved_clean=approved_clean)
    if labels is None:
        result.add(outcome)
        return
    text = record["comment_content"]
    if not text.strip():
        result.add(Outcome.SKIPPED_EMPTY)
        return
    spam, toxic = labels
    comment_id = record.get("comment_ID", "").strip() or str(len(result.rows) + 1)
    result.add(
        outcome,
        {
            "id": f"{SOURCE}:{table}:{comment_id}",
            "text": text,
            "name": record.get("comment_author", ""),
            "email": record.get("comment_author_email", ""),
            "url": record.get("comment_author_url", ""),
            "spam": spam,
            "toxic": toxic,
            "source": SOURCE,
            "thread": record.get("comment_post_ID", ""),
            "created_at": record.get("comment_date_gmt", "") or record.get("comment_date", ""),
            "status": record["comment_approved"].strip(),
        },
    )


def _looks_like_sql(path: Path, text: str) -> bool:
    if path.suffix.lower() == ".sql":
        return True
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return False
    head = text.lstrip()[:4096].upper()
    return head.startswith(("--", "/*", "INSERT", "CREATE", "DROP", "SET ", "LOCK"))


# --- CSV ---------------------------------------------------------------------


# Delimiters a header line may use: comma (RFC 4180), semicolon (Excel in many locales), tab.
HEADER_DELIMITERS = (",", ";", "\t")


class Rfc4180(csv.Dialect):
    """RFC 4180: double quotes around a field, a quote inside doubled, CRLF or LF ends a row."""

    delimiter = ","
    quotechar = '"'
    doublequote = True
    skipinitialspace = False
    lineterminator = "\r\n"
    quoting = csv.QUOTE_MINIMAL
    # A stray quote is an error with a hint, never text silently glued to the next field.
    strict = True


def _csv_format(text: str, path: Path, *, delimiter: str | None, guess: bool) -> dict[str, Any]:
    """csv.reader's format: RFC 4180 with a delimiter (given, the header's, by type), or a guess."""
    if guess:
        try:
            delimiters = delimiter or "".join(HEADER_DELIMITERS)
            return {"dialect": csv.Sniffer().sniff(text[:65536], delimiters)}
        except csv.Error:
            return {"dialect": Rfc4180}
    if delimiter is None:
        delimiter = _header_delimiter(text)
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ImportFormatError(
            f"the delimiter must be one character, not a quote or a newline: {delimiter!r}"
        )
    return {"dialect": Rfc4180, "delimiter": delimiter}


def _header_delimiter(text: str) -> str | None:
    """The delimiter that splits the first line into a header naming the required columns."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    for delimiter in HEADER_DELIMITERS:
        names = {name.strip() for name in next(csv.reader([first_line], delimiter=delimiter), [])}
        if all(column in names for column in REQUIRED_COLUMNS):
            return delimiter
    return None


def _csv_records(
    text: str, path: Path, csv_format: dict[str, Any]
) -> Iterator[tuple[str, dict[str, str]]]:
    """Rows of a CSV/TSV export: with a header naming the columns, or all 15 in schema order."""
    reader = csv.reader(io.StringIO(text, newline=""), **csv_format)
    try:
        yield from _csv_rows(reader, path)
    except csv.Error as exc:
        raise ImportFormatError(
            f"{path}: line {reader.line_num} is not RFC 4180 CSV with the delimiter "
            f"{reader.dialect.delimiter!r} ({exc}); name the export's delimiter with --delimiter, "
            "or try --guess-dialect if it escapes quotes another way"
        ) from None


def _csv_rows(reader: Any, path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    first = next(reader, None)
    if first is None:
        return
    header = [name.strip() for name in first]
    if all(column in header for column in REQUIRED_COLUMNS):
        columns: Sequence[str] = header
    elif len(first) == len(WP_COMMENTS_COLUMNS):
        columns = WP_COMMENTS_COLUMNS
        yield "wp_comments", _record(columns, first, null_word=True)
    else:
        raise ImportFormatError(
            f"{path}: no header naming {' and '.join(REQUIRED_COLUMNS)}, and rows do not have "
            f"the {len(WP_COMMENTS_COLUMNS)} columns of wp_comments; export with column names "
            "(or name the delimiter with --delimiter)"
        )
    for line, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != len(columns):
            raise ImportFormatError(
                f"{path}: row {line} has {len(values)} fields, the header has {len(columns)}"
            )
        yield "wp_comments", _record(columns, values, null_word=True)


def _record(
    columns: Sequence[str], values: Sequence[Any], *, null_word: bool = False
) -> dict[str, str]:
    # phpMyAdmin writes SQL NULL as the word NULL in CSV.
    return {
        column: "" if value is None or (null_word and value == "NULL") else str(value)
        for column, value in zip(columns, values, strict=True)
    }


# --- SQL ---------------------------------------------------------------------


def _sql_records(text: str, path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Rows of every INSERT into a ``*comments`` table of a MySQL dump."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    dialect = sqlglot.Dialect.get_or_raise("mysql")
    try:
        tokens = dialect.tokenize(text)
    except sqlglot.errors.TokenError as exc:
        raise ImportFormatError(f"{path}: not a readable SQL dump ({exc})") from None
    schemas: dict[str, list[str]] = {}
    found_table = False
    for statement in _statements(tokens):
        table = _comments_table(statement)
        if table is None:
            continue
        found_table = True
        # Parse only the statements about comment tables: a dump is mostly posts and options.
        try:
            parsed = dialect.parser().parse(statement, text)
        except sqlglot.errors.ParseError as exc:
            raise ImportFormatError(f"{path}: cannot parse a statement on {table}: {exc}") from None
        for node in parsed:
            if isinstance(node, exp.Create) and isinstance(node.this, exp.Schema):
                schemas[table] = [
                    col.name for col in node.this.expressions if isinstance(col, exp.ColumnDef)
                ]
            elif isinstance(node, exp.Insert):
                yield from _insert_records(node, table, schemas.get(table), path)
    if not found_table:
        raise ImportFormatError(f"{path}: no INSERT into a wp_comments table found")


def _statements(tokens: list[Token]) -> Iterator[list[Token]]:
    statement: list[Token] = []
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if statement:
                yield statement
            statement = []
        else:
            statement.append(token)
    if statement:
        yield statement


def _comments_table(statement: list[Token]) -> str | None:
    """The table name if this is a CREATE TABLE or INSERT INTO a ``*comments`` table."""
    words = [token.text.upper() for token in statement[:8]]
    if words[:2] == ["CREATE", "TABLE"] or words[:2] == ["INSERT", "INTO"]:
        start = 2
    elif words[:1] == ["INSERT"]:
        start = 1
    else:
        return None
    # Skip modifiers (IF NOT EXISTS, IGNORE) up to the first identifier-like token.
    for token in statement[start:8]:
        if token.token_type in (TokenType.VAR, TokenType.IDENTIFIER):
            name = token.text
            return name if name.lower().endswith("comments") else None
    return None


def _insert_records(
    node: exp.Insert, table: str, schema: list[str] | None, path: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    target = node.this
    if isinstance(target, exp.Schema):
        columns: Sequence[str] = [col.name for col in target.expressions]
    else:
        columns = schema or WP_COMMENTS_COLUMNS
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ImportFormatError(f"{path}: table {table} has no column {', '.join(missing)}")
    values = node.expression
    if not isinstance(values, exp.Values):
        return
    for row in values.expressions:
        try:
            cells = [cell.to_py() for cell in row.expressions]
        except ValueError as exc:
            raise ImportFormatError(f"{path}: a value in {table} is not a literal: {exc}") from None
        if len(cells) != len(columns):
            raise ImportFormatError(
                f"{path}: an INSERT into {table} has {len(cells)} values for {len(columns)} columns"
            )
        yield table, _record(columns, cells)
