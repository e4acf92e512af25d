"""The moderator's page, /moderate: sign in with a token, work a claimed batch, look
through the automatic decisions, sign out.

Server-rendered (Jinja, autoescaped): every button is a plain form post, so
the page works without JavaScript; ``static/moderate.js`` adds keyboard
shortcuts, decides without a reload and counts the undo window down. A strict
Content-Security-Policy allows only this blueprint's own script and style.
Decisions, undo and corrections live in ``service.ui.actions``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    flash,
    get_flashed_messages,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from service.domain import CommentStatus
from service.http.auth import (
    check_csrf,
    csrf_token,
    install_sessions,
    session_moderator,
    sign_in,
    sign_out,
)
from service.http.context import services
from service.http.errors import ForbiddenError
from service.http.openapi import documented
from service.http.ui.bidi import encode_bidi, mark_bidi, reveal_bidi
from service.http.ui.view import BATCH_SIZE, context_of, model_version, page_queue
from service.queue.history import BANDS, band_range, recent_automatic
from service.queue.items import format_time, is_web_link, link_target
from service.queue.order import Sort
from service.queue.stats import age_text

bp = Blueprint(
    "moderate",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/moderate/static",
)

STATIC = Path(__file__).resolve().parent / "static"
ICON_MAX_AGE = 86400  # a day: the icon rarely changes, and is asked for on every first load
TABS = {
    "pending": "Pending",
    "rejected": "Auto-rejected",
    "approved": "Auto-approved",
}
DENSITIES = ("compact", "full")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    install_sessions(cast(Flask, state.app))
    env = state.app.jinja_env
    env.filters["age"] = age_text
    env.filters["link_target"] = link_target
    env.filters["bidi"] = reveal_bidi
    env.filters["bidi_href"] = encode_bidi
    env.filters["bidi_text"] = mark_bidi
    env.tests["web_link"] = is_web_link


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    if response.mimetype == "text/html" or response.is_json:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(ForbiddenError)
def _forbidden(error: ForbiddenError) -> tuple[str, int]:
    return render_template("moderate_error.html", message=error.message), 403


def view_args() -> dict[str, Any]:
    """The sort and thread the moderator is looking at, from the query or the form."""
    source = request.form if request.method == "POST" else request.args
    sort = source.get("sort", Sort.OLDEST.value)
    thread = source.get("thread", "").strip()
    site = source.get("site", "").strip()
    args: dict[str, Any] = {"sort": sort if sort in {s.value for s in Sort} else Sort.OLDEST.value}
    if thread:
        args["thread"] = thread[:2048]
    if site:
        args["site"] = site[:64]
    return args


def _density() -> str:
    """Compact (one line per comment) or full (every card open); remembered per session."""
    asked = request.args.get("density", "")
    if asked in DENSITIES:
        session["density"] = asked
    density = session.get("density", "compact")
    return density if density in DENSITIES else "compact"


def _undo(now: float) -> dict[str, Any] | None:
    """The moderator's last decision while it can still be taken back."""
    last = session.get("undo")
    if not isinstance(last, dict) or float(last.get("until", 0)) <= now:
        return None
    return {**last, "left_s": int(float(last["until"]) - now + 0.999)}


def _common(moderator: str, queue: Any, tab: str) -> dict[str, Any]:
    now = queue.clock()
    return {
        "moderator": moderator,
        "csrf": csrf_token(),
        "now": now,
        "stats": queue.stats(),
        "model_version": model_version(),
        "tab": tab,
        "tabs": TABS,
        "density": _density(),
        "undo": _undo(now),
        "messages": get_flashed_messages(with_categories=True),
    }


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The page's icon, at the address every browser tries first."""
    return send_from_directory(
        STATIC, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=ICON_MAX_AGE
    )


