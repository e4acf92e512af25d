"""The Akismet-compatible API: Akismet's clients and plugins use modq unchanged.

Form-encoded as Akismet documents (``service.integrations.akismet`` reads the
protocol, ``service.http.akismet_request`` the requests); a comment-check goes through
the native intake (``service.http.intake``) and is stored and queued like a
``POST /v1/comments`` of the key's site.
"""

from __future__ import annotations

import time
from contextlib import nullcontext

from flask import Blueprint, Response, g, jsonify

from service.domain import CommentStatus
from service.errors import ModqError
from service.http.akismet_request import (
    InvalidKeyError,
    authenticate,
    read_form,
    validated_fields,
)
from service.http.context import Services, services
from service.http.errors import APIError, error_response, from_domain
from service.http.intake import judge_comment
from service.http.openapi import documented
from service.http.schemas import AkismetCommentIn
from service.integrations import akismet
from service.integrations.akismet_feedback import find_comment, give_feedback
from service.queue.review import Feedback, ReviewQueue
from service.store import keys

bp = Blueprint("akismet", __name__)
TEXT = "text/plain"


@bp.errorhandler(InvalidKeyError)
def _invalid_key(error: InvalidKeyError) -> Response:
    return _text(akismet.INVALID, {akismet.DEBUG_HEADER: error.help_text})


@bp.errorhandler(ModqError)
def _domain_error(error: ModqError) -> Response:
    return _api_error(from_domain(error))


@bp.errorhandler(APIError)
def _api_error(error: APIError) -> Response:
    # Akismet clients read headers, not JSON: the sentence goes in the debug header too.
    response = error_response(error)
    detail = "; ".join(f"{k}: {v}" for k, v in (error.fields or {}).items())
    response.headers[akismet.DEBUG_HEADER] = f"{error.message} {detail}".strip()
    return response


@bp.post("/1.1/comment-check")
@documented(
    "Akismet comment-check: `true` (held or rejected, rejected adds X-akismet-pro-tip: "
    "discard) or `false` (approved), X-akismet-guid the modq id; `invalid` for a bad key",
    request=AkismetCommentIn,
    form=True,
    errors=(400, 413, 415, 422, 503),
    tag="akismet",
    response_type=TEXT,
)
def comment_check() -> Response:
    """Score, store and queue a comment; ``true`` unless it is approved."""
    ctx = services()
    form = read_form()
    caller = authenticate(form)
    comment = akismet.read_comment(form)
    if comment.recheck:
        # WordPress rechecks the comments it holds: the one stored already answers.
        found = _stored(ctx, comment, caller.namespace)
        if found is not None:
            return _text(*akismet.check_answer(CommentStatus(found["status"]), found["id"]))
    storing = not comment.is_test
    # Announced to both batchers, as a native post is (service/api/comments.py); a test
    # call writes nothing, so the write batch does not wait for it.
    with ctx.scorer.coming(), ctx.writes.coming() if storing else nullcontext():
        fields = validated_fields(comment)
        ns = caller.namespace
        judged = judge_comment(
            ctx,
            fields,
            honeypot_filled=comment.honeypot_filled,
            trusted=comment.trusted,
            namespace=ns,
            index_keys=(keys.akismet_lookup(comment.lookup_digest, ns),),
            counter_keys=(keys.akismet_usage(akismet.usage_month(time.time()), ns),),
        )
        new = judged.comment
        if storing:
            ctx.store.save(new)
    if storing:
        g.comment_id, g.decision = new.id, new.status.value
        judged.outcome.record_metrics()
    body, headers = akismet.check_answer(new.status, new.id)
    return _text(body, headers)


@bp.post("/1.1/submit-spam")
@documented(
    "Akismet submit-spam: feedback on the comment (by guid, else author, content and IP)",
    request=AkismetCommentIn,
    form=True,
    errors=(400, 413, 415, 422, 503),
    tag="akismet",
    response_type=TEXT,
)
def submit_spam() -> Response:
    """The site says this comment is spam."""
    return _submit(Feedback.SPAM)


@bp.post("/1.1/submit-ham")
@documented(
    "Akismet submit-ham: feedback on the comment (by guid, else author, content and IP)",
    request=AkismetCommentIn,
    form=True,
    errors=(400, 413, 415, 422, 503),
    tag="akismet",
    response_type=TEXT,
)
def submit_ham() -> Response:
    """The site says this comment is not spam."""
    return _submit(Feedback.HAM)


@bp.post("/1.1/verify-key")
@documented(
    "Akismet verify-key (`key` or `api_key`): `valid` or `invalid`",
    form=True,
    errors=(400, 413, 415, 503),
    tag="akismet",
    response_type=TEXT,
)
def verify_key() -> Response:
    """``valid`` for a site's key, else ``invalid``."""
    try:
        authenticate(read_form())
    except InvalidKeyError as error:
        return _text(akismet.INVALID, {akismet.DEBUG_HEADER: error.help_text})
    return _text(akismet.VALID)


@bp.route("/1.2/usage-limit", methods=["GET", "POST"])
@documented(
    "Akismet usage-limit: this month's comment-checks of the key's site, no limit",
    query={"api_key": "The site key (or in a POST's form body)."},
    errors=(400, 413, 415, 503),
    tag="akismet",
)
def usage_limit() -> Response:
    """This month's comment-checks of the key's site; modq sets no limit."""
    caller = authenticate(read_form())
    ctx = services()
    used = ctx.redis.get(keys.akismet_usage(akismet.usage_month(time.time()), caller.namespace))
    return jsonify(akismet.usage_answer(int(str(used)) if used else 0))


def _submit(label: Feedback) -> Response:
    ctx = services()
    form = read_form()
    caller = authenticate(form)
    comment = akismet.read_comment(form)
    if not comment.is_test:
        validated_fields(comment)
        queue = ReviewQueue(
            ctx.redis, lease_seconds=ctx.settings.lease_seconds, namespace=caller.namespace
        )
        result = give_feedback(queue, comment, caller.name, label)
        g.comment_id = result.comment_id
    return _text(akismet.SUBMIT_ANSWER)


def _stored(
    ctx: Services, comment: akismet.AkismetComment, namespace: str
) -> dict[str, str] | None:
    """The stored comment a recheck means (by guid, else author, content and IP)."""
    comment_id = find_comment(ctx.redis, comment, namespace)
    return None if comment_id is None else ctx.store.load(comment_id, namespace)


def _text(body: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(body, mimetype="text/plain")
    response.headers.update(headers or {})
    return response
