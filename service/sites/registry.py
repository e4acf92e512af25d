"""The sites that share this modq, and their keys.

A key is 160 random bits written as 40 lowercase hex digits (it can be the first
label of a host name, as Akismet clients send it). Only its sha256 is stored: a
key has too much entropy for a slow hash to add anything, and looking a key up
by its digest needs one Redis read per request. Keys live in Redis (layout in
``service.keys``), so adding, rotating and removing take effect on the next
request of every worker, with no restart.

Rotating gives a site a new key and lets the old one work for a grace period:
the old key's record expires in Redis then (and carries its end time, checked on
every use as well). Removing a site deletes every key it was ever given.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import redis
from redis.client import Pipeline

from service.errors import ConflictError, InvalidError, NotFoundError
from service.store import keys

KEY_BYTES = 20  # 160 bits
MAX_KEY_CHARS = 200  # longer "keys" are not ours: answered without asking Redis
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
DEFAULT_GRACE_SECONDS = 24 * 3600


class _Unchanged:
    """The type of UNCHANGED: a field ``SiteRegistry.set`` leaves as it is."""


UNCHANGED: Final = _Unchanged()


@dataclass(frozen=True)
class Site:
    """One website that posts comments to modq, with its own namespace."""

    name: str
    url: str | None
    coral_secret: str | None

    @property
    def namespace(self) -> str:
        """The namespace of the site's comments, queue, feed, labels, stats and audit."""
        return self.name


def new_key() -> str:
    """A fresh random site key (160 bits, lowercase hex)."""
    return secrets.token_hex(KEY_BYTES)


def key_digest(key: str) -> str:
    """The sha256 (hex) under which a key is stored."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    """The name, if it can name a site (lowercase letters, digits, '.', '_', '-'); else 422."""
    if not NAME_PATTERN.match(name):
        raise InvalidError(
            "A site name is 1-64 lowercase letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
            fields={"name": "invalid site name"},
        )
    return name


def check_url(url: str | None) -> str | None:
    """The site's address (http or https), None when empty; else 422."""
    if not url:
        return None
    if not re.match(r"^https?://[^\s/]+", url) or len(url) > 2048:
        raise InvalidError(
            "A site's URL starts with http:// or https://.", fields={"url": "invalid URL"}
        )
    return url


def _site_of(name: str, fields: dict[str, str]) -> Site:
    return Site(
        name=name, url=fields.get("url") or None, coral_secret=fields.get("coral_secret") or None
    )


