"""The review queue for moderators: list, claim, decide, release, stats, audit."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from service.domain import is_comment_id
from service.http.auth import current_moderator, require_moderator
from service.http.context import services
from service.http.errors import NotFoundError, ValidationError
from service.http.openapi import documented
from service.http.payload import read_payload
from service.http.queue_schemas import (
    LIST_MAX,
    ClaimRequest,
    ClaimResponse,
    DecisionRequest,
    DecisionResponse,
    QueueList,
    QueueQuery,
    QueueStats,
    ReleaseResponse,
)
from service.http.schemas import field_errors
from service.http.site_auth import site_registry
from service.queue.items import format_time
from service.queue.order import Sort
from service.queue.scope import ScopedQueue
from service.sites.scope import visible_namespaces

bp = Blueprint("queue", __name__)
M = TypeVar("M", bound=BaseModel)


def review_queue(site: str | None = None) -> ScopedQueue:
    """The queues of the sites the calling moderator sees (only ``site`` if named)."""
    ctx = services()
    allowed = ctx.settings.moderator_sites(current_moderator())
    namespaces = visible_namespaces(site_registry().names(), allowed, site)
    return ScopedQueue.over(ctx.redis, namespaces, lease_seconds=ctx.settings.lease_seconds)


SITE_QUERY = "only this site's comments (default: every site you may see)"


def parse(model: type[M], data: Any) -> M:
    """Validate ``data`` with ``model``; 422 naming every bad field."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as error:
        raise ValidationError(fields=field_errors(error)) from None


def _body() -> dict[str, Any]:
    # No body at all means every field's default (documented: the body is optional).
    if not request.get_data(cache=True):
        return {}
    return read_payload(request, services().settings.max_body_bytes, form=False)


def _known_id(comment_id: str) -> str:
    if not is_comment_id(comment_id):
        raise NotFoundError(f"No comment with id {comment_id!r}.")
    return comment_id


@bp.get("/v1/queue")
@documented(
    "Pending comments, oldest first by default; sort by age, score or uncertainty",
    responses={200: QueueList},
    errors=(404, 422, 503),
    auth=True,
    tag="queue",
    query={
        "sort": (
            "oldest (default) | newest | score (most likely bad first) | uncertain",
            {"type": "string", "enum": [s.value for s in Sort]},
        ),
        "thread": "only comments of this thread",
        "site": SITE_QUERY,
        "limit": ("1-200, default 50", {"type": "integer", "minimum": 1, "maximum": LIST_MAX}),
        "cursor": "the `next` of the previous page",
    },
)
@require_moderator
def list_queue() -> Response:
    """One page of pending comments."""
    query = parse(QueueQuery, request.args.to_dict())
    queue = review_queue(query.site)
    page = queue.list_pending(query.sort, query.thread, query.limit, query.cursor)
    now = queue.clock()
    return jsonify({"items": [item.to_api(now) for item in page.items], "next": page.next})


@bp.post("/v1/queue/claim")
@documented(
    "Lease up to `limit` pending comments to you (no body: 10, oldest first)",
    request=ClaimRequest,
    request_required=False,
    responses={200: ClaimResponse},
    errors=(400, 404, 408, 413, 415, 422, 503),
    auth=True,
    tag="queue",
)
@require_moderator
def claim() -> Response:
    """Lease comments to the calling moderator (their live leases come back first)."""
    body = parse(ClaimRequest, _body())
    queue = review_queue(body.site)
    result = queue.claim(current_moderator(), body.limit, body.sort, body.thread)
    now = queue.clock()
    return jsonify(
        {
            "items": [item.to_api(now) for item in result.items],
            "lease_expires_at": format_time(result.lease_expires_at),
        }
    )


@bp.get("/v1/queue/stats")
@documented(
    "Queue depth, oldest age, leases, decisions per hour and per moderator",
    responses={200: QueueStats},
    errors=(404, 503),
    auth=True,
    tag="queue",
    query={"site": SITE_QUERY},
)
@require_moderator
def stats() -> Response:
    """A snapshot of the queue, summed over the sites in view, each site's beside."""
    return jsonify(review_queue(_site_arg()).stats())


@bp.get("/v1/queue/audit")
@documented(
    "The newest audit records: who decided what, when",
    errors=(404, 422, 503),
    auth=True,
    tag="queue",
    query={
        "limit": ("1-500, default 100", {"type": "integer", "minimum": 1, "maximum": 500}),
        "site": SITE_QUERY,
    },
)
@require_moderator
def audit() -> Response:
    """Newest audit records first."""
    raw = request.args.get("limit") or "100"  # `?limit=` means the default
    if not raw.isdigit() or not 1 <= int(raw) <= 500:
        raise ValidationError(fields={"limit": "Must be a whole number from 1 to 500."})
    return jsonify({"items": review_queue(_site_arg()).audit(int(raw)), "next": None})


def _site_arg() -> str | None:
    site = request.args.get("site", "").strip()
    return site[:64] or None


@bp.get("/v1/queue/<comment_id:comment_id>")
@documented("One comment as moderators see it", errors=(404, 503), auth=True, tag="queue")
@require_moderator
def get_item(comment_id: str) -> Response:
    """One comment, pending or decided."""
    queue = review_queue()
    return jsonify(queue.get(_known_id(comment_id)).to_api(queue.clock()))


@bp.post("/v1/queue/<comment_id:comment_id>/decision")
@documented(
    "Approve or reject a pending comment (once; 409 after that or on someone else's lease); "
    'with "correct": true, re-decide any earlier decision, automatic or human',
    request=DecisionRequest,
    responses={200: DecisionResponse},
    errors=(400, 404, 408, 409, 413, 415, 422, 503),
    auth=True,
    tag="queue",
)
@require_moderator
def decide(comment_id: str) -> Response:
    """Record the calling moderator's decision."""
    body = parse(DecisionRequest, _body())
    result = review_queue().decide(
        _known_id(comment_id),
        current_moderator(),
        body.decision,
        body.reason,
        via="api",
        correct=body.correct,
    )
    return jsonify(
        {
            "id": result.id,
            "status": result.status.value,
            "reason": result.reason,
            "decided_at": result.decided_at,
            "decided_by": result.decided_by,
            "event": result.event,
            "previous_status": result.previous,
        }
    )


@bp.post("/v1/queue/<comment_id:comment_id>/release")
@documented(
    "Give your lease on a comment back to the queue",
    responses={200: ReleaseResponse},
    errors=(404, 409, 503),
    auth=True,
    tag="queue",
)
@require_moderator
def release(comment_id: str) -> Response:
    """Release the calling moderator's lease."""
    released = review_queue().release(current_moderator(), _known_id(comment_id))
    return jsonify({"id": comment_id, "released": released})
