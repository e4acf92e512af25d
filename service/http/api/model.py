"""The model in use: version, when it was trained, thresholds in force, metrics."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from service.http.context import services
from service.http.openapi import documented
from service.http.schemas import ModelInfo
from service.moderation.scoring import thresholds_for

bp = Blueprint("model", __name__)


@bp.get("/v1/model")
@documented("The model in use and the thresholds in force", responses={200: ModelInfo}, tag="ops")
def model_info() -> Response:
    """Version, training time, thresholds (card's, with MODQ_* overrides) and metrics."""
    ctx = services()
    model = ctx.models.get()
    card: dict[str, Any] = dict(getattr(model, "card", None) or {})
    bands = thresholds_for(model, ctx.settings)
    return jsonify(
        {
            "version": model.version,
            "trained_at": card.get("created_at") or card.get("trained_at"),
            "thresholds": {
                head.value: {"review": band.review, "reject": band.reject}
                for head, band in bands.items()
            },
            "card_thresholds": model.thresholds,
            "metrics": card.get("metrics", {}),
            "mode": ctx.settings.mode.value,
            "max_links": ctx.settings.max_links,
        }
    )
