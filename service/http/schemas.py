"""Request and response models: they validate requests and generate /openapi.json.

One source for both: a rule added here is enforced and documented at once.
Limits that a setting can change (the text length) are checked against the
validation context ``{"max_text_chars": n}`` and documented with their default.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from service.domain import CommentStatus
from service.http.email_syntax import is_valid_email

DEFAULT_MAX_TEXT_CHARS = 10_000

Trimmed = Annotated[str, StringConstraints(strip_whitespace=True)]


# Bidirectional embeddings, overrides, isolates and marks: in a name they make
# "rtl \u202egnp.exe" read as "rtl exe.png" (Trojan Source, CVE-2021-42574).
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)


def _no_control_characters(value: str) -> str:
    if any(unicodedata.category(c) == "Cc" for c in value):
        raise ValueError("must not contain control characters")
    return value


def no_nul(value: Any) -> Any:
    """Refuse a string with NUL (a field validator)."""
    # NUL ends a string in C and in many logs and databases downstream: refused in
    # every field, also where other control characters (newlines, tabs) are fine.
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


def _plain_name(value: str) -> str:
    _no_control_characters(value)
    if not BIDI_CONTROLS.isdisjoint(value):
        raise ValueError("must not contain bidirectional control characters")
    return value


def _limit_text(value: str, info: ValidationInfo) -> str:
    limit = (info.context or {}).get("max_text_chars", DEFAULT_MAX_TEXT_CHARS)
    if len(value) > limit:
        raise ValueError(f"must be at most {limit} characters")
    return value


def _blank_to_none(value: Any) -> Any:
    # An HTML form sends an empty string for every field left blank.
    if isinstance(value, str) and value.strip() == "":
        return None
    return value


class CommentIn(BaseModel):
    """A new comment as a website's form or server sends it."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=100, description="The commenter's name.")
    email: str = Field(
        max_length=254,
        description="The commenter's e-mail address; stored, never shown to websites.",
        json_schema_extra={"format": "email"},
    )
    text: str = Field(
        min_length=1,
        description="The comment (limit: MODQ_MAX_TEXT_CHARS, default 10,000 characters).",
        json_schema_extra={"maxLength": DEFAULT_MAX_TEXT_CHARS},
    )
    url: str | None = Field(
        None,
        max_length=2048,
        description="The commenter's website (http or https).",
        json_schema_extra={"format": "uri"},
    )
    thread: str | None = Field(None, max_length=200, description="The page or article.")
    parent_id: str | None = Field(None, max_length=200, description="The comment replied to.")
    external_id: str | None = Field(
        None,
        max_length=200,
        description="The site's own id; posting the same (thread, external_id) again "
        "returns the comment already stored instead of a duplicate.",
    )
    external_author: str | None = Field(
        None,
        max_length=200,
        description="The site's own id of the commenter: a site's erasure request "
        "(POST /v1/privacy/erase) can name the person by it.",
    )
    ip: str | None = Field(None, max_length=45, description="The commenter's IP address.")
    user_agent: str | None = Field(None, max_length=1000, description="The browser's User-Agent.")
    referrer: str | None = Field(None, max_length=2048, description="The page the form was on.")

    _blank = field_validator(
        "url",
        "thread",
        "parent_id",
        "external_id",
        "external_author",
        "ip",
        "user_agent",
        "referrer",
        mode="before",
    )(_blank_to_none)

    _nul = field_validator("*")(no_nul)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _plain_name(value)

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str) -> str:
        if not is_valid_email(value):
            raise ValueError("must be a valid e-mail address")
        return value

    _text = field_validator("text")(_limit_text)

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http or https address")
        return value

    @field_validator("ip")
    @classmethod
    def _check_ip(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise ValueError("must be an IPv4 or IPv6 address") from None

    @field_validator(
        "thread", "parent_id", "external_id", "external_author", "user_agent", "referrer"
    )
    @classmethod
    def _check_plain(cls, value: str | None) -> str | None:
        return None if value is None else _no_control_characters(value)


class ScoreItemIn(BaseModel):
    """One comment to score: only the text is required."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    text: str = Field(min_length=1, json_schema_extra={"maxLength": DEFAULT_MAX_TEXT_CHARS})
    name: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    url: str | None = Field(None, max_length=2048)

    _nul = field_validator("*")(no_nul)
    _text = field_validator("text")(_limit_text)


class ScoreRequest(BaseModel):
    """Up to 100 comments to score without storing them."""

    comments: list[ScoreItemIn] = Field(min_length=1, max_length=100)


class Span(BaseModel):
    """A stretch of the comment's text that pushed a score up."""

    model_config = ConfigDict(extra="allow")

    start: int
    end: int
    text: str
    weight: float | None = None


class Reason(BaseModel):
    """Why a comment got its status: a stable code and a sentence."""

    model_config = ConfigDict(extra="allow")

    code: str = Field(description="Stable snake_case code, e.g. spam_likely, too_many_links.")
    message: str
    head: Literal["spam", "toxicity"] | None = None
    score: float | None = None
    spans: list[Span] | None = None
    words: list[str] | None = Field(
        None, description="banned_word / suspect_word: the site's entries the comment matched."
    )


class Scores(BaseModel):
    """Probabilities in [0, 1] per head."""

    spam: float = Field(ge=0.0, le=1.0)
    toxicity: float = Field(ge=0.0, le=1.0)


class CommentCreated(BaseModel):
    """The answer to a new comment."""

    id: str
    status: CommentStatus
    scores: Scores
    reasons: list[Reason]
    model_version: str
    created_at: str = Field(description="ISO 8601, UTC.")
    shadow_status: CommentStatus | None = Field(
        None, description="In shadow mode: the status modq would have given."
    )


class CommentView(BaseModel):
    """A stored comment as a website sees it (never the e-mail address)."""

    id: str
    status: CommentStatus
    scores: Scores
    reasons: list[Reason]
    model_version: str
    created_at: str
    decided_at: str | None = None
    thread: str | None = None
    external_id: str | None = None
    parent_id: str | None = None
    shadow_status: CommentStatus | None = None


class ScoredItem(BaseModel):
    """Scores, the status the policy would give and its reasons, for one comment."""

    scores: Scores
    status: CommentStatus
    reasons: list[Reason]


class ScoreResponse(BaseModel):
    """Results in the order of the request."""

    items: list[ScoredItem]
    next: None = None
    model_version: str


class HeadThresholds(BaseModel):
    """Scores at or above ``review`` are held; at or above ``reject`` refused."""

    review: float
    reject: float


class ModelInfo(BaseModel):
    """The model this process scores with."""

    model_config = ConfigDict(extra="allow")

    version: str
    trained_at: str | None = None
    thresholds: dict[str, HeadThresholds]
    metrics: dict[str, Any] = Field(default_factory=dict)


class Health(BaseModel):
    """A probe's answer."""

    model_config = ConfigDict(extra="allow")

    status: str


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorResponse(BaseModel):
    """Every error answer."""

    error: ErrorDetail


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
}


