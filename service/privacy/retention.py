"""Retention: decided comments lose the commenter's IP, user agent and e-mail in time.

``MODQ_RETENTION_DAYS`` (default 90) after it was posted, a comment that is no
longer pending keeps no ``ip``, ``user_agent``, ``referrer`` or ``email`` (the
labels never had more than the e-mail's domain). Pending comments keep them until
decided: the moderators may need them. The sweep scans every namespace's comment
hashes; each worker runs it once an hour under a lock in Redis, so one process of
all hosts does the work (service/runtime/retention.py), and ``modq privacy sweep``
runs it at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from service.domain import CommentStatus
from service.store import keys

RETAINED_FIELDS = ("ip", "user_agent", "referrer", "email")
_FIELDS = ("status", "created_at", *RETAINED_FIELDS)
_BATCH = 500


@dataclass
class RetentionReport:
    """What a sweep did."""

    scanned: int = 0
    stripped: int = 0


def sweep_retention(client: redis.Redis, days: int, *, now: float | None = None) -> RetentionReport:
    """Strip IP, user agent, referrer and e-mail from decided comments older than ``days``."""
    cutoff = (time.time() if now is None else now) - days * 86400
    report = RetentionReport()
    batch: list[str] = []
    for key in client.scan_iter(match=keys.comment("*", "*"), count=1000):
        name = key.decode() if isinstance(key, bytes) else str(key)
        if ":comment:ext:" in name:
            continue
        batch.append(name)
        if len(batch) >= _BATCH:
            _sweep(client, batch, cutoff, report)
            batch = []
    if batch:
        _sweep(client, batch, cutoff, report)
    return report


def _sweep(client: redis.Redis, names: list[str], cutoff: float, report: RetentionReport) -> None:
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.hmget(name, list(_FIELDS))
    stale: list[str] = []
    for name, values in zip(names, pipe.execute(), strict=True):
        report.scanned += 1
        status, created_at, *personal = values
        if status is None or _text(status) == CommentStatus.PENDING.value:
            continue
        try:
            old = float(_text(created_at) or "inf") < cutoff
        except ValueError:
            continue
        if old and any(v for v in personal):
            stale.append(name)
    if stale:
        pipe = client.pipeline(transaction=False)
        for name in stale:
            pipe.hdel(name, *RETAINED_FIELDS)
        pipe.execute()
        report.stripped += len(stale)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
