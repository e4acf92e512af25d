"""The webhook endpoints of one namespace (site): add, list, rotate, disable, remove."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import redis

from service.integrations.webhooks.events import ALL_EVENTS, EventType
from service.integrations.webhooks.signing import new_secret
from service.store import keys

# How long an old secret keeps signing after rotate-secret, so receivers can switch over.
ROTATION_GRACE_SECONDS = 24 * 3600


class EndpointError(ValueError):
    """A bad URL, an unknown endpoint, or another mistake in a request about endpoints."""


@dataclass(frozen=True)
class Endpoint:
    """One receiver of webhooks."""

    id: str
    url: str
    events: tuple[EventType, ...]
    # (secret, expires_at or None); the newest is last
    secrets: tuple[tuple[str, float | None], ...]
    since: str  # stream entry id: events before it are not this endpoint's
    created_at: float
    disabled: bool = False

    def live_secrets(self, now: float) -> list[str]:
        """The secrets that sign a message sent now (newest first)."""
        live = [s for s, expires in self.secrets if expires is None or expires > now]
        return list(reversed(live))

    def wants(self, event: EventType) -> bool:
        """Whether this endpoint subscribes to ``event``."""
        return event in self.events

    def public(self) -> dict[str, Any]:
        """What `modq webhooks list` shows (never a secret)."""
        return {
            "id": self.id,
            "url": self.url,
            "events": [e.value for e in self.events],
            "disabled": self.disabled,
            "created_at": self.created_at,
            "secrets": len(self.live_secrets(time.time())),
        }


def check_url(url: str) -> str:
    """The URL if it is an absolute http(s) URL, else EndpointError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise EndpointError(f"the endpoint URL must be an absolute http(s):// URL: {url!r}")
    return url


class EndpointRegistry:
    """Endpoints of one namespace, kept in Redis as JSON records."""

    def __init__(self, client: redis.Redis, namespace: str = keys.DEFAULT_NAMESPACE) -> None:
        self.client = client
        self.namespace = namespace

    def add(self, url: str, events: tuple[EventType, ...] = ALL_EVENTS) -> tuple[Endpoint, str]:
        """Create an endpoint; returns it and its secret (shown once)."""
        check_url(url)
        secret = new_secret()
        seconds, micros = self.client.time()  # type: ignore[misc]
        now = seconds + micros / 1e6
        endpoint = Endpoint(
            id="ep_" + secrets.token_hex(8),
            url=url,
            events=events,
            secrets=((secret, None),),
            # Redis's clock, as stream entry ids use it: the events from now on are its own.
            since=f"{seconds * 1000 + micros // 1000}-0",
            created_at=now,
        )
        self.client.sadd(keys.webhook_namespaces(), self.namespace)
        cursor = keys.webhook_cursor(self.namespace)
        pipe = self.client.pipeline(transaction=True)
        pipe.hset(keys.webhook_endpoints(self.namespace), endpoint.id, _encode(endpoint))
        # The router starts from here when it has never run (an old feed is not replayed).
        pipe.hsetnx(cursor, "decisions", endpoint.since)
        pipe.hsetnx(cursor, "created", endpoint.since)
        pipe.execute()
        self.refresh_flags()
        return endpoint, secret

    def list(self) -> list[Endpoint]:
        """Every endpoint of the namespace, oldest first."""
        records = self.client.hgetall(keys.webhook_endpoints(self.namespace))
        disabled = self.client.smembers(keys.webhook_disabled(self.namespace))
        endpoints = [
            _decode(raw, endpoint_id in disabled)  # type: ignore[operator]
            for endpoint_id, raw in records.items()  # type: ignore[union-attr]
        ]
        return sorted(endpoints, key=lambda e: e.created_at)

    def get(self, endpoint_id: str) -> Endpoint:
        """One endpoint; EndpointError if there is none by that id."""
        raw = self.client.hget(keys.webhook_endpoints(self.namespace), endpoint_id)
        if raw is None:
            raise EndpointError(f"no webhook endpoint {endpoint_id!r} in {self.namespace!r}")
        disabled = bool(self.client.sismember(keys.webhook_disabled(self.namespace), endpoint_id))
        return _decode(str(raw), disabled)

    def rotate_secret(self, endpoint_id: str, grace_seconds: float = ROTATION_GRACE_SECONDS) -> str:
        """Add a new secret; the current ones keep signing for ``grace_seconds``."""
        endpoint = self.get(endpoint_id)
        now = time.time()
        kept = tuple(
            (s, min(expires, now + grace_seconds) if expires is not None else now + grace_seconds)
            for s, expires in endpoint.secrets
            if expires is None or expires > now
        )
        secret = new_secret()
        self._save(_replace_secrets(endpoint, (*kept, (secret, None))))
        return secret

    def set_disabled(self, endpoint_id: str, disabled: bool) -> None:
        """Disable an endpoint (nothing is sent to it) or enable it again."""
        self.get(endpoint_id)
        key = keys.webhook_disabled(self.namespace)
        if disabled:
            self.client.sadd(key, endpoint_id)
        else:
            self.client.srem(key, endpoint_id)
        self.refresh_flags()

    def remove(self, endpoint_id: str) -> None:
        """Forget an endpoint (its queued messages are dropped by the outbox)."""
        self.get(endpoint_id)
        self.client.hdel(keys.webhook_endpoints(self.namespace), endpoint_id)
        self.client.srem(keys.webhook_disabled(self.namespace), endpoint_id)
        self.refresh_flags()

    def refresh_flags(self) -> None:
        """Turn the intake's created-events stream on exactly while an endpoint wants it."""
        wanted = any(e.wants(EventType.CREATED) and not e.disabled for e in self.list())
        key = keys.webhook_wants_created(self.namespace)
        if wanted:
            self.client.set(key, "1")
        else:
            self.client.delete(key)

    def _save(self, endpoint: Endpoint) -> None:
        self.client.hset(keys.webhook_endpoints(self.namespace), endpoint.id, _encode(endpoint))


def _replace_secrets(
    endpoint: Endpoint, secret_list: tuple[tuple[str, float | None], ...]
) -> Endpoint:
    return Endpoint(
        id=endpoint.id,
        url=endpoint.url,
        events=endpoint.events,
        secrets=secret_list,
        since=endpoint.since,
        created_at=endpoint.created_at,
        disabled=endpoint.disabled,
    )


def _encode(endpoint: Endpoint) -> str:
    return json.dumps(
        {
            "id": endpoint.id,
            "url": endpoint.url,
            "events": [e.value for e in endpoint.events],
            "secrets": [[s, expires] for s, expires in endpoint.secrets],
            "since": endpoint.since,
            "created_at": endpoint.created_at,
        }
    )


def _decode(raw: str, disabled: bool) -> Endpoint:
    record = json.loads(raw)
    return Endpoint(
        id=record["id"],
        url=record["url"],
        events=tuple(EventType(e) for e in record["events"]),
        secrets=tuple((s, expires) for s, expires in record["secrets"]),
        since=record["since"],
        created_at=record["created_at"],
        disabled=disabled,
    )
