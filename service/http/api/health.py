"""Liveness and readiness probes."""

from __future__ import annotations

import redis
from flask import Blueprint, Response, jsonify

from service.http.context import services
from service.http.errors import UnavailableError
from service.http.openapi import documented
from service.http.schemas import Health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@documented("The process is alive", responses={200: Health}, tag="ops")
def healthz() -> Response:
    """The process is alive."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@documented(
    "Ready for traffic: Redis answers and a model is loaded",
    responses={200: Health},
    errors=(503,),
    tag="ops",
)
def readyz() -> Response:
    """Redis answers and a model is loaded: ready for traffic."""
    ctx = services()
    try:
        ctx.redis.ping()
    except redis.RedisError:
        raise UnavailableError("Redis is not reachable.") from None
    return jsonify({"status": "ready", "model_version": ctx.models.get().version})
