"""The review queues of several namespaces (sites), worked by a moderator as one.

A moderator sees every site or only some (``MODQ_MODERATOR_TOKENS``), and may
narrow that to one site (``?site=``). Each namespace keeps its own queue, feed,
labels, stats and audit in its own hash tag; this module lists, claims and
decides across the namespaces a moderator may see, and never touches another.
Comment ids are unique across namespaces (``service.domain.new_comment_id``),
so one id finds its namespace, and one cursor orders a merged listing.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import redis

from service.errors import NotFoundError
from service.queue.items import QueueItem
from service.queue.order import Sort, decode_cursor, encode_cursor, sort_key
from service.queue.review import (
    Claim,
    Decision,
    DecisionResult,
    QueuePage,
    RejectReason,
    ReviewQueue,
)
from service.queue.stats import read_stats
from service.store import keys
from service.store.decision_log import read_audit


@dataclass
class ScopedQueue:
    """The queues of the namespaces one moderator may see (at least one)."""

    queues: list[ReviewQueue]

    @classmethod
    def over(
        cls,
        client: redis.Redis,
        namespaces: Iterable[str],
        lease_seconds: int = 300,
        clock: Callable[[], float] | None = None,
    ) -> ScopedQueue:
        """One ReviewQueue per namespace, sharing the client, lease and clock."""
        extra: dict[str, Any] = {} if clock is None else {"clock": clock}
        queues = [
            ReviewQueue(client, lease_seconds=lease_seconds, namespace=ns, **extra)
            for ns in namespaces
        ]
        if not queues:
            raise NotFoundError("You may see no site.")
        return cls(queues)

    @property
    def namespaces(self) -> list[str]:
        """The namespaces in scope."""
        return [q.namespace for q in self.queues]

    @property
    def lease_seconds(self) -> int:
        """The lease length of every queue in scope."""
        return self.queues[0].lease_seconds

    def clock(self) -> float:
        """Now, by the queues' clock."""
        return self.queues[0].clock()

    def queue_of(self, comment_id: str) -> ReviewQueue:
        """The queue of the namespace holding this comment (404 when none in scope does)."""
        if len(self.queues) == 1:
            return self.queues[0]
        pipe = self.queues[0].redis.pipeline(transaction=False)
        for queue in self.queues:
            pipe.exists(keys.comment(comment_id, queue.namespace))
        for queue, found in zip(self.queues, pipe.execute(), strict=True):
            if found:
                return queue
        raise NotFoundError(f"No comment with id {comment_id!r}.")

    def sweep(self) -> int:
        """Return every expired lease in scope to its queue."""
        return sum(queue.sweep() for queue in self.queues)

    def claim(
        self, moderator: str, limit: int, sort: Sort = Sort.OLDEST, thread: str | None = None
    ) -> Claim:
        """Lease up to ``limit`` comments over the namespaces in turn; renew every lease held."""
        items: list[QueueItem] = []
        expires = 0.0
        for queue in self.queues:
            claim = queue.claim(moderator, max(0, limit - len(items)), sort, thread)
            items += claim.items
            expires = claim.lease_expires_at
        if len(self.queues) > 1:
            items.sort(key=lambda item: (sort_key(sort, item), item.id))
        return Claim(items=items, lease_expires_at=expires)

    def release(self, moderator: str, comment_id: str) -> bool:
        """Give one lease back (404 outside the scope, 409 someone else's)."""
        return self.queue_of(comment_id).release(moderator, comment_id)

    def release_all(self, moderator: str) -> int:
        """Give back every lease the moderator holds in scope."""
        return sum(queue.release_all(moderator) for queue in self.queues)

    def decide(
        self,
        comment_id: str,
        moderator: str,
        decision: Decision,
        reason: RejectReason | None = None,
        via: str = "api",
        correct: bool = False,
    ) -> DecisionResult:
        """Decide (or, with ``correct``, re-decide) a comment of a namespace in scope."""
        return self.queue_of(comment_id).decide(
            comment_id, moderator, decision, reason, via=via, correct=correct
        )

    def get(self, comment_id: str) -> QueueItem:
        """One comment as moderators see it (404 outside the scope)."""
        return self.queue_of(comment_id).get(comment_id)

    def list_pending(
        self,
        sort: Sort = Sort.OLDEST,
        thread: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> QueuePage:
        """One page of the pending comments of every namespace in scope, merged in order."""
        if len(self.queues) == 1:
            return self.queues[0].list_pending(sort, thread, limit, cursor)
        after = decode_cursor(cursor, sort) if cursor is not None else None
        runs = []
        for queue in self.queues:
            queue.sweep()
            entries = queue._ordered(sort, thread)  # the order list_pending pages in
            runs.append(
                [(key, cid, queue) for key, cid in entries if after is None or (key, cid) > after]
            )
        merged = list(heapq.merge(*runs, key=lambda entry: (entry[0], entry[1])))
        page = merged[:limit]
        items: list[QueueItem] = []
        for queue in self.queues:
            ids = [cid for _, cid, owner in page if owner is queue]
            if ids:
                items += queue._items(ids, queue._lease_map(ids))
        order = {cid: i for i, (_, cid, _) in enumerate(page)}
        items.sort(key=lambda item: order[item.id])
        more = len(merged) > limit
        next_cursor = encode_cursor(sort, page[-1][0], page[-1][1]) if more and page else None
        return QueuePage(items=items, next=next_cursor)

    def stats(self) -> dict[str, Any]:
        """The queue stats of the scope: sums over its namespaces, each site's beside them."""
        each = {queue.namespace: read_stats(queue) for queue in self.queues}
        combined = each[self.queues[0].namespace] if len(each) == 1 else combine_stats(each)
        return {**combined, "sites": {ns: _site_summary(stats) for ns, stats in each.items()}}

    def audit(self, count: int) -> list[dict[str, str]]:
        """The newest ``count`` audit records of the scope, newest first, each naming its site."""
        records = []
        for queue in self.queues:
            for record in read_audit(queue.redis, queue.namespace, count):
                records.append({**record, "site": queue.namespace})
        records.sort(key=lambda r: tuple(int(p) for p in r["entry"].split("-")), reverse=True)
        return records[:count]


def _site_summary(stats: dict[str, Any]) -> dict[str, Any]:
    return {
        name: stats[name]
        for name in ("depth", "available", "leased", "oldest_age_s", "decided_last_hour")
    }


def _add_counts(total: dict[str, int], more: dict[str, int]) -> dict[str, int]:
    summed = Counter(total)
    summed.update(more)
    return dict(sorted(summed.items()))


def _add_tally(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    decisions = total["decisions"] + more["decisions"]
    agreed = total["agreed"] + more["agreed"]
    out: dict[str, Any] = {
        "decisions": decisions,
        "agreed": agreed,
        "rate": round(agreed / decisions, 4) if decisions else None,
    }
    if "by_head" in total:
        out["by_head"] = {
            head: _add_tally(tally, more["by_head"][head])
            for head, tally in total["by_head"].items()
        }
    return out


def combine_stats(each: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The stats of several namespaces as one (sums; the oldest comment of all)."""
    parts = list(each.values())
    out = dict(parts[0])
    for stats in parts[1:]:
        for name in ("depth", "available", "leased", "decided_last_hour"):
            out[name] += stats[name]
        for name in (
            "leased_by_moderator",
            "decided_last_hour_by_moderator",
            "decided_last_hour_by_status",
        ):
            out[name] = _add_counts(out[name], stats[name])
        if stats["oldest_age_s"] is not None and (
            out["oldest_age_s"] is None or stats["oldest_age_s"] > out["oldest_age_s"]
        ):
            out["oldest_age_s"] = stats["oldest_age_s"]
            out["oldest_created_at"] = stats["oldest_created_at"]
        out["decided_per_hour"] = [
            {
                "hour": mine["hour"],
                "total": mine["total"] + theirs["total"],
                "approved": mine["approved"] + theirs["approved"],
                "rejected": mine["rejected"] + theirs["rejected"],
                "by_moderator": _add_counts(mine["by_moderator"], theirs["by_moderator"]),
            }
            for mine, theirs in zip(out["decided_per_hour"], stats["decided_per_hour"], strict=True)
        ]
        out["agreement"] = {
            window: _add_tally(tally, stats["agreement"][window])
            for window, tally in out["agreement"].items()
        }
    return out
