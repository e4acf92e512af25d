"""Moderator authentication: bearer tokens for the API, a signed session for the page.

Tokens come from ``MODQ_MODERATOR_TOKENS`` (``name:token,…``) and are compared
in constant time. The page signs a moderator in once and then keeps a Flask
session (a cookie signed with ``MODQ_SECRET_KEY``: HttpOnly, SameSite=Strict,
Secure over https). The session holds a fingerprint of the token, so removing
or changing a moderator's token also ends their sessions, and the id of its
server-side state in Redis (service/http/sessions.py), so signing out and an idle
timeout end it for every worker and host. Every form the page posts carries a
CSRF token bound to the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Request, Response, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

from service.http.context import services
from service.http.errors import ForbiddenError, UnauthorizedError
from service.http.sessions import ModeratorSessions

F = TypeVar("F", bound=Callable[..., Any])

SESSION_COOKIE = "modq_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def moderator_for_token(token: str, tokens: dict[str, str]) -> str | None:
    """The moderator whose token this is, or None; every token is compared in constant time."""
    found = None
    supplied = token.encode()
    for name, expected in tokens.items():
        if hmac.compare_digest(supplied, expected.encode()):
            found = name
    return found


def bearer_token(req: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if there is one."""
    # From the environ: the same value as req.headers.get, without its key translation
    # (every website request asks, for the site key).
    header = req.environ.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def current_moderator() -> str:
    """The moderator of this request (set by ``require_moderator``)."""
    name: str = g.moderator
    return name


def require_moderator(view: F) -> F:
    """API views: 401 unless the request carries a valid moderator bearer token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = bearer_token(request)
        if token is None:
            raise UnauthorizedError("Send a moderator token: Authorization: Bearer <token>.")
        name = moderator_for_token(token, dict(services().settings.moderator_tokens))
        if name is None:
            raise UnauthorizedError("The moderator token is not valid.")
        g.moderator = name
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _fingerprint(token: str, secret: str) -> str:
    return hmac.new(secret.encode(), b"session:" + token.encode(), hashlib.sha256).hexdigest()


def sign_in(token: str) -> str | None:
    """Start a page session for the token's moderator; their name, or None if the token is wrong."""
    settings = services().settings
    name = moderator_for_token(token, dict(settings.moderator_tokens))
    if name is None:
        return None
    session.clear()
    session["moderator"] = name
    session["token_fp"] = _fingerprint(token, settings.secret_key)
    session["sid"] = _sessions().start(name)
    session["csrf"] = secrets.token_urlsafe(32)
    return name


def sign_out() -> None:
    """End the page session, here and for every copy of its cookie."""
    session_id = session.get("sid")
    if isinstance(session_id, str):
        _sessions().end(session_id)
    session.clear()


def session_moderator(*, active: bool = True) -> str | None:
    """The signed-in moderator of the page, if the session is live and the token configured.

    ``active``: this request is the moderator's doing, and restarts the idle time
    (the page's automatic lease renewals pass False).
    """
    name = session.get("moderator")
    fingerprint = session.get("token_fp")
    session_id = session.get("sid")
    if not isinstance(name, str) or not isinstance(fingerprint, str):
        return None
    if not isinstance(session_id, str):
        return None  # a cookie from before sessions were kept in Redis
    settings = services().settings
    token = settings.moderator_tokens.get(name)
    if token is None or not hmac.compare_digest(
        fingerprint, _fingerprint(token, settings.secret_key)
    ):
        _sessions().end(session_id)
        session.clear()
        return None
    if not _sessions().check(session_id, name, active=active):
        session.clear()
        return None
    return name


def _sessions() -> ModeratorSessions:
    ctx = services()
    return ModeratorSessions(ctx.redis, ctx.settings.session_idle_minutes * 60)


def csrf_token() -> str:
    """This session's CSRF token (made on first use, also before signing in)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """403 unless the form (or the X-CSRF-Token header) carries this session's CSRF token."""
    expected = session.get("csrf")
    supplied = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(supplied, expected):
        raise ForbiddenError("The form's CSRF token is missing or stale; reload the page.")


class ModeratorSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, Secure when the request came over https.

    Requests without the cookie (every website's API call) skip the signer and
    the cookie settings: the same empty session and the same response, cheaper.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all (every site's API call): nothing to parse.
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ or SESSION_COOKIE not in request.cookies
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session and not session.modified and not session.accessed:
            return  # what the parent does for a session nobody touched, minus its set-up
        super().save_session(app, session, response)

    def get_cookie_name(self, app: Flask) -> str:
        return SESSION_COOKIE

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = services(app).settings.cookie_secure
        return request.is_secure if configured is None else configured

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"


def install_sessions(app: Flask) -> None:
    """Use the moderator session cookie on this app."""
    app.session_interface = ModeratorSessionInterface()
