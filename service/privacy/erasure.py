"""Erasing and exporting one commenter's data.

A commenter is found by e-mail address (case-insensitive), IP address, or a site's
own author id (``external_author``, with the site). Their comments are found by
scanning the comment hashes of one namespace (``--site``) or of all of them.

Erasing a comment removes its personal fields (``PERSONAL_FIELDS``: name, e-mail,
IP, user agent, URL, referrer, the site's author id) from its hash, and its text
unless the site keeps the comment (approved: published; pending: still on its way
there, and the moderators need the text to decide). Training labels of those
comments (the labels stream) lose name, e-mail domain and URL; a label whose text
goes is deleted, since a label without text teaches nothing. The comment leaves the
commenter's history index (keyed by a hash of the e-mail address) and its Akismet
lookup key (a hash of author, text and IP) is deleted. The decision feed
and the audit log hold ids, statuses and moderators only: nothing of the
commenter to erase. The review queue holds ids only: its items show what is left
of the hash.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import redis

from service.domain import CommentStatus
from service.store import keys
from service.store.comments import email_hash

PERSONAL_FIELDS = ("name", "email", "ip", "user_agent", "url", "referrer", "external_author")
# Text of these statuses stays: the site shows the comment, or it awaits a decision.
TEXT_KEPT = frozenset({CommentStatus.APPROVED.value, CommentStatus.PENDING.value})
LABEL_PERSONAL_FIELDS = ("name", "email", "url")
_MATCH_FIELDS = ("email", "ip", "external_author", "status", "akismet_lookup")
_SCAN_COUNT = 1000
_BATCH = 500


@dataclass(frozen=True)
class Person:
    """Whom to look for: one of e-mail, IP, or (with a site) the site's author id."""

    email: str | None = None
    ip: str | None = None
    external_author: str | None = None
    site: str | None = None  # namespace; None: every namespace

    def __post_init__(self) -> None:
        given = [v for v in (self.email, self.ip, self.external_author) if v]
        if len(given) != 1:
            raise ValueError("name exactly one of e-mail, IP address or external author")
        if self.external_author and not self.site:
            raise ValueError("an external author id is a site's: name the site too")
        if self.ip:
            ipaddress.ip_address(self.ip)  # ValueError for a malformed address

    def matches(self, fields: dict[str, str | None]) -> bool:
        """Whether a comment's fields are this person's."""
        if self.email:
            return (fields.get("email") or "").strip().lower() == self.email.strip().lower()
        if self.ip:
            stored = fields.get("ip") or ""
            try:
                return ipaddress.ip_address(stored) == ipaddress.ip_address(self.ip)
            except ValueError:
                return False
        return (fields.get("external_author") or "") == self.external_author


@dataclass
class ErasureReport:
    """What an erasure changed."""

    comments: list[str] = field(default_factory=list)  # "<namespace>/<id>"
    texts_erased: int = 0
    labels_scrubbed: int = 0
    labels_deleted: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "comments": len(self.comments),
            "texts_erased": self.texts_erased,
            "labels_scrubbed": self.labels_scrubbed,
            "labels_deleted": self.labels_deleted,
            "ids": self.comments,
        }


def find_comments(
    client: redis.Redis, person: Person
) -> Iterator[tuple[str, str, dict[str, str | None]]]:
    """(namespace, comment id, matched fields) of each comment of ``person``."""
    pattern = keys.comment("*", person.site or "*")
    batch: list[str] = []
    for key in client.scan_iter(match=pattern, count=_SCAN_COUNT):
        name = key.decode() if isinstance(key, bytes) else str(key)
        if ":comment:ext:" in name:
            continue
        batch.append(name)
        if len(batch) >= _BATCH:
            yield from _matching(client, person, batch)
            batch = []
    if batch:
        yield from _matching(client, person, batch)


def _matching(
    client: redis.Redis, person: Person, names: list[str]
) -> Iterator[tuple[str, str, dict[str, str | None]]]:
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hmget(name, list(_MATCH_FIELDS))
    for name, values in zip(names, pipe.execute(), strict=True):
        fields = {k: _text(v) for k, v in zip(_MATCH_FIELDS, values, strict=True)}
        if fields["status"] is not None and person.matches(fields):
            namespace, comment_id = _parse_comment_key(name)
            yield namespace, comment_id, fields


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _parse_comment_key(name: str) -> tuple[str, str]:
    # modq:{<namespace>}:comment:<id>
    namespace = name[name.index("{") + 1 : name.index("}")]
    return namespace, name.rsplit(":", 1)[1]