class SiteRegistry:
    """Sites and their keys, in one Redis (every key under the ``{sites}`` hash tag)."""

    def __init__(self, client: redis.Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis = client
        self.clock = clock

    def any(self) -> bool:
        """Whether at least one site exists (then every website endpoint needs a key)."""
        return bool(self.redis.exists(keys.sites()))

    def list(self) -> list[Site]:
        """Every site, by name."""
        names = sorted(self.redis.smembers(keys.sites()))  # type: ignore[arg-type]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hgetall(keys.site(name))
        return [
            _site_of(name, fields)
            for name, fields in zip(names, pipe.execute(), strict=True)
            if fields
        ]

    def names(self) -> frozenset[str]:
        """Every site's name."""
        return frozenset(self.redis.smembers(keys.sites()))  # type: ignore[arg-type]

    def get(self, name: str) -> Site | None:
        """The site of this name, or None."""
        fields: dict[str, str] = self.redis.hgetall(keys.site(name))  # type: ignore[assignment]
        return _site_of(name, fields) if fields else None

    def add(self, name: str, url: str | None = None, coral_secret: str | None = None) -> str:
        """Create a site; its key (shown once: only its digest is kept). 409 if it exists."""
        check_name(name)
        url = check_url(url)
        key = new_key()
        digest = key_digest(key)

        def write(pipe: Pipeline) -> None:
            if pipe.exists(keys.site(name)):
                raise ConflictError(f"A site named {name!r} exists already.")
            pipe.multi()
            site_fields = {"url": url or "", "coral_secret": coral_secret or ""}
            pipe.hset(
                keys.site(name),
                mapping={**site_fields, "created_at": f"{self.clock():.3f}", "key": digest},
            )
            pipe.sadd(keys.sites(), name)
            pipe.sadd(keys.site_keys(name), digest)
            pipe.hset(
                keys.site_key(digest), mapping={"site": name, "digest": digest, **site_fields}
            )

        self.redis.transaction(write, keys.site(name))
        return key

    def rotate(self, name: str, grace_seconds: int = DEFAULT_GRACE_SECONDS) -> str:
        """A new key for the site; the old one keeps working ``grace_seconds`` more (0: none)."""
        if grace_seconds < 0:
            raise InvalidError(
                "The grace period cannot be negative.", fields={"grace": "0 or more seconds"}
            )
        key = new_key()
        digest = key_digest(key)

        def write(pipe: Pipeline) -> None:
            fields: dict[str, str] = pipe.hgetall(keys.site(name))  # type: ignore[assignment]
            if not fields:
                raise NotFoundError(f"No site named {name!r}.")
            old = fields.get("key", "")
            ends = self.clock() + grace_seconds
            pipe.multi()
            if old:
                if grace_seconds == 0:
                    pipe.delete(keys.site_key(old))
                else:
                    # Only a record that still exists gets an end: HSET would recreate one
                    # that expired meanwhile (the WATCH below makes this read current).
                    pipe.hset(keys.site_key(old), "expires_at", f"{ends:.3f}")
                    pipe.pexpireat(keys.site_key(old), math.ceil(ends * 1000))
            site_fields = {
                "url": fields.get("url", ""),
                "coral_secret": fields.get("coral_secret", ""),
            }
            pipe.hset(
                keys.site_key(digest), mapping={"site": name, "digest": digest, **site_fields}
            )
            pipe.sadd(keys.site_keys(name), digest)
            pipe.hset(keys.site(name), "key", digest)

        self.redis.transaction(write, keys.site(name), keys.site_keys(name))
        return key

    def set(
        self,
        name: str,
        url: str | _Unchanged | None = UNCHANGED,
        coral_secret: str | _Unchanged | None = UNCHANGED,
    ) -> Site:
        """Change a site's URL or Coral secret (None or "" clears one); the site as it is now."""
        changes: dict[str, str] = {}
        if not isinstance(url, _Unchanged):
            changes["url"] = check_url(url) or ""
        if not isinstance(coral_secret, _Unchanged):
            changes["coral_secret"] = coral_secret or ""

        def write(pipe: Pipeline) -> None:
            if not pipe.exists(keys.site(name)):
                raise NotFoundError(f"No site named {name!r}.")
            digests = sorted(pipe.smembers(keys.site_keys(name)))  # type: ignore[arg-type]
            reads = pipe.pipeline(transaction=False)
            for digest in digests:
                reads.hmget(keys.site_key(digest), ["site", "expires_at"])
            records = reads.execute()
            pipe.multi()
            if changes:
                pipe.hset(keys.site(name), mapping=changes)
            for digest, (owner, expires_at) in zip(digests, records, strict=True):
                if owner is None or not changes:
                    continue  # expired or deleted: must not come back
                pipe.hset(keys.site_key(digest), mapping=changes)
                if expires_at:
                    # HSET on a record that expired after the read would recreate it:
                    # its end, set again, removes it at once in that case.
                    pipe.pexpireat(keys.site_key(digest), math.ceil(float(expires_at) * 1000))

        watched = [keys.site(name), keys.site_keys(name)]
        digests_now = self.redis.smembers(keys.site_keys(name))
        watched += [keys.site_key(d) for d in digests_now]  # type: ignore[union-attr]
        self.redis.transaction(write, *watched)
        site = self.get(name)
        if site is None:
            raise NotFoundError(f"No site named {name!r}.")
        return site

    def remove(self, name: str) -> None:
        """Delete a site and every key it was given (its comments and queue stay in Redis)."""

        def write(pipe: Pipeline) -> None:
            if not pipe.exists(keys.site(name)):
                raise NotFoundError(f"No site named {name!r}.")
            digests = list(pipe.smembers(keys.site_keys(name)))  # type: ignore[arg-type]
            pipe.multi()
            for digest in digests:
                pipe.delete(keys.site_key(digest))
            pipe.delete(keys.site_keys(name), keys.site(name))
            pipe.srem(keys.sites(), name)

        self.redis.transaction(write, keys.site(name), keys.site_keys(name))

    def authenticate(self, key: str) -> Site | None:
        """The site whose key this is (current, or rotated and within its grace), else None."""
        found = self.lookup(key)
        return None if found is None else found[0]

    def lookup(self, key: str) -> tuple[Site, float | None] | None:
        """The key's site and the end of its grace (None: a current key), if the key is live."""
        if not key or len(key) > MAX_KEY_CHARS:
            return None
        digest = key_digest(key)
        record: dict[str, Any] = self.redis.hgetall(keys.site_key(digest))  # type: ignore[assignment]
        site = site_for_record(record, digest, self.clock())
        if site is None:
            return None
        ends = record.get("expires_at")
        return site, float(ends) if ends else None


def site_for_record(record: dict[str, Any], digest: str, now: float) -> Site | None:
    """The site a key record names, if it is live; the lookup's digest compared in constant time."""
    name = record.get("site")
    if not name:
        return None
    # Found by its digest already; the constant-time comparison keeps the check honest
    # should records ever be found another way (a cache, a scan).
    if not hmac.compare_digest(str(record.get("digest", "")), digest):
        return None
    expires_at = record.get("expires_at")
    if expires_at and float(expires_at) <= now:
        return None
    return _site_of(str(name), record)
