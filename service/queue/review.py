"""The review queue: claim/lease, release, decide, sweep, listing and stats.

Redis layout (names built in ``service.store.keys``; ``P`` = ``modq:{default}``):
- ``P:queue:pending`` (zset, score created_at): every comment waiting for a
  moderator. The intake service adds to it; a decision removes from it.
- ``P:queue:leases`` (zset, score lease expiry in unix seconds) and
  ``P:queue:lease_owners`` (hash id -> moderator): leased comments stay in
  pending; a lease whose expiry has passed is swept back (inside claim, list,
  stats and release, so no background process is needed).
- ``P:decisions``, ``P:labels``, ``P:audit`` (streams) and
  ``P:stats:decided:<hour>`` (hash): written by the decision script only.

Every change that spans keys is one Lua script (``service/queue/scripts/*.lua``, each
with a header naming its KEYS and ARGV). Times are unix seconds from this
process's clock: run app instances with synchronised clocks (NTP).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import cache
from importlib import resources

import redis

from service.domain import CommentStatus
from service.errors import ConflictError, InvalidError, NotFoundError
from service.queue import metrics as queue_metrics
from service.queue.items import SCORE_FIELDS, QueueItem, format_time, parse_time
from service.queue.order import Sort, decode_cursor, encode_cursor, sort_key
from service.store import keys

# Sorts other than by age read this many of the oldest pending comments.
MAX_SORT_SCAN = 20_000
STATS_TTL_S = 8 * 24 * 3600
CLAIM_ATTEMPTS = 10


class Decision(str, Enum):
    """What a moderator decides about a pending comment."""

    APPROVE = "approve"
    REJECT = "reject"


class RejectReason(str, Enum):
    """Why a comment was rejected; spam and toxic become training labels."""

    SPAM = "spam"
    TOXIC = "toxic"
    OTHER = "other"


@cache
def _lua(name: str) -> str:
    return resources.files("service.queue").joinpath("scripts", f"{name}.lua").read_text("utf-8")


@dataclass(frozen=True)
class Claim:
    """Comments leased to one moderator, and when the lease ends."""

    items: list[QueueItem]
    lease_expires_at: float


@dataclass(frozen=True)
class QueuePage:
    """One page of the listing and the cursor of the next (None at the end)."""

    items: list[QueueItem]
    next: str | None


@dataclass(frozen=True)
class DecisionResult:
    """A recorded decision: the comment's new status and its feed entry."""

    id: str
    status: CommentStatus
    reason: str | None
    decided_at: str
    decided_by: str
    feed_id: str
    event: str = "decided"  # "corrected": feedback, or a correction of an earlier decision
    previous: str = "pending"  # the status before


class Feedback(str, Enum):
    """What a site says a comment was: its status follows (spam/toxic rejected, ham approved)."""

    SPAM = "spam"
    HAM = "ham"
    TOXIC = "toxic"


FEEDBACK_DECISIONS: dict[Feedback, tuple[Decision, RejectReason | None]] = {
    Feedback.SPAM: (Decision.REJECT, RejectReason.SPAM),
    Feedback.TOXIC: (Decision.REJECT, RejectReason.TOXIC),
    Feedback.HAM: (Decision.APPROVE, None),
}
SITE_PREFIX = "site:"  # who decided, for a site's feedback: site:<name>


def _label_for(decision: Decision, reason: RejectReason | None) -> tuple[str, str] | None:
    """(spam, toxic) label values, or None when the decision teaches nothing."""
    if decision is Decision.APPROVE:
        return ("0", "0")
    if reason is RejectReason.SPAM:
        return ("1", "")
    if reason is RejectReason.TOXIC:
        return ("", "1")
    return None


