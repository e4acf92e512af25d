"""Every Redis key modq uses, built here and nowhere else.

All keys start with ``modq:`` and carry one hash tag, ``{<namespace>}``, so
that the keys a transaction or Lua script touches together (a comment, the
review queue, the decision feed, the labels) live in one Redis Cluster slot.
One namespace is one moderation space (the default is ``default``); on a Redis
Cluster (``MODQ_REDIS_CLUSTER``) the namespaces spread over the masters by their
slot. No script, transaction or pipeline of modq spans two namespaces.

Keys (``P`` = ``modq:{default}``):

| key                        | type   | holds |
|----------------------------|--------|-------|
| P:comment:<id>             | hash   | one comment: fields, scores, reasons, status, times |
| P:comment:ext:<thread>:<external_id>  | string | id of the comment a site knows by its own id |
| P:queue:pending            | zset   | pending comment ids, scored by created_at (oldest first) |
| P:queue:leases             | zset   | leased comment ids, scored by lease expiry (unix seconds) |
| P:queue:lease_owners       | hash   | leased comment id -> moderator holding the lease |
| P:decisions                | stream | feed of final decisions; entry ids are the public cursors |
| P:labels                   | stream | one training label per decision (text, name, url, ...) |
| P:audit                    | stream | who decided what and when |
| P:stats:decided:<hour>     | hash   | decisions in one UTC hour: total and per moderator |
"""

from __future__ import annotations

PREFIX = "modq"
DEFAULT_NAMESPACE = "default"


def _base(namespace: str = DEFAULT_NAMESPACE) -> str:
    return f"{PREFIX}:{{{namespace}}}"


def comment(comment_id: str, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash of one comment."""
    return f"{_base(namespace)}:comment:{comment_id}"


def comment_by_external_id(
    thread: str, external_id: str, namespace: str = DEFAULT_NAMESPACE
) -> str:
    """String: the modq id of a comment a site knows by (thread, external_id)."""
    return f"{_base(namespace)}:comment:ext:{thread}:{external_id}"


def queue_pending(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of pending comment ids by created_at."""
    return f"{_base(namespace)}:queue:pending"


def queue_leases(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Sorted set of leased comment ids by lease expiry."""
    return f"{_base(namespace)}:queue:leases"


def queue_lease_owners(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash: leased comment id -> the moderator holding its lease (one key, so Lua declares it)."""
    return f"{_base(namespace)}:queue:lease_owners"


def decisions(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of final decisions (the websites' feed)."""
    return f"{_base(namespace)}:decisions"


def labels(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of training labels from moderator decisions."""
    return f"{_base(namespace)}:labels"


def audit(namespace: str = DEFAULT_NAMESPACE) -> str:
    """Stream of audit records (who decided what, when)."""
    return f"{_base(namespace)}:audit"


def stats_decided(hour: int, namespace: str = DEFAULT_NAMESPACE) -> str:
    """Hash of decision counts in one UTC hour (hour = unix seconds // 3600)."""
    return f"{_base(namespace)}:stats:decided:{hour}"
