"""Small helpers of the moderator page: the batch size, the queue, human-readable ages."""

from __future__ import annotations

from service.http.context import services
from service.queue.review import ReviewQueue

BATCH_SIZE = 20


def page_queue() -> ReviewQueue:
    """The review queue over this app's Redis, with the configured lease."""
    ctx = services()
    return ReviewQueue(
        ctx.redis, lease_seconds=ctx.settings.lease_seconds, durability=ctx.store.durability
    )
