"""Small helpers of the moderator page: the batch size, the queue, human-readable ages."""

from __future__ import annotations

from service.http.context import services
from service.http.site_auth import site_registry
from service.queue.scope import ScopedQueue
from service.sites.scope import visible_namespaces

BATCH_SIZE = 20


def page_queue(moderator: str, site: str | None = None) -> ScopedQueue:
    """The queues of the sites this moderator sees (only ``site`` if named), their lease."""
    ctx = services()
    allowed = ctx.settings.moderator_sites(moderator)
    namespaces = visible_namespaces(site_registry().names(), allowed, site)
    return ScopedQueue.over(ctx.redis, namespaces, lease_seconds=ctx.settings.lease_seconds)
