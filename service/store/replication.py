"""Acknowledge a write only once replicas hold it: Redis's WAIT, sent on the write's connection.

Redis replicates asynchronously: a master answers a write before its replicas
have it, and a master killed in that moment loses the write for good when a
replica is promoted in its place (Redis Cluster's failover, Sentinel's). ``WAIT
<replicas> <timeout ms>`` sent on the same connection right after the writes
returns how many replicas acknowledged everything that connection wrote, at the
latest after the timeout. modq sends it after each batch of comment writes and
after each moderator decision (``MODQ_REDIS_WAIT_REPLICAS``, default 1 with
``MODQ_REDIS_CLUSTER``, else 0: no WAIT). A short count raises
``NotReplicatedError``: the request answers 503 with Retry-After instead of an
acknowledgement the next failover could take back. The write itself stays on
the master (a retried post with the same ``external_id`` gets it back).

Why WAIT and not the alternatives: ``min-replicas-to-write`` only refuses
writes while no replica is connected, and an acknowledged write can still be
missing from the replica that gets promoted; ``appendfsync always`` makes a
write survive a restart of its own node, not a failover to another one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

Command = Sequence[Any]


class NotReplicatedError(redis.RedisError):
    """Fewer replicas than required acknowledged a write in time (answered as a 503)."""


@dataclass(frozen=True)
class Durability:
    """How many replicas must hold a write before it is acknowledged, and how long to wait."""

    replicas: int = 0
    timeout_ms: int = 1000

    def wait_command(self) -> Command | None:
        """The WAIT to send after the writes, or None when the master's word suffices."""
        return None if self.replicas <= 0 else ("WAIT", self.replicas, self.timeout_ms)

    def settle(self, replies: list[Any], acknowledged: Any) -> list[Any]:
        """The writes' replies, each success replaced by ``NotReplicatedError`` when
        WAIT's ``acknowledged`` count (or error) falls short."""
        if not isinstance(acknowledged, Exception) and int(acknowledged) >= self.replicas:
            return replies
        error = NotReplicatedError(
            f"{acknowledged} of {self.replicas} replicas acknowledged the write within "
            f"{self.timeout_ms} ms (MODQ_REDIS_WAIT_REPLICAS, MODQ_REDIS_WAIT_TIMEOUT_MS)"
        )
        return [reply if isinstance(reply, Exception) else error for reply in replies]
