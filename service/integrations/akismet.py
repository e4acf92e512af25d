"""The Akismet protocol in modq's terms: its requests as native comments, its answers.

Akismet clients (WordPress's plugin, PyPI ``akismet``, npm ``akismet-api``, ...) post
form fields with Akismet's names. This module reads them: where the key is, which
fields map onto a native comment and which are kept beside it, the flags
(``is_test``, ``user_role``), the digest that finds a comment again for
submit-spam/submit-ham; and it builds the plain-text answers and headers the
clients read. No Flask and no I/O: ``service/api/akismet.py`` does the HTTP.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from service.domain import CommentStatus

# Where the key is, in order: the form (``api_key`` in current clients, ``key`` on
# verify-key), else the Host's first label (``KEY.rest.akismet.com``, npm akismet-api).
KEY_FIELDS = ("api_key", "key")
# First labels that are part of a host name, never a key: rest.akismet.com itself
# (WordPress keeps that Host when its request is redirected), and a bare www.
NOT_KEYS = frozenset({"rest", "www"})

SUBMIT_ANSWER = "Thanks for making the web a better place."
INVALID = "invalid"
VALID = "valid"

GUID_HEADER = "X-akismet-guid"
PRO_TIP_HEADER = "X-akismet-pro-tip"
DEBUG_HEADER = "X-akismet-debug-help"

MISSING_KEY_HELP = (
    "No API key: send it as api_key (or key) in the form body, or as the first label "
    "of the host name (KEY.your-modq-host)."
)
WRONG_KEY_HELP = "This API key is not a site key of this modq: `modq sites list` shows the sites."

# Akismet field -> native comment field. The native rules (lengths, the address's
# syntax, control characters) then apply as they do to POST /v1/comments.
NATIVE_FIELDS = {
    "comment_author": "name",
    "comment_author_email": "email",
    "comment_author_url": "url",
    "comment_content": "text",
    "user_ip": "ip",
    "user_agent": "user_agent",
    "referrer": "referrer",
}
# Akismet fields stored beside the native ones, under these names (the moderator page
# links to ``permalink``).
KEPT_FIELDS = {
    "permalink": "permalink",
    "comment_type": "comment_type",
    "comment_date_gmt": "comment_date_gmt",
    "blog_lang": "lang",
    "blog": "blog",
}
KEPT_MAX_CHARS = 2048
# A permalink this short is also the comment's thread (the native limit), so the
# moderator page's thread filter groups a page's comments.
THREAD_MAX_CHARS = 200
SOURCE = "akismet"


@dataclass(frozen=True)
class AkismetComment:
    """A comment-check (or submit-spam/ham) request read into modq's terms."""

    # In native field names (name, email, text, url, ip, user_agent, referrer, thread),
    # for the native validation; absent fields are left out.
    native: dict[str, str]
    # Stored beside the native fields: permalink, comment_type, lang, ..., source.
    kept: dict[str, str] = field(default_factory=dict)
    honeypot_filled: bool = False
    # user_role=administrator: Akismet never calls the site's administrators spam.
    trusted: bool = False
    # is_test=1: score and answer, store nothing.
    is_test: bool = False
    guid: str | None = None
    # recheck_reason sent: the site asks again about a comment it sent before.
    recheck: bool = False

    @property
    def lookup_digest(self) -> str:
        """What finds this comment again for feedback: its author, content and IP."""
        return lookup_digest(
            self.native.get("name", ""), self.native.get("text", ""), self.native.get("ip", "")
        )


def request_key(form: Mapping[str, str], host: str | None) -> str | None:
    """The API key: from the form (``api_key``, then ``key``), else the Host's first label."""
    for name in KEY_FIELDS:
        value = form.get(name, "").strip()
        if value:
            return value
    return host_key(host)


def host_key(host: str | None) -> str | None:
    """The first label of ``KEY.some-host[:port]``; None for an address, a bare name or rest."""
    if not host:
        return None
    name = host.strip()
    if name.startswith("["):  # an IPv6 literal, [::1]:8000
        return None
    name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    label, dot, rest = name.partition(".")
    if not dot or not rest or not label or label.lower() in NOT_KEYS:
        return None
    # Host names are case-insensitive (clients and proxies may lowercase them); site
    # keys are lowercase hex.
    return label.lower()


def read_comment(form: Mapping[str, str]) -> AkismetComment:
    """The request's comment in native names, what is kept beside it, and its flags."""
    native = {
        ours: form[theirs].strip()
        for theirs, ours in NATIVE_FIELDS.items()
        if form.get(theirs, "").strip()
    }
    kept = {
        ours: form[theirs].strip()[:KEPT_MAX_CHARS]
        for theirs, ours in KEPT_FIELDS.items()
        if form.get(theirs, "").strip()
    }
    permalink = kept.get("permalink", "")
    if permalink and len(permalink) <= THREAD_MAX_CHARS:
        native["thread"] = permalink
    kept["source"] = SOURCE
    # The comment names its lookup key, so that erasing the comment can delete it too.
    kept["akismet_lookup"] = lookup_digest(
        native.get("name", ""), native.get("text", ""), native.get("ip", "")
    )
    honeypot_name = form.get("honeypot_field_name", "").strip()
    honeypot_filled = bool(honeypot_name) and bool(form.get(honeypot_name, "").strip())
    return AkismetComment(
        native=native,
        kept=kept,
        honeypot_filled=honeypot_filled,
        trusted=form.get("user_role", "").strip().lower() == "administrator",
        is_test=_flag(form.get("is_test", "")),
        guid=form.get("guid", "").strip() or None,
        recheck=bool(form.get("recheck_reason", "").strip()),
    )


def lookup_digest(author: str, content: str, ip: str) -> str:
    """sha256 of author, content and IP (trimmed, NUL-separated): the comment's lookup key."""
    joined = "\0".join(part.strip() for part in (author, content, ip))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def check_answer(status: CommentStatus, comment_id: str) -> tuple[str, dict[str, str]]:
    """comment-check's body and headers: ``true`` unless approved; discard when rejected."""
    headers = {GUID_HEADER: comment_id}
    if status is CommentStatus.REJECTED:
        headers[PRO_TIP_HEADER] = "discard"
    return ("false" if status is CommentStatus.APPROVED else "true"), headers


def usage_answer(usage: int) -> dict[str, object]:
    """usage-limit's JSON as Akismet documents it, for a key with no limit."""
    return {"limit": "none", "usage": usage, "percentage": "0.00", "throttled": False}


def usage_month(now: float) -> str:
    """The UTC month (``YYYY-MM``) whose usage counter a call at ``now`` counts in."""
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m")


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")
