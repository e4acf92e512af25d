"""A worker's short memory of the site registry, so a key check rarely waits on Redis.

Measured (``python -m bench.site_keys``; README *Sites*): one Redis read per request
cost the intake 2-4 % of its CPU. This keeps, per worker process, each live key it
has seen and whether any site exists, for ``TTL_SECONDS``. A rotated key's end of
grace is checked on every use against the clock, so it ends on time; a key removed
(or rotated with no grace) and the first site added count in every worker within
``TTL_SECONDS``. Wrong keys are not remembered: each costs a Redis read.

While Redis is away, the last answers it gave stand (a rotated key's grace still
ends on time): ``/v1/score``, which needs no Redis otherwise, keeps working for the
sites this worker has seen, and for everyone if it knew of no site. What a worker
never learned answers 503, as anything else that needs Redis does. A failed refresh
keeps the last answer for another ``TTL_SECONDS``, so during an outage a worker waits
on Redis for the registry once a second, not on every request; ``fallbacks`` counts
the refreshes that failed (``service.http.site_auth`` answers 503 at once for a view
that needs Redis anyway: it would wait as long again).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from service.sites.registry import MAX_KEY_CHARS, Site, SiteRegistry, key_digest

TTL_SECONDS = 1.0
MAX_KEYS = 1024


@dataclass
class CachedRegistry:
    """``any`` and ``authenticate`` of a SiteRegistry, remembered for ``ttl`` seconds."""

    registry: SiteRegistry
    ttl: float = TTL_SECONDS
    monotonic: Callable[[], float] = time.monotonic
    # digest -> (site, end of the key's grace or None, remembered until (monotonic))
    _keys: dict[str, tuple[Site, float | None, float]] = field(default_factory=dict)
    _any: tuple[bool, float] | None = None  # (answer, remembered until); None: never asked
    fallbacks: int = 0  # refreshes that failed and fell back on the last answer
    last_error: redis.RedisError | None = None  # the error of the last of them

    def prime(self) -> None:
        """Learn whether any site exists now, if Redis answers (at start: workers inherit it)."""
        with contextlib.suppress(redis.RedisError):  # then the first request asks
            self.any()

    def any(self) -> bool:
        """Whether any site exists (as Redis said at most ``ttl`` seconds ago)."""
        now = self.monotonic()
        if self._any is not None and now < self._any[1]:
            return self._any[0]
        try:
            answer = self.registry.any()
        except redis.RedisError as error:
            if self._any is None:
                raise
            self._fell_back(error)
            self._any = (self._any[0], now + self.ttl)  # Redis away: its last answer stands
            return self._any[0]
        self._any = (answer, now + self.ttl)
        return answer

    def authenticate(self, key: str) -> Site | None:
        """The key's site, if the key is live (as Redis said at most ``ttl`` seconds ago)."""
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        digest = key_digest(key)
        now = self.monotonic()
        known = self._keys.get(digest)
        if known is not None and now < known[2]:
            return self._live(known)
        try:
            found = self.registry.lookup(key)
        except redis.RedisError as error:
            if known is None:
                raise
            self._fell_back(error)
            self._keys[digest] = (known[0], known[1], now + self.ttl)  # its last answer stands
            return self._live(known)
        if found is None:
            self._keys.pop(digest, None)
            return None
        if len(self._keys) >= MAX_KEYS:
            self._keys.clear()  # a burst of distinct keys: start over rather than grow
        self._keys[digest] = (found[0], found[1], now + self.ttl)
        # A key seen live means a site exists.
        self._any = (True, now + self.ttl)
        return found[0]

    def _fell_back(self, error: redis.RedisError) -> None:
        self.fallbacks += 1
        self.last_error = error

    def _live(self, known: tuple[Site, float | None, float]) -> Site | None:
        site, ends, _ = known
        return site if ends is None or self.registry.clock() < ends else None
