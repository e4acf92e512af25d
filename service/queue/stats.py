"""Queue statistics: depth, oldest age, leases, decisions per hour and per moderator."""

from __future__ import annotations

from collections import Counter
from typing import Any

from service.queue.agreement import read_agreement
from service.queue.items import format_time
from service.queue.metrics import record_queue
from service.queue.review import ReviewQueue
from service.store import keys

HOURS_SHOWN = 24


def read_stats(queue: ReviewQueue) -> dict[str, Any]:
    """A snapshot of the queue and of recent decisions."""
    queue.sweep()
    now = queue.clock()
    ns = queue.namespace
    this_hour = int(now // 3600)
    hours = [this_hour - i for i in range(HOURS_SHOWN)]
    pipe = queue.redis.pipeline(transaction=False)
    pipe.zcard(keys.queue_pending(ns))
    pipe.zcard(keys.queue_leases(ns))
    pipe.zrange(keys.queue_pending(ns), 0, 0, withscores=True)
    pipe.hvals(keys.queue_lease_owners(ns))
    # The audit stream's entry ids are millisecond times: the last hour, exactly.
    pipe.xrange(keys.audit(ns), min=str(int((now - 3600) * 1000)), max="+")
    for hour in hours:
        pipe.hgetall(keys.stats_decided(hour, ns))
    depth, leased, oldest, owners, recent, *buckets = pipe.execute()

    last_hour = [fields for _, fields in recent if fields.get("action") == "decide"]
    per_hour = []
    for hour, bucket in zip(hours, buckets, strict=True):
        per_hour.append(
            {
                "hour": format_time(hour * 3600),
                "total": int(bucket.get("total", 0)),
                "approved": int(bucket.get("status:approved", 0)),
                "rejected": int(bucket.get("status:rejected", 0)),
                "by_moderator": {
                    name.removeprefix("moderator:"): int(count)
                    for name, count in sorted(bucket.items())
                    if name.startswith("moderator:")
                },
            }
        )
    oldest_created = float(oldest[0][1]) if oldest else None
    oldest_age = None if oldest_created is None else round(max(0.0, now - oldest_created), 3)
    record_queue(int(depth), int(leased), oldest_age)
    return {
        "depth": int(depth),
        "available": max(0, int(depth) - int(leased)),
        "oldest_age_s": None
        if oldest_created is None
        else round(max(0.0, now - oldest_created), 3),
        "oldest_created_at": None if oldest_created is None else format_time(oldest_created),
        "leased": int(leased),
        "leased_by_moderator": dict(sorted(Counter(owners).items())),
        "decided_last_hour": len(last_hour),
        "decided_last_hour_by_moderator": dict(
            sorted(Counter(f.get("moderator", "") for f in last_hour).items())
        ),
        "decided_last_hour_by_status": dict(
            sorted(Counter(f.get("to", "") for f in last_hour).items())
        ),
        "decided_per_hour": per_hour,
        "agreement": read_agreement(queue.redis, now, ns),
    }


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
