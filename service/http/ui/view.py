"""Small helpers of the moderator page: the queue, the context of a comment, ages, links."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from service.http.context import services
from service.http.site_auth import site_registry
from service.queue.history import History, commenter_history, parent_of
from service.queue.items import QueueItem, is_web_link
from service.queue.scope import ScopedQueue
from service.sites.scope import visible_namespaces

BATCH_SIZE = 20


def page_queue(moderator: str, site: str | None = None) -> ScopedQueue:
    """The queues of the sites this moderator sees (only ``site`` if named), with the
    configured lease and undo window."""
    ctx = services()
    allowed = ctx.settings.moderator_sites(moderator)
    namespaces = visible_namespaces(site_registry().names(), allowed, site)
    return ScopedQueue.over(
        ctx.redis,
        namespaces,
        lease_seconds=ctx.settings.lease_seconds,
        hold_seconds=ctx.settings.undo_seconds,
        durability=ctx.store.durability,
    )


def model_version() -> str:
    """The version of the model scoring new comments now (shown once, in the header)."""
    return str(services().models.get().version)


@dataclass(frozen=True)
class Context:
    """What a moderator sees around one comment: where it is, what it answers, who wrote it."""

    thread_link: str
    comment_link: str
    parent: QueueItem | None
    history: History


def page_link(item: QueueItem) -> str:
    """The article's address: the site's ``permalink``, else ``thread`` if it is a web link."""
    for candidate in (item.permalink, item.thread):
        if candidate and is_web_link(candidate):
            return candidate
    return ""


def comment_link(item: QueueItem) -> str:
    """The comment on the site: the article's address with WordPress's ``#comment-<id>``
    anchor when the site gave its own id (no fragment of its own), else ""."""
    base = page_link(item)
    if not base or not item.external_id or urlsplit(base).fragment:
        return ""
    return f"{base}#comment-{quote(item.external_id, safe='')}"


def context_of(item: QueueItem) -> Context:
    """The context of one comment, read from Redis (a few small reads)."""
    client = services().redis
    return Context(
        thread_link=page_link(item),
        comment_link=comment_link(item),
        parent=parent_of(client, item, item.site),
        history=commenter_history(client, item, item.site),
    )
