"""The Akismet-compatible API: Akismet's clients and plugins use modq unchanged.

Form-encoded as Akismet documents (``service.integrations.akismet`` reads the
protocol); a comment-check goes through the native intake (``service.intake``) and
is stored and queued like a ``POST /v1/comments`` of the key's site.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from service import keys
from service.context import services
from service.errors import APIError, ValidationError, error_response
from service.intake import judge_comment, validate_comment
from service.integrations import akismet
from service.integrations.akismet_feedback import give_feedback
from service.payload import read_payload
from service.queue import Feedback, ReviewQueue
from service.schemas import RelayedCommentIn
from service.sites import Site, SiteRegistry

bp = Blueprint("akismet", __name__)

# Native field -> the Akismet field a client sent it as, to name bad fields its way.
_THEIR_NAMES = {ours: theirs for theirs, ours in akismet.NATIVE_FIELDS.items()} | {
    "thread": "permalink"
}


class InvalidAkismetCommentError(ValidationError):
    code, message = "invalid_comment", "Some fields of the comment are invalid."


class InvalidKeyError(Exception):
    """No key, or one that is no site's: Akismet's ``invalid`` answer."""

    def __init__(self, help_text: str) -> None:
        super().__init__(help_text)
        self.help_text = help_text


class Caller:
    """Who calls: a site, or nobody in particular while no site exists (open mode)."""

    def __init__(self, site: Site | None) -> None:
        self.site = site
        self.name = site.name if site else keys.DEFAULT_NAMESPACE
        self.namespace = site.namespace if site else keys.DEFAULT_NAMESPACE


@bp.errorhandler(InvalidKeyError)
def _invalid_key(error: InvalidKeyError) -> Response:
    return _text(akismet.INVALID, {akismet.DEBUG_HEADER: error.help_text})


@bp.errorhandler(APIError)
def _api_error(error: APIError) -> Response:
    # Akismet clients read headers, not JSON: the sentence goes in the debug header too.
    response = error_response(error)
    detail = "; ".join(f"{k}: {v}" for k, v in (error.fields or {}).items())
    response.headers[akismet.DEBUG_HEADER] = f"{error.message} {detail}".strip()
    return response


@bp.post("/1.1/comment-check")
def comment_check() -> Response:
    """Score, store and queue a comment; ``true`` unless it is approved."""
    ctx = services()
    form = _form()
    caller = _authenticate(form)
    comment = akismet.read_comment(form)
    storing = not comment.is_test
    with ctx.scorer.coming():
        fields = _validated_fields(comment)
        counters = (keys.akismet_usage(akismet.usage_month(time.time()), caller.namespace),)
        judged = judge_comment(
            ctx,
            fields,
            honeypot_filled=comment.honeypot_filled,
            trusted=comment.trusted,
            namespace=caller.namespace,
            index_keys=(keys.akismet_lookup(comment.lookup_digest, caller.namespace),),
            counter_keys=counters,
        )
    new = judged.comment
    if storing:
        ctx.store.save(new)
        g.comment_id, g.decision = new.id, new.status.value
        judged.outcome.record_metrics()
    body, headers = akismet.check_answer(new.status, new.id)
    return _text(body, headers)


@bp.post("/1.1/submit-spam")
def submit_spam() -> Response:
    """The site says this comment is spam."""
    return _submit(Feedback.SPAM)


@bp.post("/1.1/submit-ham")
def submit_ham() -> Response:
    """The site says this comment is not spam."""
    return _submit(Feedback.HAM)


@bp.post("/1.1/verify-key")
def verify_key() -> Response:
    """``valid`` for a site's key, else ``invalid``."""
    try:
        _authenticate(_form())
    except InvalidKeyError as error:
        return _text(akismet.INVALID, {akismet.DEBUG_HEADER: error.help_text})
    return _text(akismet.VALID)


@bp.route("/1.2/usage-limit", methods=["GET", "POST"])
def usage_limit() -> Response:
    """This month's comment-checks of the key's site; modq sets no limit."""
    caller = _authenticate(_form())
    ctx = services()
    used = ctx.redis.get(keys.akismet_usage(akismet.usage_month(time.time()), caller.namespace))
    return jsonify(akismet.usage_answer(int(str(used)) if used else 0))


def _submit(label: Feedback) -> Response:
    ctx = services()
    form = _form()
    caller = _authenticate(form)
    comment = akismet.read_comment(form)
    if not comment.is_test:
        _validated_fields(comment)
        queue = ReviewQueue(
            ctx.redis, lease_seconds=ctx.settings.lease_seconds, namespace=caller.namespace
        )
        result = give_feedback(queue, comment, caller.name, label)
        g.comment_id = result.comment_id
    return _text(akismet.SUBMIT_ANSWER)


def _form() -> dict[str, str]:
    """The request's fields: the form body of a POST, the query of a GET."""
    if request.method == "GET":
        return {name: value for name, value in request.args.items()}
    body: dict[str, Any] = read_payload(request, services().settings.max_body_bytes)
    return {name: value if isinstance(value, str) else str(value) for name, value in body.items()}


def _authenticate(form: dict[str, str]) -> Caller:
    """The key's site; any key while no site exists; else Akismet's ``invalid``."""
    key = akismet.request_key(form, request.host)
    if key is None:
        raise InvalidKeyError(akismet.MISSING_KEY_HELP)
    registry = SiteRegistry(services().redis)
    site = registry.authenticate(key)
    if site is None and registry.any():
        raise InvalidKeyError(akismet.WRONG_KEY_HELP)
    return Caller(site)


def _validated_fields(comment: akismet.AkismetComment) -> dict[str, Any]:
    """The comment's fields checked by the native rules (bad ones named Akismet's way)."""
    if "ip" not in comment.native:
        raise InvalidAkismetCommentError(fields={"user_ip": "Missing required field."})
    try:
        valid = validate_comment(services().settings, comment.native, RelayedCommentIn)
    except ValidationError as error:
        named = {_THEIR_NAMES.get(k, k): v for k, v in (error.fields or {}).items()}
        raise InvalidAkismetCommentError(fields=named) from None
    return valid.model_dump() | comment.kept


def _text(body: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers.update(headers or {})
    return response