def field_errors(error: ValidationError) -> dict[str, str]:
    """One human sentence per bad field, keyed by the field's dotted path."""
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in item["loc"]) or "body"
        if path in fields:
            continue
        kind = item["type"]
        ctx = item.get("ctx") or {}
        if kind in _MESSAGES:
            message = _MESSAGES[kind]
        elif kind == "string_too_short":
            message = "must not be empty" if ctx.get("min_length") == 1 else item["msg"]
        elif kind == "string_too_long":
            message = f"must be at most {ctx.get('max_length')} characters"
        elif kind == "too_long":
            message = f"must have at most {ctx.get('max_length')} items"
        elif kind == "too_short":
            message = f"must have at least {ctx.get('min_length')} item"
        elif kind == "value_error":
            message = str(ctx.get("error", item["msg"]))
        else:
            message = item["msg"].lower()
        fields[path] = message[0].upper() + message[1:] + "."
    return fields


def _cut(limit: int) -> Any:
    def cut(value: Any) -> Any:
        value = _blank_to_none(value)
        return value[:limit] if isinstance(value, str) else value

    return cut


class RelayedCommentIn(CommentIn):
    """A comment another protocol relays (the Akismet API): no name or e-mail needed.

    Akismet clients send what their commenter typed, and a site expects an answer
    for every comment, spam above all: an over-long name, user agent or referrer is
    cut to the native limit, and an e-mail address or website that is not one is
    left out (a comment without them is stored without them). The text and the IP
    address are checked as for ``POST /v1/comments``.
    """

    name: str | None = Field(None, max_length=100, description="The commenter's name.")  # type: ignore[assignment]
    email: str | None = Field(None, max_length=254, description="The commenter's e-mail address.")  # type: ignore[assignment]

    _cut_name = field_validator("name", mode="before")(_cut(100))
    _cut_agent = field_validator("user_agent", mode="before")(_cut(1000))
    _cut_referrer = field_validator("referrer", mode="before")(_cut(2048))

    # Same names as CommentIn's: they replace its checks, which need a value.
    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:  # type: ignore[override]
        return None if value is None else _no_control_characters(value)

    @field_validator("email", mode="before")
    @classmethod
    def _drop_bad_email(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if isinstance(value, str) and (len(value) > 254 or not is_valid_email(value.strip())):
            return None
        return value

    @field_validator("email")
    @classmethod
    def _check_email(cls, value: str | None) -> str | None:  # type: ignore[override]
        return value

    @field_validator("url", mode="before")
    @classmethod
    def _drop_bad_url(cls, value: Any) -> Any:
        value = _blank_to_none(value)
        if isinstance(value, str):
            parts = urlsplit(value.strip())
            if (
                len(value) > 2048
                or parts.scheme.lower() not in ("http", "https")
                or not parts.netloc
            ):
                return None
        return value


class AkismetCommentIn(BaseModel):
    """An Akismet client's comment (documentation: the Akismet views read the form themselves)."""

    model_config = ConfigDict(extra="allow")

    api_key: str | None = Field(
        None, description="The site key (or `key`, or the Host's first label: KEY.host)."
    )
    blog: str | None = Field(None, description="The site's address; kept as `blog`.")
    user_ip: str = Field(description="The commenter's IP address (native `ip`).")
    user_agent: str | None = Field(None, description="Native `user_agent`.")
    referrer: str | None = Field(None, description="Native `referrer`.")
    permalink: str | None = Field(
        None, description="The page commented on; kept, and the `thread` up to 200 characters."
    )
    comment_type: str | None = Field(None, description="comment, reply, forum-post, ...; kept.")
    comment_author: str | None = Field(None, description="Native `name` (may be missing).")
    comment_author_email: str | None = Field(
        None, description="Native `email`; left out when it is not an address."
    )
    comment_author_url: str | None = Field(
        None, description="Native `url`; left out when it is not http(s)."
    )
    comment_content: str = Field(description="Native `text`.")
    comment_date_gmt: str | None = Field(None, description="Kept as sent.")
    blog_lang: str | None = Field(None, description="Kept as `lang`.")
    user_role: str | None = Field(None, description="`administrator`: never spam.")
    is_test: str | None = Field(None, description="`1`: score and answer, store nothing.")
    honeypot_field_name: str | None = Field(
        None, description="Names a field of this form that a person leaves empty: filled rejects."
    )
    recheck_reason: str | None = Field(
        None, description="A recheck: the comment stored already answers."
    )
    guid: str | None = Field(
        None, description="submit-spam/ham: the X-akismet-guid comment-check answered."
    )
