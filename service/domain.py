"""Shared domain vocabulary: comment states, reason codes and comment ids.

Other modules (the queue, the decision feed, the UI) compare against these
enums, never against bare strings.
"""

from __future__ import annotations

import os
import time
from enum import Enum

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
# What is_comment_id accepts, as a regular expression (routes and the OpenAPI document)
COMMENT_ID_REGEX = "[0-7][0-9abcdefghjkmnpqrstvwxyz]{25}"
COMMENT_ID_PATTERN = f"^{COMMENT_ID_REGEX}$"


class CommentStatus(str, Enum):
    """Where a comment stands: published, waiting for a moderator, or refused."""

    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"


class Head(str, Enum):
    """The classifier's heads: what a score measures."""

    SPAM = "spam"
    TOXICITY = "toxicity"


class ReasonCode(str, Enum):
    """Stable codes of the reasons a decision gives."""

    HONEYPOT = "honeypot"
    TOO_MANY_LINKS = "too_many_links"
    BANNED_WORD = "banned_word"
    SUSPECT_WORD = "suspect_word"
    SPAM_LIKELY = "spam_likely"
    SPAM_POSSIBLE = "spam_possible"
    TOXICITY_LIKELY = "toxicity_likely"
    TOXICITY_POSSIBLE = "toxicity_possible"
    SHADOW_MODE = "shadow_mode"
    # An Akismet client said the author is the site's administrator (user_role).
    TRUSTED_ROLE = "trusted_role"


def new_comment_id(now_ms: int | None = None) -> str:
    """A 26-character id: 48-bit millisecond time then 80 random bits, Crockford base32.

    Ids sort by creation time as strings, and the random part makes them unguessable.
    """
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    return comment_id(millis, int.from_bytes(os.urandom(10), "big"))


def comment_id(millis: int, random_bits: int) -> str:
    """The id of ``new_comment_id`` for a given time and 80-bit random part."""
    value = (millis & ((1 << 48) - 1)) << 80 | (random_bits & ((1 << 80) - 1))
    chars = []
    for _ in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_comment_id(value: str) -> bool:
    """Whether ``value`` has the shape of a comment id (cheap check before a Redis look-up)."""
    return len(value) == 26 and all(c in _CROCKFORD for c in value) and value[0] in "01234567"
