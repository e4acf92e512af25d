"""Scoring without storing: a site checks comments before it shows a form's result."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pydantic import ValidationError as PydanticValidationError

from service.concurrency.native_thread import run_beside_requests
from service.http.context import services
from service.http.errors import ValidationError
from service.http.openapi import documented
from service.http.payload import read_payload
from service.http.rate_limits import check_rate_limits
from service.http.schemas import ScoreRequest, ScoreResponse, field_errors
from service.http.site_auth import current_site, require_site_without_redis
from service.moderation.scoring import moderate_many

bp = Blueprint("score", __name__)

# Larger batches compute for milliseconds (100 comments: 10-30 ms): under the gevent
# worker they run beside the worker's other requests, not in their way.
BESIDE_REQUESTS_FROM = 10


class InvalidScoreRequestError(ValidationError):
    code, message = "invalid_request", "Some fields of the request are invalid."


@bp.post("/v1/score")
@documented(
    "Score up to 100 comments; nothing is stored",
    request=ScoreRequest,
    responses={200: ScoreResponse},
    errors=(400, 408, 413, 415, 422, 429, 503),
    tag="comments",
    site_auth=True,
)
@require_site_without_redis
def score_comments() -> Response:
    """Scores, the status the policy would give, and reasons, for each comment."""
    ctx = services()
    body = read_payload(request, ctx.settings.max_body_bytes, form=False)
    check_rate_limits(None, current_site())
    try:
        parsed = ScoreRequest.model_validate(
            body, context={"max_text_chars": ctx.settings.max_text_chars}
        )
    except PydanticValidationError as error:
        raise InvalidScoreRequestError(fields=field_errors(error)) from None
    model = ctx.models.get()
    comments = [item.model_dump(exclude_none=True) for item in parsed.comments]
    if len(comments) >= BESIDE_REQUESTS_FROM:
        outcomes = run_beside_requests(moderate_many, model, ctx.settings, comments)
    else:
        outcomes = moderate_many(model, ctx.settings, comments)
    items = [
        {
            "scores": {"spam": o.spam, "toxicity": o.toxicity},
            "status": o.decision.status.value,
            "reasons": o.decision.reasons,
        }
        for o in outcomes
    ]
    return jsonify({"items": items, "next": None, "model_version": model.version})
