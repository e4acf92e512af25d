"""The websites' feed of final decisions on comments that were pending."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from service.http.api.queue import parse
from service.http.context import services
from service.http.openapi import documented
from service.http.queue_schemas import FeedPageOut, FeedQuery
from service.http.site_auth import current_namespace, require_site
from service.store.decision_log import read_decisions

bp = Blueprint("decisions", __name__)


@bp.get("/v1/decisions")
@documented(
    "Final decisions after a cursor: poll with the `next` you got last; none missed or repeated",
    responses={200: FeedPageOut},
    errors=(422, 503),
    tag="comments",
    site_auth=True,
    query={
        "after": (
            "the `next` of the previous answer (omit or 0 to start at the beginning)",
            {"type": "string", "pattern": r"^(0|\d{1,20}-\d{1,20})$"},
        ),
        "limit": ("1-500, default 100", {"type": "integer", "minimum": 1, "maximum": 500}),
    },
)
@require_site
def feed() -> Response:
    """A page of the decision feed (no e-mail, no text: ids, statuses and reasons)."""
    query = parse(FeedQuery, request.args.to_dict())
    page = read_decisions(services().redis, query.after, query.limit, current_namespace())
    return jsonify({"items": page.items, "next": page.next, "has_more": page.has_more})
