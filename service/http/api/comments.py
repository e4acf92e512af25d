"""Comments: websites post new ones and read their status."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from pydantic import ValidationError as PydanticValidationError

from service.domain import is_comment_id
from service.http.context import services
from service.http.errors import NotFoundError, ValidationError
from service.http.intake import judge_comment, validate_comment
from service.http.openapi import documented
from service.http.payload import client_ip, read_payload
from service.http.presenters import comment_view, iso_time
from service.http.queue_schemas import FeedbackRequest, FeedbackResponse
from service.http.rate_limits import check_rate_limits
from service.http.schemas import CommentCreated, CommentIn, CommentView, field_errors
from service.http.site_auth import current_namespace, current_site, require_site
from service.queue.review import ReviewQueue
from service.settings import Settings
from service.sites import Site
from service.store import keys

bp = Blueprint("comments", __name__)


@bp.post("/v1/comments")
@documented(
    "Submit a new comment: validate, score, decide, store",
    request=CommentIn,
    form=True,
    responses={201: CommentCreated, 200: CommentCreated},
    errors=(400, 408, 413, 415, 422, 429, 503),
    tag="comments",
    site_auth=True,
)
@require_site
def create_comment() -> Response:
    """Validate a comment, score it, decide, store it, and answer the decision."""
    ctx = services()
    settings = ctx.settings
    # Read before announcing: a client that sends its body slowly must not keep the
    # other requests' model call and write waiting for it.
    body = read_payload(request, settings.max_body_bytes)
    # Looked up once: each lookup of the request's site goes through Flask's context locals.
    site = current_site()
    check_rate_limits(body, site)
    namespace = keys.DEFAULT_NAMESPACE if site is None else site.namespace
    # Announced to both batchers until this request submits to each: the model call and
    # the Redis write it would join wait (briefly) for it, and for the others on their way.
    with ctx.scorer.coming(), ctx.writes.coming():
        fields, honeypot_filled = _read_comment(settings, body, site)
        judged = judge_comment(ctx, fields, honeypot_filled=honeypot_filled, namespace=namespace)
        store = ctx.store
        saved = store.save(judged.comment)
    new, outcome = judged.comment, judged.outcome
    g.comment_id = saved.id
    # url_for("comments.get_comment", ...) builds the same path at several times the cost.
    location = f"{request.script_root}/v1/comments/{saved.id}"
    if not saved.created:
        # The site retried a post it already made (same thread and external_id).
        record = store.load(saved.id, new.namespace)
        if record is None:
            raise NotFoundError("The comment stored under this external_id has gone.")
        response = jsonify(comment_view(record))
        response.headers["Location"] = location
        return response
    g.decision = new.status.value
    outcome.record_metrics()
    answer: dict[str, object] = {
        "id": new.id,
        "status": new.status.value,
        "scores": {"spam": new.spam, "toxicity": new.toxicity},
        "reasons": new.reasons,
        "model_version": new.model_version,
        "created_at": iso_time(new.created_at),
    }
    if outcome.decision.shadowed:
        answer["shadow_status"] = new.verdict.value
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def _read_comment(
    settings: Settings, body: dict[str, Any], site: Site | None
) -> tuple[dict[str, Any], bool]:
    """The validated comment's fields to store, and whether the honeypot was filled."""
    fields = validate_comment(settings, body).model_dump()
    # A site's server relays its visitor's details; a browser's form post has its own.
    # Only an authenticated site is believed: anyone else could name any address.
    # (Read from the dump: setting the model's attributes runs pydantic's __setattr__.)
    relayed: dict[str, Any] = fields if site is not None else {}
    fields["ip"] = relayed.get("ip") or client_ip(request, settings.trusted_proxies)
    fields["user_agent"] = relayed.get("user_agent") or request.user_agent.string[:1000] or None
    fields["referrer"] = relayed.get("referrer") or (request.referrer or "")[:2048] or None
    honeypot = body.get(settings.honeypot_field)
    filled = bool(honeypot.strip()) if isinstance(honeypot, str) else bool(honeypot)
    return fields, filled


@bp.get("/v1/comments/<comment_id>")
@documented(
    "A comment's current status (pending ones change when a moderator decides)",
    responses={200: CommentView},
    errors=(404, 503),
    tag="comments",
    site_auth=True,
)
@require_site
def get_comment(comment_id: str) -> Response:
    """The comment's current status, scores and reasons; never its e-mail address."""
    if not is_comment_id(comment_id):
        raise NotFoundError("No comment has this id.")
    # Another site's comment is not in this namespace: 404, as if it did not exist.
    record = services().store.load(comment_id, current_namespace())
    if record is None:
        raise NotFoundError("No comment has this id.")
    return jsonify(comment_view(record))


class InvalidFeedbackError(ValidationError):
    code, message = "invalid_feedback", 'Send {"label": "spam"}, "ham" or "toxic".'


@bp.post("/v1/comments/<comment_id>/feedback")
@documented(
    "Say what one of your comments really was; its status follows "
    "(spam, toxic: rejected; ham: approved), a pending one leaves the queue",
    request=FeedbackRequest,
    responses={200: FeedbackResponse},
    errors=(400, 404, 413, 415, 422, 503),
    tag="comments",
    site_auth=True,
)
@require_site
def feedback(comment_id: str) -> Response:
    """A site's feedback: status, training label, decision feed (``corrected``), audit."""
    ctx = services()
    body = read_payload(request, ctx.settings.max_body_bytes, form=False)
    try:
        parsed = FeedbackRequest.model_validate(body)
    except PydanticValidationError as error:
        raise InvalidFeedbackError(fields=field_errors(error)) from None
    if not is_comment_id(comment_id):
        raise NotFoundError("No comment has this id.")
    site = current_site()
    namespace = current_namespace()
    queue = ReviewQueue(ctx.redis, lease_seconds=ctx.settings.lease_seconds, namespace=namespace)
    # Open mode (no site exists): the feedback is recorded as the default namespace's.
    result = queue.feedback(comment_id, namespace if site is None else site.name, parsed.label)
    return jsonify(
        {
            "id": result.id,
            "label": parsed.label.value,
            "status": result.status.value,
            "previous_status": result.previous,
            "decided_at": result.decided_at,
            "event": result.event,
        }
    )
