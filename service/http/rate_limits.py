"""Rate limits: flask-limiter on the service's Redis, shared by every worker and host.

- ``MODQ_RATE_LIMIT`` per commenter address on the intake (``POST /v1/comments``,
  ``POST /v1/score``): the ``ip`` a site relays when the request comes from an
  authenticated site, else the request's own address (``MODQ_TRUSTED_PROXIES``).
- ``MODQ_SITE_RATE_LIMIT`` per site (its key) on the same endpoints.
- ``MODQ_AUTH_RATE_LIMIT`` per address on failed moderator sign-ins and bad tokens:
  only 401 answers count, and over the limit every moderator request from that
  address gets 429 until the window ends.

Over a limit: 429 with ``Retry-After`` and the error shape; the intake checks before
it validates, scores or stores anything. The counters are fixed windows in Redis
(one key per limit and address, ``keys.rate_limits()`` prefix). When Redis fails, a
limit fails open: the request goes on (and the intake answers 503 from the store),
and the intake's limits step aside for 5 s, so a hung Redis is waited for once.

The intake calls the limiter's strategy itself, once its body is read (the relayed
address is in the body), instead of flask-limiter's decorator: one Redis call per
limit and nothing else on the path every comment takes. The moderator endpoints
use flask-limiter's decorators with ``deduct_when``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import redis
from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from redis.cluster import RedisCluster

from service.http.context import services
from service.http.errors import RateLimitedError, error_response
from service.http.payload import client_ip
from service.settings import Settings
from service.sites import Site
from service.store import keys

log = logging.getLogger(__name__)

EXTENSION_KEY = "modq.rate_limits"
# The blueprints whose endpoints flask-limiter's decorators guard
MODERATOR_BLUEPRINTS = ("queue", "moderate")
PAUSE_AFTER_FAILURE_S = 5.0


@dataclass
class RateLimits:
    """The app's limiter and the parsed limits of the intake."""

    limiter: Limiter
    commenter: tuple[RateLimitItem, ...]
    site: tuple[RateLimitItem, ...]
    # After a Redis failure the limits step aside for a while (monotonic time until
    # which they do), so that a hung Redis costs a request one timeout, the store's.
    paused_until: float = 0.0

    def check(self, site: str | None, address: str | None) -> None:
        """429 if this site or commenter address is over its limits (counts this request).

        Every limit of the request is counted in one round trip to Redis: the limits
        library's own fixed-window script and keys (so flask-limiter reads the same
        counters), sent as one pipeline instead of one call per limit.
        """
        hits = [("site", item, site) for item in self.site if site] + [
            ("commenter", item, address) for item in self.commenter if address
        ]
        if not hits or (self.paused_until and time.monotonic() < self.paused_until):
            return
        try:
            counts = self._count(hits)
        except (redis.RedisError, StorageError) as error:
            # Fail open: a limiter that is down must not take the intake down with it.
            log.warning("rate limiter unavailable, not limiting: %s", type(error).__name__)
            self.paused_until = time.monotonic() + PAUSE_AFTER_FAILURE_S
            return
        for (scope, item, key), count in zip(hits, counts, strict=True):
            if count > item.amount:
                reset = self.limiter.limiter.get_window_stats(item, scope, key).reset_time
                raise _limited(item, reset)

    def _count(self, hits: list[tuple[str, RateLimitItem, str]]) -> list[int]:
        storage: Any = self.limiter.limiter.storage
        script = storage.lua_incr_expire
        pipe = storage.get_connection().pipeline(transaction=False)
        for scope, item, key in hits:
            # EVALSHA itself: a script handed to a pipeline costs a SCRIPT EXISTS each time
            pipe.evalsha(
                script.sha, 1, storage.prefixed_key(item.key_for(scope, key)), item.get_expiry(), 1
            )
        replies = pipe.execute(raise_on_error=False)
        if any(isinstance(reply, redis.exceptions.NoScriptError) for reply in replies):
            # Redis restarted without its scripts: the library's call loads it, once.
            return [
                storage.incr(item.key_for(scope, key), item.get_expiry())
                for scope, item, key in hits
            ]
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return [int(reply) for reply in replies]


def _limited(item: RateLimitItem, reset_time: float) -> RateLimitedError:
    retry_after = max(1, math.ceil(reset_time - time.time()))
    return RateLimitedError(
        f"Too many requests (limit {item}); try again in {retry_after} s.",
        headers={"Retry-After": str(retry_after)},
    )


def rate_limits(app: Flask) -> RateLimits:
    """The RateLimits of this app."""
    found: RateLimits = app.extensions[EXTENSION_KEY]
    return found


