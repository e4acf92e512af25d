"""The request metrics of the Flask app and the /metrics exposition."""

from __future__ import annotations

import time
from pathlib import Path

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from service.metrics import LATENCY, REQUESTS, _child, flush, increment, observe

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
        increment(_child(REQUESTS, endpoint, method, response.status_code))
        if started is not None:
            observe(_child(LATENCY, endpoint), time.perf_counter() - started)
        return response


def render_metrics(multiprocess_dir: Path | None) -> Response:
    """The exposition text of every worker's metrics (or this process's)."""
    flush()
    if multiprocess_dir is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(multiprocess_dir))
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    return Response(body, content_type=CONTENT_TYPE_LATEST)
