"""Site keys on the website endpoints: who is calling, and whose namespace they use.

Once any site exists, every website endpoint needs ``Authorization: Bearer <site
key>``; a missing or wrong key answers 401 with the error shape. With no site at
all modq is open as before (``modq serve`` then listens on loopback only, see
``service.sites.protection``) and every request uses the ``default`` namespace.
Each worker remembers the keys it has seen for a second (``service.sites.cache``):
a key added counts at once, one removed or rotated out within a second, and a
rotated key's grace ends on time.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import redis
from flask import Flask, current_app, g, request

from service.http.auth import bearer_token
from service.http.context import services
from service.http.errors import UnauthorizedError
from service.sites import Site, SiteRegistry
from service.sites.cache import CachedRegistry
from service.sites.protection import is_loopback
from service.store import keys

F = TypeVar("F", bound=Callable[..., Any])


class SiteKeyRequiredError(UnauthorizedError):
    code, message = "site_key_required", "Send your site's key: Authorization: Bearer <key>."


class SiteKeyInvalidError(UnauthorizedError):
    code = "site_key_invalid"
    message = "This site key is not valid (wrong, removed, or rotated out)."


CACHE_EXTENSION = "modq.sites"


def site_registry() -> SiteRegistry:
    """The site registry over this app's Redis."""
    return SiteRegistry(services().redis)


def install_site_keys(app: Flask) -> None:
    """Give the app its remembered view of the registry, primed now (workers inherit it)."""
    cached = CachedRegistry(SiteRegistry(services(app).redis))
    cached.prime()
    app.extensions[CACHE_EXTENSION] = cached


def cached_registry() -> CachedRegistry:
    """This app's (so this worker's) remembered view of the registry."""
    cached: CachedRegistry | None = current_app.extensions.get(CACHE_EXTENSION)
    if cached is None:
        cached = current_app.extensions[CACHE_EXTENSION] = CachedRegistry(site_registry())
    return cached


def authenticate_request(needs_redis: bool = True) -> Site | None:
    """The site whose key the request carries; None when no site exists and none is sent.

    401 when a key is sent that is not valid, or none is sent while sites exist. When the
    registry's refresh just failed (Redis timed out on this request) and the view needs
    Redis as well, the RedisError is raised at once (503): a hung Redis costs a request
    one timeout, not two.
    """
    key = bearer_token(request)
    registry = cached_registry()
    fallbacks = registry.fallbacks
    if key is None:
        site = None
        if _any_site(registry):
            raise SiteKeyRequiredError()
    else:
        site = registry.authenticate(key)
        if site is None:
            raise SiteKeyInvalidError()
    if needs_redis and registry.fallbacks != fallbacks and registry.last_error is not None:
        raise registry.last_error
    return site


def _any_site(registry: CachedRegistry) -> bool:
    """Whether any site exists; a worker that never reached Redis on loopback says no.

    Open mode is only ever served on loopback (``service.sites.protection``), so there a
    worker that could not yet ask Redis answers as open, and ``/v1/score``, which needs no
    Redis otherwise, keeps working; anywhere else the question is a 503 until Redis answers.
    """
    try:
        return registry.any()
    except redis.RedisError:
        if not is_loopback(services().settings.host):
            raise
        return False


def require_site(view: F) -> F:
    """Website views: the caller's site (or open mode) is settled before the view runs."""
    return _site_view(view, needs_redis=True)


def require_site_without_redis(view: F) -> F:
    """``require_site`` for a view that needs no Redis otherwise (``/v1/score``): while
    Redis is away it keeps answering with the registry's last answers."""
    return _site_view(view, needs_redis=False)


def _site_view(view: F, *, needs_redis: bool) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.site = authenticate_request(needs_redis)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_site() -> Site | None:
    """The authenticated site of this request; None in open mode (no site exists)."""
    site: Site | None = g.get("site")
    return site


def current_namespace() -> str:
    """The namespace this request reads and writes: its site's, else ``default``."""
    site = current_site()
    return keys.DEFAULT_NAMESPACE if site is None else site.namespace
