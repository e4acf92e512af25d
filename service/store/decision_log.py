"""Reading what the decision script writes: the websites' feed, training labels, the audit.

Three Redis streams, written only by ``service/queue/scripts/decide.lua`` in the same script
that changes the comment, so each exists exactly when the decision does:
- ``P:decisions``: one entry per final decision (id, external_id, thread, status,
  decided_at, reason; entries written before 2026-12-07 have no thread, which the
  feed reads from the comment). Its stream entry ids are the feed's public cursors.
- ``P:labels``: one entry per decision that teaches something (approve, reject
  as spam, reject as toxic) with the comment's text, name, url and e-mail
  *domain* (``@example.com``: the address itself is never copied into labels).
- ``P:audit``: who decided what, when, from which status, holding a lease or not.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import redis

from service.errors import InvalidError
from service.store import keys

# The labeled data format of DESIGN.md; `email` holds the domain only, as "@example.com".
LABEL_COLUMNS = ("id", "text", "name", "email", "url", "spam", "toxic", "source")
FEED_MAX_LIMIT = 500
_CURSOR = re.compile(r"^\d{1,20}-\d{1,20}$")
_CHUNK = 1000


@dataclass(frozen=True)
class FeedPage:
    """Decisions after a cursor; ``next`` is the cursor to pass as ``after`` next time."""

    items: list[dict[str, Any]]
    next: str
    has_more: bool


def check_feed_cursor(after: str | None) -> str | None:
    """Validate ``after`` (a cursor this feed gave out, or 0 for the start)."""
    if after is None or after in ("", "0"):
        return None
    if not _CURSOR.match(after):
        raise InvalidError(
            "`after` must be a cursor this feed returned as `next` (like 1732740000000-0), "
            "or 0 to start from the beginning.",
            fields={"after": "not a feed cursor"},
        )
    return after


def read_decisions(
    client: redis.Redis,
    after: str | None,
    limit: int,
    namespace: str = keys.DEFAULT_NAMESPACE,
) -> FeedPage:
    """Final decisions strictly after ``after``, oldest first, at most ``limit`` of them."""
    after = check_feed_cursor(after)
    start = "-" if after is None else f"({after}"
    entries = client.xrange(keys.decisions(namespace), min=start, max="+", count=limit + 1)
    page = list(entries)[:limit]  # type: ignore[arg-type]
    threads = _threads(client, [fields for _, fields in page], namespace)
    items = [
        {
            "id": fields.get("id"),
            "external_id": fields.get("external_id") or None,
            "thread": thread or None,
            "status": fields.get("status"),
            "decided_at": fields.get("decided_at"),
            "reason": fields.get("reason") or None,
            "cursor": entry_id,
            "event": fields.get("event") or "decided",
        }
        for (entry_id, fields), thread in zip(page, threads, strict=True)
    ]
    # An empty page hands back the same cursor, so a poller keeps its place.
    next_cursor = page[-1][0] if page else (after or "0-0")
    return FeedPage(items=items, next=next_cursor, has_more=len(entries) > limit)  # type: ignore[arg-type]


def _threads(
    client: redis.Redis, entries: list[dict[str, str]], namespace: str
) -> list[str | None]:
    """Each entry's thread: its own, else (written before the feed carried it) the comment's."""
    missing = [fields.get("id", "") for fields in entries if "thread" not in fields]
    found: dict[str, str | None] = {}
    if missing:
        pipe = client.pipeline(transaction=False)
        for comment_id in missing:
            pipe.hget(keys.comment(comment_id, namespace), "thread")
        found = dict(zip(missing, pipe.execute(), strict=True))
    return [
        fields["thread"] if "thread" in fields else found.get(fields.get("id", ""))
        for fields in entries
    ]


def _stream(client: redis.Redis, key: str) -> Iterator[tuple[str, dict[str, str]]]:
    start = "-"
    while True:
        chunk = client.xrange(key, min=start, max="+", count=_CHUNK)
        yield from chunk  # type: ignore[misc]
        if len(chunk) < _CHUNK:  # type: ignore[arg-type]
            return
        start = f"({chunk[-1][0]}"  # type: ignore[index]


def read_label_records(
    client: redis.Redis, namespace: str = keys.DEFAULT_NAMESPACE
) -> list[dict[str, str]]:
    """Every moderator label with its context: thread, decided_by/at, model_version, scores."""
    return [dict(fields) for _, fields in _stream(client, keys.labels(namespace))]


def read_labels(
    client: redis.Redis, namespace: str = keys.DEFAULT_NAMESPACE
) -> list[dict[str, str]]:
    """Every moderator label in the labeled data format (LABEL_COLUMNS), oldest first."""
    return [
        {column: record.get(column, "") for column in LABEL_COLUMNS}
        for record in read_label_records(client, namespace)
    ]


def label_namespaces(client: redis.Redis) -> list[str]:
    """Every namespace that has a labels stream (every site's, removed sites' too)."""
    pattern = keys.labels("*")
    head, tail = pattern.split("*")
    found = {
        str(key)[len(head) : -len(tail)]
        for key in client.scan_iter(match=pattern, count=1000, _type="stream")
    }
    return sorted(found)


def read_labels_everywhere(client: redis.Redis) -> list[dict[str, str]]:
    """Every namespace's labels as one list, oldest first (so the last label of a text wins)."""
    entries: list[tuple[tuple[int, int], dict[str, str]]] = []
    for namespace in label_namespaces(client):
        for entry_id, fields in _stream(client, keys.labels(namespace)):
            millis, _, seq = str(entry_id).partition("-")
            entries.append(((int(millis), int(seq or 0)), fields))
    entries.sort(key=lambda entry: entry[0])
    return [{column: fields.get(column, "") for column in LABEL_COLUMNS} for _, fields in entries]


def write_labels_csv(rows: list[dict[str, str]], out: IO[str]) -> int:
    """Write labels as a UTF-8 CSV with a header; how many rows were written."""
    writer = csv.DictWriter(out, fieldnames=LABEL_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return len(rows)


def read_audit(
    client: redis.Redis, namespace: str = keys.DEFAULT_NAMESPACE, count: int = 100
) -> list[dict[str, str]]:
    """The newest ``count`` audit records, newest first, each with its stream entry id."""
    entries = client.xrevrange(keys.audit(namespace), count=count)
    return [{"entry": entry_id, **fields} for entry_id, fields in entries]  # type: ignore[union-attr]
