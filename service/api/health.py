"""Liveness and readiness probes."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify

from service.context import services
from service.errors import UnavailableError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Redis answers and a model is loaded: ready for traffic."""
    ctx = services()
    try:
        ctx.redis.ping()
    except redis.RedisError:
        raise UnavailableError("Redis is not reachable.") from None
    return jsonify({"status": "ready", "model_version": ctx.models.get().version})
