"""The API's description and the Prometheus metrics."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from service.http.context import services
from service.http.metrics import render_metrics
from service.http.openapi import build_openapi, documented

bp = Blueprint("meta", __name__)


@bp.get("/openapi.json")
@documented("This document: OpenAPI 3.1 generated from the validating models", tag="ops")
def openapi() -> Response:
    """The OpenAPI 3.1 description of every route."""
    document = current_app.extensions.get("modq.openapi")
    if document is None:
        document = build_openapi(current_app, services().models.get().version)
        current_app.extensions["modq.openapi"] = document
    return jsonify(document)


@bp.get("/metrics")
@documented(
    "Prometheus metrics of every worker", tag="ops", response_type="text/plain; version=0.0.4"
)
def metrics() -> Response:
    """Requests and latency per endpoint, decisions by status, score histograms."""
    return render_metrics(services().settings.metrics_dir)
