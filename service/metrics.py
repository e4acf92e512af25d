"""Prometheus metrics, correct under several gunicorn workers.

Under gunicorn (and `modq serve`), ``PROMETHEUS_MULTIPROC_DIR`` is set before
this module is imported, so every worker writes its samples to files there and
``/metrics`` merges them; gunicorn.conf.py empties the directory at start and
marks exited workers dead. Without it (tests, a single process) the default
registry is used.

The intake's own metrics (requests, latency, decisions, scores, batch sizes) are
buffered: a request appends its updates to a queue, and a flusher thread of each
process applies them in bulk every ``FLUSH_INTERVAL_S``, at most one write per
sample and flush. ``/metrics`` flushes its own process before rendering, and a
worker flushes as it exits, so a scrape lags the other workers by at most that
interval. Written one by one, each update is a locked write to a memory-mapped
file and a ``getpid()``: eight per comment, 6-11 % of the intake's CPU (experiments/SPEED.md,
2026-11-28, c415517 on the slow kind).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from bisect import bisect_left
from collections import deque
from typing import Any

from prometheus_client import (
    Counter,
    Histogram,
)

REQUESTS = Counter(
    "modq_http_requests_total",
    "HTTP requests by endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "modq_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint.",
    ["endpoint"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56),
)
DECISIONS = Counter(
    "modq_decisions_total",
    "Comments taken in, by the status answered and the policy's verdict (they differ "
    "only in shadow mode).",
    ["status", "verdict"],
)
SCORES = Histogram(
    "modq_comment_score",
    "Scores of comments taken in, by head.",
    ["head"],
    buckets=(0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
)

BATCH_SIZE = Histogram(
    "modq_score_batch_size",
    "Comments scored per model call by intake (concurrent requests share a call).",
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32),
)
# Incremented by `modq serve` (service/runtime/supervisor.py), whose samples /metrics
# sums with the workers'; declared here so that /metrics shows 0 before any restart.
EMBEDDED_REDIS_RESTARTS = Counter(
    "modq_embedded_redis_restarts",
    "Times `modq serve` restarted its embedded redis-server after it died.",
)
WRITE_BATCH_SIZE = Histogram(
    "modq_store_batch_size",
    "Comments written per Redis round trip by intake (concurrent requests share one).",
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32),
)


# Labelled children by label values: ``labels()`` takes a lock and checks its arguments on
# every call; a dict look-up does not (a child is made once per process and label values).
_children: dict[tuple[object, ...], Any] = {}


def _child(metric: Any, *values: object) -> Any:
    key = (id(metric), *values)
    child = _children.get(key)
    if child is None:
        child = _children[key] = metric.labels(*values)
    return child


FLUSH_INTERVAL_S = 0.2
_log = logging.getLogger(__name__)

# Updates not yet applied: (counter child, amount) and (histogram child, value). A
# deque's append and popleft are atomic, so request threads or greenlets and the flusher
# share them without a lock, and no update is taken twice or lost.
_increments: deque[tuple[Any, float]] = deque()
_observations: deque[tuple[Any, float]] = deque()
_flusher: threading.Thread | None = None
_flusher_lock = threading.Lock()


def increment(counter: Any, amount: float = 1.0) -> None:
    """``counter.inc(amount)``, applied at the next flush."""
    _increments.append((counter, amount))
    if _flusher is None:
        _start_flusher()


def observe(histogram: Any, value: float) -> None:
    """``histogram.observe(value)``, applied at the next flush."""
    _observations.append((histogram, value))
    if _flusher is None:
        _start_flusher()


def flush() -> None:
    """Apply every buffered update: one write per counter and histogram bucket touched."""
    # Histograms first: a scrape that sees a request counted sees its observations too.
    values: dict[Any, list[float]] = {}
    for histogram, value in _drain(_observations):
        values.setdefault(histogram, []).append(value)
    for histogram, observed in values.items():
        _observe_all(histogram, observed)
    totals: dict[Any, float] = {}
    for counter, amount in _drain(_increments):
        totals[counter] = totals.get(counter, 0.0) + amount
    for counter, amount in totals.items():
        counter.inc(amount)


def _drain(updates: deque[tuple[Any, float]]) -> list[tuple[Any, float]]:
    # popleft until empty: another flush at the same time takes the rest, none twice
    taken = []
    try:
        while True:
            taken.append(updates.popleft())
    except IndexError:
        return taken


def _observe_all(histogram: Any, values: list[float]) -> None:
    """Many ``observe`` calls as one: each bucket and the sum written once."""
    bounds = getattr(histogram, "_upper_bounds", None)
    buckets = getattr(histogram, "_buckets", None)
    total = getattr(histogram, "_sum", None)
    if bounds is None or buckets is None or total is None:  # another prometheus-client
        for value in values:
            histogram.observe(value)
        return
    counts = [0] * len(bounds)
    for value in values:
        if value == value:  # observe() puts a NaN in no bucket (it adds it to the sum)
            counts[bisect_left(bounds, value)] += 1  # the first bound >= value, as observe()
    total.inc(sum(values))
    for bucket, count in zip(buckets, counts, strict=True):
        if count:
            bucket.inc(count)


def _start_flusher() -> None:
    global _flusher
    with _flusher_lock:
        if _flusher is not None:
            return
        # Under gevent (monkey-patched) this thread is a greenlet of the worker's hub.
        _flusher = threading.Thread(target=_flush_forever, name="modq-metrics", daemon=True)
        _flusher.start()


def _flush_forever() -> None:
    last_report = -math.inf
    while True:
        time.sleep(FLUSH_INTERVAL_S)
        try:
            flush()
        except Exception:  # a metrics file could not grow (a full disk): serve on, and say so
            if time.monotonic() - last_report > 60:
                last_report = time.monotonic()
                _log.exception("could not write metrics; the updates of this flush are lost")


def _forget_flusher() -> None:
    # A forked worker has no threads: it starts its own flusher on its first update, and
    # what the master had buffered is the master's (it records none: it serves nothing).
    global _flusher, _flusher_lock
    _flusher = None
    _flusher_lock = threading.Lock()
    _increments.clear()
    _observations.clear()


os.register_at_fork(after_in_child=_forget_flusher)


def record_decision(status: str, verdict: str, spam: float, toxicity: float) -> None:
    """Count one intake decision and its scores."""
    increment(_child(DECISIONS, status, verdict))
    observe(_child(SCORES, "spam"), spam)
    observe(_child(SCORES, "toxicity"), toxicity)
