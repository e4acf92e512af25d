"""Prometheus metrics of the review queue (merged across gunicorn workers like the others).

Counters move when a moderator decides; the gauges hold the queue as last read
by a stats call (the page reads stats on every load and decision, and every
minute while a moderator is at work; ``GET /v1/queue/stats`` reads them too).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MODERATOR_DECISIONS = Counter(
    "modq_moderator_decisions_total",
    "Final decisions on pending comments by moderators, by status and reason.",
    ["status", "reason"],
)
TIME_TO_DECISION = Histogram(
    "modq_time_to_decision_seconds",
    "Time from a comment's arrival to a moderator's decision.",
    buckets=(60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 3 * 86400),
)
QUEUE_DEPTH = Gauge(
    "modq_queue_depth",
    "Pending comments, as of the last stats read.",
    multiprocess_mode="mostrecent",
)
QUEUE_LEASED = Gauge(
    "modq_queue_leased", "Pending comments leased to a moderator.", multiprocess_mode="mostrecent"
)
QUEUE_OLDEST_AGE = Gauge(
    "modq_queue_oldest_age_seconds",
    "Age of the oldest pending comment (0 when the queue is empty).",
    multiprocess_mode="mostrecent",
)


def record_decision(status: str, reason: str | None, age_s: float | None) -> None:
    """Count one moderator decision and how long the comment waited."""
    MODERATOR_DECISIONS.labels(status=status, reason=reason or "").inc()
    if age_s is not None:
        TIME_TO_DECISION.observe(max(0.0, age_s))


def record_queue(depth: int, leased: int, oldest_age_s: float | None) -> None:
    """Set the queue gauges from a stats read."""
    QUEUE_DEPTH.set(depth)
    QUEUE_LEASED.set(leased)
    QUEUE_OLDEST_AGE.set(oldest_age_s or 0.0)
