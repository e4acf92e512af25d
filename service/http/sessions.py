"""Moderator page sessions held in Redis, so that ending one ends it everywhere.

The page's cookie is signed, but a signed cookie stays valid for as long as its
signature does: signing out used to leave a copy of the cookie signed in. Now
the cookie carries a random session id, and the session exists only while
Redis holds its key (``keys.moderator_session``, the id's SHA-256, so a copy of
Redis holds no usable id). Every worker and host reads the same key:

- signing out deletes it;
- it expires after ``MODQ_SESSION_IDLE_MINUTES`` without a request from the
  moderator (each page request starts the count again; the page's automatic
  lease renewals do not, so a page left open ends too);
- a token removed from ``MODQ_MODERATOR_TOKENS`` ends its sessions through the
  token's fingerprint in the cookie (service/auth.py), and the key is deleted.
"""

from __future__ import annotations

import hashlib
import secrets

import redis

from service.store import keys


class ModeratorSessions:
    """Start, check, and end moderator sessions in Redis."""

    def __init__(self, client: redis.Redis, idle_seconds: int) -> None:
        self.client = client
        self.idle_seconds = idle_seconds

    def start(self, moderator: str) -> str:
        """A new session of ``moderator``; its id (for the cookie)."""
        session_id = secrets.token_urlsafe(32)
        self.client.set(_key(session_id), moderator, ex=self.idle_seconds)
        return session_id

    def check(self, session_id: str, moderator: str, *, active: bool = True) -> bool:
        """Whether the session is live and ``moderator``'s; ``active`` restarts its idle time."""
        key = _key(session_id)
        found = self.client.getex(key, ex=self.idle_seconds) if active else self.client.get(key)
        return found == moderator

    def end(self, session_id: str) -> None:
        """End the session (signing out, or a token that is no longer configured)."""
        self.client.delete(_key(session_id))


def _key(session_id: str) -> str:
    return keys.moderator_session(hashlib.sha256(session_id.encode()).hexdigest())