@dataclass
class ReviewQueue:
    """The review queue of one namespace, over one Redis client."""

    redis: redis.Redis
    lease_seconds: int = 300
    clock: Callable[[], float] = time.time
    namespace: str = keys.DEFAULT_NAMESPACE
    _scripts: dict[str, object] = field(default_factory=dict, repr=False)

    def _run(self, name: str, keys_: list[str], args: list[str | float | int]) -> object:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.redis.register_script(_lua(name))
        return script(keys=keys_, args=args)  # type: ignore[operator]

    @property
    def _pending(self) -> str:
        return keys.queue_pending(self.namespace)

    @property
    def _leases(self) -> str:
        return keys.queue_leases(self.namespace)

    @property
    def _owners(self) -> str:
        return keys.queue_lease_owners(self.namespace)

    def sweep(self) -> int:
        """Return comments whose lease expired to the queue; how many there were."""
        return int(self._run("sweep", [self._leases, self._owners], [self.clock()]))  # type: ignore[call-overload]

    def claim(
        self, moderator: str, limit: int, sort: Sort = Sort.OLDEST, thread: str | None = None
    ) -> Claim:
        """Lease up to ``limit`` comments to ``moderator`` (own live leases first, renewed).

        Every lease the moderator holds is renewed; ``limit=0`` only renews.
        """
        now = self.clock()
        expires = now + self.lease_seconds
        by_age = sort is Sort.OLDEST and thread is None
        ordered = [] if by_age or limit <= 0 else [cid for _, cid in self._ordered(sort, thread)]
        claimed: list[str] = []
        candidates: list[str]
        for _ in range(CLAIM_ATTEMPTS):
            # At most ZCARD(leases) candidates are leased already, so this many suffice,
            # unless a concurrent claim leased some since: then the loop asks again.
            want = limit + int(self.redis.zcard(self._leases))  # type: ignore[arg-type]
            if limit <= 0:  # only renew what is held
                candidates, exhausted = [], True
            elif by_age:
                candidates = self.redis.zrange(self._pending, 0, want - 1)  # type: ignore[assignment]
                exhausted = len(candidates) < want
            else:
                candidates, exhausted = ordered[:want], len(ordered) <= want
            claimed = list(
                self._run(  # type: ignore[call-overload]
                    "claim",
                    [self._pending, self._leases, self._owners],
                    [moderator, now, expires, limit, *candidates],
                )
            )
            if len(claimed) >= limit or exhausted:
                break
        leases = {cid: (moderator, expires) for cid in claimed}
        items = self._items(claimed, leases)
        order = {cid: i for i, (_, cid) in enumerate(self._sort_keys(items, sort))}
        items.sort(key=lambda item: order[item.id])
        return Claim(items=items, lease_expires_at=expires)

    def release(self, moderator: str, comment_id: str) -> bool:
        """Give one lease back; False when it was not leased. 404 unknown, 409 someone else's."""
        if not self.redis.exists(keys.comment(comment_id, self.namespace)):
            raise NotFoundError(f"No comment with id {comment_id!r}.")
        outcome = self._release(moderator, [comment_id])[comment_id]
        if outcome.startswith("held:"):
            raise ConflictError(
                f"Comment {comment_id} is leased by {outcome[5:]}; only they can release it."
            )
        return outcome == "released"

    def release_all(self, moderator: str) -> int:
        """Give back every lease ``moderator`` holds; how many there were."""
        return sum(1 for o in self._release(moderator, []).values() if o == "released")

    def _release(self, moderator: str, ids: list[str]) -> dict[str, str]:
        pairs = self._run("release", [self._leases, self._owners], [moderator, self.clock(), *ids])
        return {str(cid): str(outcome) for cid, outcome in pairs}  # type: ignore[attr-defined]

    def decide(
        self,
        comment_id: str,
        moderator: str,
        decision: Decision,
        reason: RejectReason | None = None,
        via: str = "api",
        correct: bool = False,
        by_site: bool = False,
    ) -> DecisionResult:
        """Record a final decision once, atomically with leaving the queue (404/409 otherwise).

        ``correct``: re-decide a comment decided before (automatically or by a moderator).
        ``by_site``: ``moderator`` is ``site:<name>``, a site's feedback (a correction
        that overrides leases).
        """
        if decision is Decision.APPROVE and reason is not None:
            raise InvalidError(
                "A reason goes with reject only.", fields={"reason": "omit it when approving"}
            )
        if decision is Decision.REJECT and reason is None:
            raise InvalidError(
                "Say why the comment is rejected.", fields={"reason": "one of spam, toxic, other"}
            )
        status = CommentStatus.APPROVED if decision is Decision.APPROVE else CommentStatus.REJECTED
        label = _label_for(decision, reason)
        now = self.clock()
        decided_at = format_time(now)
        ns = self.namespace
        result = self._run(
            "decide",
            [
                keys.comment(comment_id, ns),
                self._pending,
                self._leases,
                self._owners,
                keys.decisions(ns),
                keys.labels(ns),
                keys.audit(ns),
                keys.stats_decided(int(now // 3600), ns),
            ],
            [
                comment_id,
                moderator,
                now,
                decided_at,
                CommentStatus.PENDING.value,
                status.value,
                reason.value if reason else "",
                label[0] if label else "",
                label[1] if label else "",
                "1" if label else "0",
                STATS_TTL_S,
                via,
                "1" if correct or by_site else "0",
                "site" if by_site else "moderator",
            ],
        )
        outcome = [str(part) for part in result]  # type: ignore[attr-defined]
        if outcome[0] == "not_found":
            raise NotFoundError(f"No comment with id {comment_id!r}.")
        if outcome[0] == "decided":
            raise ConflictError(f"Comment {comment_id} was already decided: {outcome[1]}.")
        if outcome[0] == "leased":
            raise ConflictError(
                f"Comment {comment_id} is leased by {outcome[1]} until "
                f"{format_time(float(outcome[2]))}; claim it after the lease ends."
            )
        event = outcome[3] if len(outcome) > 3 else "decided"
        created = parse_time(outcome[2]) if len(outcome) > 2 and event == "decided" else None
        if not by_site:
            queue_metrics.record_decision(
                status.value,
                reason.value if reason else None,
                None if created is None else now - created,
            )
        return DecisionResult(
            id=comment_id,
            status=status,
            reason=reason.value if reason else None,
            decided_at=decided_at,
            decided_by=moderator,
            feed_id=outcome[1],
            event=event,
            previous=outcome[4] if len(outcome) > 4 else CommentStatus.PENDING.value,
        )

    def feedback(self, comment_id: str, site: str, label: Feedback) -> DecisionResult:
        """A site's word on one of its comments: status, queue, label, feed, audit (404 unknown)."""
        decision, reason = FEEDBACK_DECISIONS[label]
        return self.decide(
            comment_id, SITE_PREFIX + site, decision, reason, via="feedback", by_site=True
        )

    def list_pending(
        self,
        sort: Sort = Sort.OLDEST,
        thread: str | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> QueuePage:
        """One page of pending comments in ``sort`` order, after ``cursor``."""
        self.sweep()
        ordered = self._ordered(sort, thread)
        if cursor is not None:
            after = decode_cursor(cursor, sort)
            ordered = [entry for entry in ordered if entry > after]
        page = ordered[:limit]
        leases = self._lease_map([cid for _, cid in page])
        items = self._items([cid for _, cid in page], leases)
        more = len(ordered) > limit
        next_cursor = encode_cursor(sort, *page[-1]) if more and page else None
        return QueuePage(items=items, next=next_cursor)

    def get(self, comment_id: str) -> QueueItem:
        """One comment as moderators see it (404 when unknown)."""
        items = self._items([comment_id], self._lease_map([comment_id]))
        if not items:
            raise NotFoundError(f"No comment with id {comment_id!r}.")
        return items[0]

    def _ordered(self, sort: Sort, thread: str | None) -> list[tuple[float, str]]:
        """(sort key, id) of the pending comments matching ``thread``, ascending."""
        entries: list[tuple[str, float]] = self.redis.zrange(  # type: ignore[assignment]
            self._pending, 0, MAX_SORT_SCAN - 1, withscores=True
        )
        if sort in (Sort.OLDEST, Sort.NEWEST) and thread is None:
            sign = 1.0 if sort is Sort.OLDEST else -1.0
            return sorted((sign * created, cid) for cid, created in entries)
        pipe = self.redis.pipeline(transaction=False)
        for cid, _ in entries:
            pipe.hmget(keys.comment(cid, self.namespace), ["thread", *SCORE_FIELDS])
        rows = pipe.execute()
        out: list[tuple[float, str]] = []
        for (cid, created), (item_thread, *scores) in zip(entries, rows, strict=True):
            if thread is not None and item_thread != thread:
                continue
            fields = {h: v for h, v in zip(SCORE_FIELDS, scores, strict=True) if v is not None}
            item = QueueItem.from_hash({**fields, "created_at": str(created)})
            out.append((sort_key(sort, item), cid))
        return sorted(out)

    def _sort_keys(self, items: list[QueueItem], sort: Sort) -> list[tuple[float, str]]:
        return sorted((sort_key(sort, item), item.id) for item in items)

    def _lease_map(self, ids: list[str]) -> dict[str, tuple[str, float]]:
        if not ids:
            return {}
        pipe = self.redis.pipeline(transaction=False)
        for cid in ids:
            pipe.zscore(self._leases, cid)
        pipe.hmget(self._owners, ids)
        *expiries, owners = pipe.execute()
        now = self.clock()
        return {
            cid: (owner, float(expiry))
            for cid, expiry, owner in zip(ids, expiries, owners, strict=True)
            if expiry is not None and owner is not None and float(expiry) > now
        }

    def _items(self, ids: list[str], leases: dict[str, tuple[str, float]]) -> list[QueueItem]:
        pipe = self.redis.pipeline(transaction=False)
        for cid in ids:
            pipe.hgetall(keys.comment(cid, self.namespace))
        items = []
        for cid, fields in zip(ids, pipe.execute(), strict=True):
            if fields:
                fields.setdefault("id", cid)
                owner, expiry = leases.get(cid, (None, None))
                item = QueueItem.from_hash(fields, owner, expiry)
                items.append(replace(item, site=self.namespace))
        return items
