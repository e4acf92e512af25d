"""Intake: validate, score, decide and store one comment, the one path every way in shares.

``POST /v1/comments`` and the Akismet API's comment-check both come here, so a comment
is checked, scored, stored and queued the same way whichever protocol brought it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from service.domain import CommentStatus, ReasonCode, new_comment_id
from service.http.context import Services
from service.http.errors import ValidationError
from service.http.schemas import CommentIn, field_errors
from service.moderation.policy import Decision
from service.moderation.scoring import Outcome, moderate
from service.settings import Settings
from service.store import keys
from service.store.comments import NewComment

TRUSTED_REASON = {
    "code": ReasonCode.TRUSTED_ROLE.value,
    "message": "The site says the author is one of its administrators: never held or refused.",
}


class InvalidCommentError(ValidationError):
    code, message = "invalid_comment", "Some fields of the comment are invalid."


@dataclass(frozen=True)
class Judged:
    """A comment scored and decided, ready for ``CommentStore.save``."""

    comment: NewComment
    outcome: Outcome


def validate_comment(
    settings: Settings, body: Mapping[str, Any], model: type[CommentIn] = CommentIn
) -> CommentIn:
    """The comment validated by ``model``; a 422 naming every bad field otherwise."""
    try:
        return model.model_validate(body, context={"max_text_chars": settings.max_text_chars})
    except PydanticValidationError as error:
        raise InvalidCommentError(fields=field_errors(error)) from None


def judge_comment(
    ctx: Services,
    fields: Mapping[str, Any],
    *,
    honeypot_filled: bool = False,
    trusted: bool = False,
    namespace: str = keys.DEFAULT_NAMESPACE,
    index_keys: tuple[str, ...] = (),
    counter_keys: tuple[str, ...] = (),
) -> Judged:
    """Score and decide the comment (batched with concurrent requests); nothing is stored.

    ``trusted``: the site vouches for the author, so the comment is approved whatever
    its scores (they are still recorded).
    """
    settings = ctx.settings
    outcome = moderate(
        ctx.models,
        ctx.scorer,
        settings,
        {
            "text": fields["text"],
            "name": fields.get("name"),
            "email": fields.get("email"),
            "url": fields.get("url"),
        },
        honeypot_filled=honeypot_filled,
    )
    if trusted:
        approved = CommentStatus.APPROVED
        outcome = Outcome(
            outcome.spam,
            outcome.toxicity,
            Decision(status=approved, verdict=approved, reasons=[dict(TRUSTED_REASON)]),
            outcome.model_version,
        )
    created_at = time.time()
    new = NewComment(
        id=new_comment_id(int(created_at * 1000)),
        created_at=created_at,
        status=outcome.decision.status,
        verdict=outcome.decision.verdict,
        mode=settings.mode.value,
        fields=fields,
        spam=outcome.spam,
        toxicity=outcome.toxicity,
        reasons=outcome.decision.reasons,
        model_version=outcome.model_version,
        namespace=namespace,
        index_keys=index_keys,
        counter_keys=counter_keys,
    )
    return Judged(comment=new, outcome=outcome)