def check_rate_limits(body: dict[str, Any] | None, site: Site | None) -> None:
    """429 if the commenter of this request (or its site) is over its limit.

    ``body``: the comment's payload. From an authenticated site, its ``ip`` is the
    commenter's address (a site that relays none is limited per site only: its own
    server's address stands for all of its commenters); from anyone else, the
    request's address. None (``/v1/score``): the request's address, unless a site sent it.
    ``site``: the request's site (``current_site()``; the caller has it at hand).
    """
    limits = rate_limits(current_app)
    if not limits.commenter and not limits.site:
        return
    limits.check(site.name if site is not None else None, commenter_address(body, site))


def commenter_address(body: dict[str, Any] | None, site: Site | None) -> str | None:
    """Whose comment this is, for the limits: a site's relayed ``ip``, else the request's."""
    if site is None:
        return client_ip(request, services().settings.trusted_proxies)
    relayed = body.get("ip") if body is not None else None
    if not isinstance(relayed, str) or not relayed.strip():
        return None
    try:
        return str(ipaddress.ip_address(relayed.strip()))
    except ValueError:
        return None  # validation answers 422 for it; not a key to count under


def parse_limits(text: str | None) -> tuple[RateLimitItem, ...]:
    """``10/minute;100/hour`` as limit items (None or empty: no limit)."""
    return tuple(parse_many(text)) if text else ()


def _confine_hooks(app: Flask, limiter: Limiter, blueprints: Sequence[str]) -> None:
    """Run flask-limiter's request hooks for these blueprints' requests only.

    Its before, after and teardown hooks otherwise run on every request, the intake's
    included (which calls the strategy itself), for limits that only the moderator
    endpoints have.
    """

    def ours(hook: Any) -> bool:
        if getattr(hook, "__self__", None) is limiter:
            return True
        return isinstance(hook, functools.partial) and bool(hook.args) and hook.args[0] is limiter

    for registry in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks: list[Any] = list(registry.get(None, []))
        for hook in [h for h in hooks if ours(h)]:
            registry[None].remove(hook)
            for blueprint in blueprints:
                registry.setdefault(blueprint, []).append(hook)


def _storage_pool(client: redis.Redis) -> redis.ConnectionPool:
    # The app's client decodes replies to str; limits' scripts expect bytes.
    pool = client.connection_pool
    kwargs = {**pool.connection_kwargs, "decode_responses": False}
    return redis.ConnectionPool(connection_class=pool.connection_class, **kwargs)


def _storage(client: redis.Redis, settings: Settings) -> tuple[str, dict[str, Any]]:
    """The limits library's storage URI and options for the app's Redis (or Redis Cluster)."""
    cluster: Any = client
    if isinstance(cluster, RedisCluster):
        # limits makes its own RedisCluster client from the node's address.
        node = urlsplit(str(settings.redis_url)).netloc.rpartition("@")[2]
        return f"redis+cluster://{node}", {"key_prefix": keys.rate_limits()}
    options = {"connection_pool": _storage_pool(client), "key_prefix": keys.rate_limits()}
    return "redis://", cast(dict[str, Any], options)


def install_rate_limits(app: Flask, settings: Settings, client: redis.Redis) -> RateLimits:
    """Create the limiter on ``client``'s Redis and attach the moderator limits."""
    storage_uri, storage_options = _storage(client, settings)
    limiter = Limiter(
        key_func=lambda: client_ip(request, settings.trusted_proxies) or "unknown",
        app=app,
        storage_uri=storage_uri,
        storage_options=storage_options,
        strategy="fixed-window",
        swallow_errors=True,
        headers_enabled=False,
    )
    limits = RateLimits(
        limiter=limiter,
        commenter=parse_limits(settings.rate_limit),
        site=parse_limits(settings.site_rate_limit),
    )
    app.extensions[EXTENSION_KEY] = limits
    _confine_hooks(app, limiter, MODERATOR_BLUEPRINTS)
    if settings.auth_rate_limit:
        failed_auth = limiter.shared_limit(
            settings.auth_rate_limit,
            scope="moderator-auth",
            deduct_when=lambda response: response.status_code == 401,
        )
        guarded = [e for e in app.view_functions if e.startswith("queue.")]
        for endpoint in [*guarded, "moderate.login"]:
            view: Any = app.view_functions[endpoint]
            app.view_functions[endpoint] = failed_auth(view)

    @app.errorhandler(RateLimitExceeded)
    def _over_limit(error: RateLimitExceeded) -> Response:
        current = limiter.current_limit
        reset = current.reset_at if current is not None else time.time() + 60
        return error_response(_limited(error.limit.limit, reset))

    return limits
