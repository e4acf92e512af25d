"""Small helpers of the moderator page: the batch size, the queue, human-readable ages."""

from __future__ import annotations

from service.context import services
from service.queue import ReviewQueue

BATCH_SIZE = 20


def page_queue() -> ReviewQueue:
    """The review queue over this app's Redis, with the configured lease."""
    ctx = services()
    return ReviewQueue(
        ctx.redis, lease_seconds=ctx.settings.lease_seconds, durability=ctx.store.durability
    )


def age_text(seconds: float | None) -> str:
    """``75`` -> ``1 min``; ``7300`` -> ``2 h 1 min``; ``None`` -> ``unknown``."""
    if seconds is None:
        return "unknown"
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d"
