"""Small helpers of the moderator page: the batch size, the queue, human-readable ages."""

from __future__ import annotations

from service.context import services
from service.http.site_auth import site_registry
from service.queue_scope import ScopedQueue
from service.sites.scope import visible_namespaces

BATCH_SIZE = 20


def page_queue(moderator: str, site: str | None = None) -> ScopedQueue:
    """The queues of the sites this moderator sees (only ``site`` if named), their lease."""
    ctx = services()
    allowed = ctx.settings.moderator_sites(moderator)
    namespaces = visible_namespaces(site_registry().names(), allowed, site)
    return ScopedQueue.over(ctx.redis, namespaces, lease_seconds=ctx.settings.lease_seconds)


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