def erase_person(client: redis.Redis, person: Person, *, now: float | None = None) -> ErasureReport:
    """Remove ``person``'s personal fields everywhere modq keeps them; what changed."""
    report = ErasureReport()
    erased_at = repr(time.time() if now is None else now)
    by_namespace: dict[str, dict[str, bool]] = {}  # namespace -> comment id -> text erased
    for namespace, comment_id, fields in list(find_comments(client, person)):
        erase_text = fields["status"] not in TEXT_KEPT
        # One transaction per comment: its fields go together (one hash tag).
        pipe = client.pipeline(transaction=True)
        key = keys.comment(comment_id, namespace)
        pipe.hdel(key, *PERSONAL_FIELDS, "akismet_lookup", *(("text",) if erase_text else ()))
        pipe.hset(key, "erased_at", erased_at)
        # the indexes that name the comment by a hash of personal data
        if fields.get("email"):
            pipe.zrem(keys.commenter(email_hash(fields["email"] or ""), namespace), comment_id)
        if fields.get("akismet_lookup"):
            pipe.delete(keys.akismet_lookup(fields["akismet_lookup"] or "", namespace))
        pipe.execute()
        by_namespace.setdefault(namespace, {})[comment_id] = erase_text
        report.comments.append(f"{namespace}/{comment_id}")
        report.texts_erased += erase_text
    for namespace, ids in by_namespace.items():
        scrubbed, deleted = _scrub_labels(client, namespace, ids)
        report.labels_scrubbed += scrubbed
        report.labels_deleted += deleted
    return report


def _scrub_labels(client: redis.Redis, namespace: str, ids: dict[str, bool]) -> tuple[int, int]:
    """Labels of these comments: personal fields removed (re-added, as entries cannot
    change), or deleted where the text went too."""
    stream = keys.labels(namespace)
    scrubbed = deleted = 0
    for entry_id, fields in _entries(client, stream):
        comment_id = fields.get("id")
        if comment_id not in ids:
            continue
        pipe = client.pipeline(transaction=True)
        pipe.xdel(stream, entry_id)
        if ids[comment_id]:
            deleted += 1
        else:
            scrubbed_fields: dict[Any, Any] = {
                **fields,
                **dict.fromkeys(LABEL_PERSONAL_FIELDS, ""),
            }
            pipe.xadd(stream, scrubbed_fields)
            scrubbed += 1
        pipe.execute()
    return scrubbed, deleted


def _entries(client: redis.Redis, stream: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Every entry of a stream, oldest first, read in chunks."""
    start = "-"
    while True:
        chunk: Any = client.xrange(stream, min=start, max="+", count=_BATCH)
        for entry_id, fields in chunk:
            yield _text(entry_id) or "", {_text(k) or "": _text(v) or "" for k, v in fields.items()}
        if len(chunk) < _BATCH:
            return
        start = "(" + (_text(chunk[-1][0]) or "")


def export_person(client: redis.Redis, person: Person) -> dict[str, Any]:
    """Everything modq holds about ``person``: comments, labels, feed and audit entries."""
    comments: list[dict[str, Any]] = []
    ids_by_namespace: dict[str, set[str]] = {}
    for namespace, comment_id, _ in find_comments(client, person):
        stored: Any = client.hgetall(keys.comment(comment_id, namespace))
        record = {_text(k) or "": _text(v) for k, v in stored.items()}
        comments.append({"site": namespace, **record})
        ids_by_namespace.setdefault(namespace, set()).add(comment_id)
    related: dict[str, list[dict[str, Any]]] = {"labels": [], "decisions": [], "audit": []}
    for namespace, ids in ids_by_namespace.items():
        for kind, stream in (
            ("labels", keys.labels(namespace)),
            ("decisions", keys.decisions(namespace)),
            ("audit", keys.audit(namespace)),
        ):
            related[kind] += [
                {"site": namespace, "entry": entry_id, **fields}
                for entry_id, fields in _entries(client, stream)
                if fields.get("id") in ids
            ]
    return {"person": _describe(person), "comments": comments, **related}


def _describe(person: Person) -> dict[str, str]:
    described = {
        "email": person.email,
        "ip": person.ip,
        "external_author": person.external_author,
        "site": person.site,
    }
    return {k: v for k, v in described.items() if v}