@bp.get("/moderate")
@documented(
    "The moderator page: the sign-in form, or the moderator's claimed batch",
    responses={200: None},
    errors=(503,),
    response_type="text/html",
    tag="moderate",
)
def page() -> ResponseReturnValue:
    """The sign-in form, or the moderator's claimed batch with stats."""
    moderator = session_moderator()
    if moderator is None:
        return render_template("moderate_login.html", csrf=csrf_token(), error=None)
    tab = request.args.get("tab", "pending")
    if tab in ("rejected", "approved"):
        return _automatic(moderator, CommentStatus(tab))
    args = view_args()
    queue = page_queue(moderator, args.get("site"))
    # Another order or thread means another batch: give back the one claimed for the old view.
    if session.get("view") != args:
        queue.release_all(moderator)
        session["view"] = args
    claim = queue.claim(moderator, BATCH_SIZE, Sort(args["sort"]), args.get("thread"))
    return render_template(
        "moderate_queue.html",
        **_common(moderator, queue, "pending"),
        claim=claim,
        contexts={item.id: context_of(item) for item in claim.items},
        renew_ms=max(5, min(60, queue.lease_seconds // 3)) * 1000,
        view=args,
        sorts=[s.value for s in Sort],
        select_all=request.args.get("select") == "all",
    )


def _automatic(moderator: str, status: CommentStatus) -> ResponseReturnValue:
    """The newest comments modq approved or rejected by itself, to look through and correct."""
    queue = page_queue(moderator, request.args.get("site") or None)
    queue.flush_held()
    band = request.args.get("band", "")
    band = band if band_range(band) else ""
    older = request.args.get("older_than", "")
    try:
        older_than = float(older) if older else None
    except ValueError:
        older_than = None
    found = recent_automatic(
        services().redis, status, band or None, 50, older_than, queue.namespaces
    )
    return render_template(
        "moderate_auto.html",
        **_common(moderator, queue, status.value),
        status=status.value,
        page=found,
        contexts={item.id: context_of(item) for item in found.items},
        band=band,
        bands=[name for name, _, _ in BANDS],
    )


@bp.post("/moderate/renew")
@documented(
    "Renew the signed-in moderator's leases (the page's script)",
    responses={200: None},
    errors=(401, 503),
    html_errors=(403,),
    tag="moderate",
)
def renew() -> ResponseReturnValue:
    """Keep the batch of a moderator who is still at work (the page's script calls this)."""
    check_csrf()
    moderator = session_moderator(active=False)  # automatic: not the moderator's activity
    if moderator is None:
        return jsonify({"error": {"code": "signed_out", "message": "Sign in again."}}), 401
    queue = page_queue(moderator, view_args().get("site"))
    claim = queue.claim(moderator, 0)  # limit 0: renews every lease held, takes nothing new
    return jsonify(
        {"lease_expires_at": format_time(claim.lease_expires_at), "stats": queue.stats()}
    )


@bp.post("/moderate/login")
@documented(
    "Sign in with a moderator token (form: token, csrf_token)",
    responses={303: None},
    errors=(429,),
    html_errors=(401, 403),
    response_type="text/html",
    tag="moderate",
)
def login() -> ResponseReturnValue:
    """Exchange a moderator token for a session."""
    check_csrf()
    if sign_in(request.form.get("token", "").strip()) is None:
        page_html = render_template(
            "moderate_login.html", csrf=csrf_token(), error="That token is not valid."
        )
        return page_html, 401
    return redirect(url_for("moderate.page"), 303)


@bp.post("/moderate/logout")
@documented(
    "Give the batch back and end the session",
    responses={303: None},
    errors=(503,),
    html_errors=(403,),
    response_type="text/html",
    tag="moderate",
)
def logout() -> ResponseReturnValue:
    """Give the batch back and end the session."""
    check_csrf()
    moderator = session_moderator()
    if moderator is not None:
        page_queue(moderator).release_all(moderator)
    sign_out()
    return redirect(url_for("moderate.page"), 303)


@bp.post("/moderate/release")
@documented(
    "Give the whole claimed batch back to the queue",
    responses={303: None},
    errors=(503,),
    html_errors=(403,),
    response_type="text/html",
    tag="moderate",
)
def release() -> ResponseReturnValue:
    """Give the whole batch back to the queue."""
    check_csrf()
    moderator = session_moderator()
    if moderator is not None:
        count = page_queue(moderator).release_all(moderator)
        flash(f"Released {count} comment{'s' if count != 1 else ''}.", "info")
    return redirect(url_for("moderate.page", **view_args()), 303)


from service.http.ui import actions  # noqa: E402,F401  (registers the decision routes on bp)
