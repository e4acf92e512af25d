"""Coral Talk's external moderation phase: its request, its signature, its answer.

Coral (coralproject/talk, ``phases/external.ts``) POSTs ``JSON.stringify(request, null, 2)``
with ``X-Coral-Signature: sha256=<hex HMAC-SHA256(secret, body)>``, one signature per
active secret joined by commas while a secret rotates; the HMAC key is the secret
string itself (``empsec_…``). It waits ``timeout`` ms (default 200), then goes on
without an answer (it fails open). Its request carries no comment id and Coral has no
way in for a later decision, so modq answers now and keeps nothing: a comment modq
would hold goes to Coral's own pre-moderation queue (PREMOD).
"""

from __future__ import annotations

import hashlib
import hmac
from enum import Enum
from html.parser import HTMLParser
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.domain import CommentStatus, ReasonCode

MAX_SIGNATURES = 10


class CoralStatus(str, Enum):
    """The statuses Coral accepts from an external phase (the ones modq gives)."""

    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    PREMOD = "PREMOD"
    NONE = "NONE"


class CoralFlag(str, Enum):
    """The flag reasons Coral accepts from an external phase."""

    SPAM = "COMMENT_DETECTED_SPAM"
    TOXIC = "COMMENT_DETECTED_TOXIC"


_SPAM_CODES = {
    ReasonCode.SPAM_LIKELY.value,
    ReasonCode.SPAM_POSSIBLE.value,
    ReasonCode.TOO_MANY_LINKS.value,
    ReasonCode.HONEYPOT.value,
}
_TOXIC_CODES = {
    ReasonCode.TOXICITY_LIKELY.value,
    ReasonCode.TOXICITY_POSSIBLE.value,
    ReasonCode.BANNED_WORD.value,
    ReasonCode.SUSPECT_WORD.value,
}
# Coral's roles whose comments its own phases already approve (approveStaff)
TRUSTED_ROLES = {"ADMIN", "MODERATOR", "STAFF"}


class _Loose(BaseModel):
    # Coral may add fields: they are ignored, not refused.
    model_config = ConfigDict(extra="ignore")


class CoralComment(_Loose):
    body: str = Field(max_length=100_000)
    parentID: str | None = None


class CoralAuthor(_Loose):
    id: str = Field(max_length=500)
    role: str = Field(default="COMMENTER", max_length=50)


class CoralStory(_Loose):
    id: str = Field(max_length=500)
    url: str = Field(default="", max_length=2048)


class CoralSite(_Loose):
    id: str = Field(max_length=500)


class CoralRequest(_Loose):
    """Coral's ExternalModerationRequest."""

    action: Literal["NEW", "EDIT"]
    comment: CoralComment
    author: CoralAuthor
    story: CoralStory
    site: CoralSite | None = None
    tenantID: str = Field(max_length=500)
    tenantDomain: str = Field(default="", max_length=500)


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Whether any ``sha256=<hex>`` in the header is the body's HMAC under ``secret``."""
    if not header or not secret:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    candidates = [part.strip() for part in header.split(",")][:MAX_SIGNATURES]
    matched = False
    for candidate in candidates:
        scheme, _, value = candidate.partition("=")
        # compare every candidate, so the time taken does not say which one matched
        if scheme == "sha256" and hmac.compare_digest(value.lower(), expected):
            matched = True
    return matched


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "p", "div", "li", "blockquote"):
            self.parts.append("\n")
        if tag == "a":  # a link's target counts (too many links, spam words in URLs)
            href = dict(attrs).get("href")
            if href:
                self.parts.append(f" {href} ")


def plain_text(body: str) -> str:
    """The text of Coral's HTML body format (plain text passes through unchanged)."""
    if "<" not in body and "&" not in body:
        return body
    parser = _TextOnly()
    parser.feed(body)
    parser.close()
    return "".join(parser.parts).strip()


def comment_fields(request: CoralRequest) -> dict[str, Any]:
    """What modq's policy reads of Coral's comment."""
    return {
        "text": plain_text(request.comment.body),
        "name": request.author.id,
        "thread": request.story.url or request.story.id,
        "parent_id": request.comment.parentID,
    }


def is_trusted(request: CoralRequest) -> bool:
    """Whether Coral says the author is staff (never held or refused by modq)."""
    return request.author.role.upper() in TRUSTED_ROLES


def coral_answer(status: CommentStatus, reasons: list[dict[str, Any]]) -> dict[str, Any]:
    """Coral's ExternalModerationResponse for modq's decision."""
    codes = {str(r.get("code")) for r in reasons}
    actions = []
    if status is not CommentStatus.APPROVED:
        if codes & _SPAM_CODES:
            actions.append({"actionType": "FLAG", "reason": CoralFlag.SPAM.value})
        if codes & _TOXIC_CODES:
            actions.append({"actionType": "FLAG", "reason": CoralFlag.TOXIC.value})
    coral_status = {
        CommentStatus.APPROVED: CoralStatus.APPROVED,
        CommentStatus.PENDING: CoralStatus.PREMOD,
        CommentStatus.REJECTED: CoralStatus.REJECTED,
    }[status]
    return {"status": coral_status.value, "actions": actions}
