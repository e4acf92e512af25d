"""What moderators read beside the queue: recent automatic decisions, a commenter's
history and a reply's parent, from the indexes the intake script writes
(``keys.auto_decided``, ``keys.commenter``; see ``service.store``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import quote

import redis

from service.domain import CommentStatus, is_comment_id
from service.queue.items import QueueItem
from service.store import keys
from service.store.comments import HISTORY_SIZE

# A score band filter reads at most this many of the newest automatic decisions.
BAND_SCAN = 1000
HISTORY_SHOWN = 5
# Score bands of the automatic tabs, on the larger head score: (name, low, high).
BANDS = (("0-0.2", 0.0, 0.2), ("0.2-0.5", 0.2, 0.5), ("0.5-0.8", 0.5, 0.8), ("0.8-1", 0.8, 1.01))


@dataclass(frozen=True)
class AutoPage:
    """Newest automatic decisions first, and where the next (older) page starts."""

    items: list[QueueItem]
    older_than: float | None


@dataclass(frozen=True)
class History:
    """One commenter's other comments on this site: counts per status and the newest few."""

    counts: dict[str, int] = field(default_factory=dict)
    recent: list[QueueItem] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many other comments the index holds."""
        return sum(self.counts.values())


def band_range(band: str | None) -> tuple[float, float] | None:
    """The (low, high) of a band's name; None for all scores (or an unknown name)."""
    for name, low, high in BANDS:
        if name == band:
            return (low, high)
    return None


def _load(client: redis.Redis, ids: list[str], namespace: str) -> list[QueueItem]:
    pipe = client.pipeline(transaction=False)
    for cid in ids:
        pipe.hgetall(keys.comment(cid, namespace))
    out = []
    for cid, fields in zip(ids, pipe.execute(), strict=True):
        if fields:
            fields.setdefault("id", cid)
            out.append(QueueItem.from_hash(fields))
    return out


def recent_automatic(
    client: redis.Redis,
    status: CommentStatus,
    band: str | None = None,
    limit: int = 50,
    older_than: float | None = None,
    namespaces: list[str] | None = None,
) -> AutoPage:
    """Comments approved or rejected at intake in these namespaces (sites), newest first,
    in a score band if named."""
    span = band_range(band)
    top = f"({older_than}" if older_than is not None else "+inf"
    scan = limit + 1 if span is None else BAND_SCAN
    created: dict[str, float] = {}
    items: list[QueueItem] = []
    for namespace in namespaces or [keys.DEFAULT_NAMESPACE]:
        entries: list[tuple[str, float]] = client.zrevrangebyscore(
            keys.auto_decided(status.value, namespace), top, "-inf", 0, scan, withscores=True
        )
        created.update(entries)
        items += [
            replace(item, site=namespace)
            for item in _load(client, [cid for cid, _ in entries], namespace)
        ]
    items.sort(key=lambda item: created.get(item.id, 0.0), reverse=True)
    if span is not None:
        items = [i for i in items if span[0] <= i.deciding_score() < span[1]]
    page = items[:limit]
    more = len(items) > limit
    return AutoPage(items=page, older_than=created.get(page[-1].id) if more and page else None)


def commenter_history(
    client: redis.Redis,
    item: QueueItem,
    namespace: str = keys.DEFAULT_NAMESPACE,
) -> History:
    """The other comments of ``item``'s e-mail address (matched by its hash)."""
    if not item.email_hash:
        return History()
    ids: list[str] = client.zrevrange(  # type: ignore[assignment]
        keys.commenter(item.email_hash, namespace), 0, HISTORY_SIZE - 1
    )
    ids = [cid for cid in ids if cid != item.id]
    pipe = client.pipeline(transaction=False)
    for cid in ids:
        pipe.hget(keys.comment(cid, namespace), "status")
    counts: dict[str, int] = {}
    for status in pipe.execute():
        if status:
            counts[status] = counts.get(status, 0) + 1
    return History(counts=counts, recent=_load(client, ids[:HISTORY_SHOWN], namespace))


def parent_of(
    client: redis.Redis, item: QueueItem, namespace: str = keys.DEFAULT_NAMESPACE
) -> QueueItem | None:
    """The stored comment ``item`` replies to: ``parent_id`` as a modq id, else as the
    site's own id in the same thread; None when neither names a stored comment."""
    if not item.parent_id:
        return None
    candidates = []
    if is_comment_id(item.parent_id):
        candidates.append(item.parent_id)
    by_site = client.get(
        keys.comment_by_external_id(
            quote(item.thread, safe=""), quote(item.parent_id, safe=""), namespace
        )
    )
    if by_site:
        candidates.append(str(by_site))
    for cid in candidates:
        found = _load(client, [cid], namespace)
        if found:
            return found[0]
    return None
