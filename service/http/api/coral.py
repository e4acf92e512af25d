"""``POST /v1/integrations/coral``: Coral Talk's external moderation phase.

The site is named in the URL configured in Coral (``?site=NAME``); the request must be
signed with that site's Coral secret (``modq sites set NAME --coral-secret empsec_…``).
Nothing is stored (see ``service.integrations.coral``).
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, jsonify, request
from pydantic import ValidationError as PydanticValidationError

from service.domain import CommentStatus
from service.http.context import services
from service.http.errors import (
    MalformedJSONError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)
from service.http.openapi import documented
from service.http.schemas import field_errors
from service.integrations.coral import (
    CoralRequest,
    comment_fields,
    coral_answer,
    is_trusted,
    signature_matches,
)
from service.moderation.scoring import moderate
from service.settings import Mode
from service.sites import SiteRegistry

bp = Blueprint("coral", __name__)


class InvalidCoralRequestError(ValidationError):
    code, message = "invalid_request", "The body is not Coral's external moderation request."


class BadSignatureError(UnauthorizedError):
    code = "invalid_signature"
    message = "X-Coral-Signature is missing or does not match the site's Coral secret."


class UnknownSiteError(NotFoundError):
    code = "unknown_site"


@bp.post("/v1/integrations/coral")
@documented(
    "Coral Talk's external moderation phase (signed with the site's Coral secret)",
    request=CoralRequest,
    responses={200: None, 204: None},
    errors=(400, 401, 404, 413, 415, 422),
    tag="integrations",
    query={"site": "the modq site whose Coral secret signs the requests"},
)
def coral_phase() -> Response:
    """Score and decide Coral's comment; answer Coral's status and flags."""
    ctx = services()
    name = request.args.get("site", "")
    site = SiteRegistry(ctx.redis).get(name) if name else None
    if site is None or not site.coral_secret:
        raise UnknownSiteError(
            "No site with a Coral secret by that name: add ?site=NAME to the URL configured "
            "in Coral, and `modq sites set NAME --coral-secret <Coral's signing secret>`."
        )
    body = request.get_data(cache=False)
    if not signature_matches(site.coral_secret, body, request.headers.get("X-Coral-Signature")):
        raise BadSignatureError()
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise MalformedJSONError() from None
    try:
        coral = CoralRequest.model_validate(payload)
    except PydanticValidationError as error:
        raise InvalidCoralRequestError(fields=field_errors(error)) from None
    fields = comment_fields(coral)
    if not fields["text"].strip():
        return Response(status=204)  # nothing to judge: Coral's own phases decide
    outcome = moderate(ctx.models, ctx.scorer, ctx.settings, fields)
    if ctx.settings.mode is Mode.SHADOW:
        return Response(status=204)  # shadow mode advises nobody: Coral goes on alone
    status = CommentStatus.APPROVED if is_trusted(coral) else outcome.decision.status
    return jsonify(coral_answer(status, outcome.decision.reasons))
