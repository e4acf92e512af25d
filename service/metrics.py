"""Prometheus metrics, correct under several gunicorn workers.

Under gunicorn (and `modq serve`), ``PROMETHEUS_MULTIPROC_DIR`` is set before
this module is imported, so every worker writes its samples to files there and
``/metrics`` merges them; gunicorn.conf.py empties the directory at start and
marks exited workers dead. Without it (tests, a single process) the default
registry is used.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
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


def record_decision(status: str, verdict: str, spam: float, toxicity: float) -> None:
    """Count one intake decision and its scores."""
    _child(DECISIONS, status, verdict).inc()
    _child(SCORES, "spam").observe(spam)
    _child(SCORES, "toxicity").observe(toxicity)


# Any token is a valid HTTP method: a client inventing them must not grow the labels
# (nor the children cache above) without bound.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def install_metrics(app: Flask) -> None:
    """Time and count every request by its route."""

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        rule = request.url_rule
        endpoint = rule.rule if rule is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        _child(REQUESTS, endpoint, method, response.status_code).inc()
        if started is not None:
            _child(LATENCY, endpoint).observe(time.perf_counter() - started)
        return response


def render_metrics(multiprocess_dir: Path | None) -> Response:
    """The exposition text of every worker's metrics (or this process's)."""
    if multiprocess_dir is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(multiprocess_dir))
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
