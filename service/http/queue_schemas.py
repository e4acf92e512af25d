"""Request and response models of the queue and decisions APIs (validation and OpenAPI)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from service.domain import CommentStatus
from service.http.schemas import Reason, no_nul
from service.queue.order import Sort
from service.queue.review import Decision, Feedback, RejectReason
from service.store.decision_log import FEED_MAX_LIMIT

CLAIM_MAX = 100
LIST_MAX = 200


class ClaimRequest(BaseModel):
    """How many pending comments to lease, and in which order."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(10, ge=1, le=CLAIM_MAX)
    sort: Sort = Sort.OLDEST
    thread: str | None = Field(None, max_length=2048)
    site: str | None = Field(None, max_length=64, description="Only this site's comments")

    _nul = field_validator("thread")(no_nul)


class DecisionRequest(BaseModel):
    """A final decision; ``reason`` goes with reject only (spam and toxic become labels)."""

    # The rule the queue enforces (422 otherwise), stated in the schema too, so that a
    # client generated from /openapi.json knows it: reject needs a reason, approve has none.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"decision": {"const": "reject"}}},
                    "then": {
                        "required": ["reason"],
                        "properties": {"reason": {"enum": ["spam", "toxic", "other"]}},
                    },
                },
                {
                    "if": {"properties": {"decision": {"const": "approve"}}},
                    "then": {"properties": {"reason": {"type": "null"}}},
                },
            ]
        },
    )

    decision: Decision
    reason: RejectReason | None = None
    correct: bool = Field(
        False,
        description="Re-decide a comment decided before (automatically or by a moderator); "
        "without it a decided comment answers 409.",
    )


def _drop_empty(values: Any) -> Any:
    # `?limit=&sort=` (a form's blank fields) means "the default", as if left out.
    if isinstance(values, dict):
        return {k: v for k, v in values.items() if v != ""}
    return values


class QueueQuery(BaseModel):
    """Query parameters of GET /v1/queue."""

    model_config = ConfigDict(extra="ignore")

    _empty = model_validator(mode="before")(_drop_empty)
    _nul = field_validator("thread", "cursor")(no_nul)

    sort: Sort = Sort.OLDEST
    thread: str | None = Field(None, max_length=2048)
    site: str | None = Field(None, max_length=64)
    limit: int = Field(50, ge=1, le=LIST_MAX)
    cursor: str | None = Field(None, max_length=512)


class FeedQuery(BaseModel):
    """Query parameters of GET /v1/decisions."""

    model_config = ConfigDict(extra="ignore")

    _empty = model_validator(mode="before")(_drop_empty)
    _nul = field_validator("after")(no_nul)

    after: str | None = Field(None, max_length=64)
    limit: int = Field(100, ge=1, le=FEED_MAX_LIMIT)


class Lease(BaseModel):
    """Who holds a comment and until when."""

    moderator: str
    expires_at: str


class QueueItemOut(BaseModel):
    """A pending comment as moderators see it (the e-mail's domain only)."""

    id: str
    status: CommentStatus
    name: str
    email_domain: str = Field(description='Like "@example.com"; the address itself is never shown.')
    text: str
    url: str
    url_target: str = Field(description="The host the website link really leads to (punycode).")
    links_in_text: list[str]
    thread: str
    external_id: str
    created_at: str | None
    age_s: float | None
    scores: dict[str, float]
    reasons: list[Reason]
    spans: list[dict[str, Any]] = Field(
        description="Merged highlighted spans: start, end, text, codes."
    )
    model_version: str
    lease: Lease | None
    site: str = Field("default", description="The site the comment came from")


class QueueList(BaseModel):
    """One page of the queue."""

    items: list[QueueItemOut]
    next: str | None


class ClaimResponse(BaseModel):
    """The comments now leased to you."""

    items: list[QueueItemOut]
    lease_expires_at: str


class DecisionResponse(BaseModel):
    """The recorded decision."""

    id: str
    status: CommentStatus
    reason: RejectReason | None
    decided_at: str
    decided_by: str
    event: Literal["decided", "corrected"] = "decided"
    previous_status: CommentStatus = CommentStatus.PENDING


class FeedbackRequest(BaseModel):
    """What the comment really was, in the site's view."""

    model_config = ConfigDict(extra="forbid")

    label: Feedback


class FeedbackResponse(BaseModel):
    """The comment after the feedback: its status follows the label."""

    id: str
    label: Feedback
    status: CommentStatus
    previous_status: CommentStatus
    decided_at: str
    event: Literal["corrected"] = "corrected"


class ReleaseResponse(BaseModel):
    """Whether a lease was given back (False: it was not leased)."""

    id: str
    released: bool


class QueueStats(BaseModel):
    """Depth, oldest age, leases, and decisions per hour and per moderator."""

    model_config = ConfigDict(extra="allow")

    depth: int
    available: int
    oldest_age_s: float | None
    leased: int
    decided_last_hour: int
    decided_last_hour_by_moderator: dict[str, int]


class FeedItem(BaseModel):
    """One final decision on a comment that was pending."""

    id: str
    external_id: str | None
    thread: str | None = Field(
        description="The page or article, as posted; with external_id it names the comment "
        "on the site."
    )
    status: CommentStatus
    decided_at: str
    reason: RejectReason | None
    cursor: str
    # "decided": a moderator's first decision of a pending comment; "corrected": a
    # site's feedback, or a moderator's correction of an earlier decision
    event: Literal["decided", "corrected"] = "decided"


class FeedPageOut(BaseModel):
    """Decisions after the cursor; pass ``next`` as ``after`` next time (never null)."""

    items: list[FeedItem]
    next: str
    has_more: bool
