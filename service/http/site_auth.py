"""Site keys on the website endpoints: who is calling, and whose namespace they use.

Once any site exists, every website endpoint needs ``Authorization: Bearer <site
key>``; a missing or wrong key answers 401 with the error shape. With no site at
all modq is open as before (``modq serve`` then listens on loopback only, see
``service.sites.protection``) and every request uses the ``default`` namespace.
Keys are looked up in Redis on every request: a key added, rotated out or removed
counts from the next request of every worker.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from service import keys
from service.auth import bearer_token
from service.context import services
from service.errors import UnauthorizedError
from service.sites import Site, SiteRegistry

F = TypeVar("F", bound=Callable[..., Any])


class SiteKeyRequiredError(UnauthorizedError):
    code, message = "site_key_required", "Send your site's key: Authorization: Bearer <key>."


class SiteKeyInvalidError(UnauthorizedError):
    code = "site_key_invalid"
    message = "This site key is not valid (wrong, removed, or rotated out)."


def site_registry() -> SiteRegistry:
    """The site registry over this app's Redis."""
    return SiteRegistry(services().redis)


def authenticate_request() -> Site | None:
    """The site whose key the request carries; None when no site exists and none is sent.

    401 when a key is sent that is not valid, or none is sent while sites exist.
    """
    key = bearer_token(request)
    registry = site_registry()
    if key is None:
        if registry.any():
            raise SiteKeyRequiredError()
        return None
    site = registry.authenticate(key)
    if site is None:
        raise SiteKeyInvalidError()
    return site


def require_site(view: F) -> F:
    """Website views: the caller's site (or open mode) is settled before the view runs."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g.site = authenticate_request()
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
