"""The moderator's page, /moderate: sign in with a token, work a claimed batch, sign out.

Server-rendered (Jinja, autoescaped): every button is a plain form post, so
the page works without JavaScript; ``static/moderate.js`` adds keyboard
shortcuts and decides without a reload. A strict Content-Security-Policy
allows only this blueprint's own script and style.
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

from service.errors import ModqError
from service.http.auth import (
    check_csrf,
    csrf_token,
    install_sessions,
    session_moderator,
    sign_in,
    sign_out,
)
from service.http.errors import APIError, ForbiddenError
from service.http.openapi import documented
from service.http.ui.bidi import encode_bidi, mark_bidi, reveal_bidi
from service.http.ui.view import BATCH_SIZE, page_queue
from service.queue.items import format_time, is_web_link, link_target
from service.queue.order import Sort
from service.queue.review import Decision, RejectReason
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
ACTIONS: dict[str, tuple[Decision, RejectReason | None]] = {
    "approve": (Decision.APPROVE, None),
    "spam": (Decision.REJECT, RejectReason.SPAM),
    "toxic": (Decision.REJECT, RejectReason.TOXIC),
    "other": (Decision.REJECT, RejectReason.OTHER),
}
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


def _view_args() -> dict[str, Any]:
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
    args = _view_args()
    queue = page_queue(moderator, args.get("site"))
    # Another order or thread means another batch: give back the one claimed for the old view.
    if session.get("view") != args:
        queue.release_all(moderator)
        session["view"] = args
    claim = queue.claim(moderator, BATCH_SIZE, Sort(args["sort"]), args.get("thread"))
    return render_template(
        "moderate_queue.html",
        moderator=moderator,
        csrf=csrf_token(),
        claim=claim,
        now=queue.clock(),
        renew_ms=max(5, min(60, queue.lease_seconds // 3)) * 1000,
        stats=queue.stats(),
        view=args,
        sorts=[s.value for s in Sort],
        messages=get_flashed_messages(with_categories=True),
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
    queue = page_queue(moderator, _view_args().get("site"))
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
    return redirect(url_for("moderate.page", **_view_args()), 303)


@bp.post("/moderate/decide")
@documented(
    "Decide one comment or the selected ones (JSON answer with Accept: application/json)",
    responses={200: None, 303: None},
    errors=(401, 422, 503),
    html_errors=(403,),
    tag="moderate",
)
def decide() -> ResponseReturnValue:
    """Decide one comment (its own button) or every selected one (the bulk buttons)."""
    check_csrf()
    moderator = session_moderator()
    wants_json = request.accept_mimetypes.best == "application/json"
    if moderator is None:
        if wants_json:
            return jsonify({"error": {"code": "signed_out", "message": "Sign in again."}}), 401
        return redirect(url_for("moderate.page"), 303)
    action, ids = _requested()
    queue = page_queue(moderator)
    results: list[dict[str, Any]] = []
    for comment_id in ids:
        decision, reason = ACTIONS[action]
        try:
            done = queue.decide(comment_id, moderator, decision, reason, via="page")
            results.append({"id": comment_id, "ok": True, "status": done.status.value})
        except (ModqError, APIError) as error:
            results.append({"id": comment_id, "ok": False, "error": error.message})
    message = _summary(action, results)
    if wants_json:
        return jsonify({"results": results, "message": message, "stats": queue.stats()})
    flash(message, "info" if all(r["ok"] for r in results) else "error")
    return redirect(url_for("moderate.page", **_view_args()), 303)


def _requested() -> tuple[str, list[str]]:
    """(action, ids): a card's button sends ``act=<action>:<id>``, bulk ``bulk=<action>``."""
    single = request.form.get("act", "")
    if single:
        action, _, comment_id = single.partition(":")
        ids = [comment_id]
    else:
        action = request.form.get("bulk", "")
        ids = request.form.getlist("ids")
    ids = [cid for cid in dict.fromkeys(ids) if cid][: BATCH_SIZE * 5]
    if action not in ACTIONS or not ids:
        flash_text = (
            "Select at least one comment first." if action in ACTIONS else "Unknown action."
        )
        raise _NothingToDo(flash_text)
    return action, ids


class _NothingToDo(APIError):
    status, code = 422, "nothing_selected"


@bp.errorhandler(_NothingToDo)
def _nothing(error: _NothingToDo) -> ResponseReturnValue:
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error.to_dict()), 422
    flash(error.message, "error")
    return redirect(url_for("moderate.page", **_view_args()), 303)


_VERBS = {
    "approve": "Approved",
    "spam": "Rejected as spam",
    "toxic": "Rejected as toxic",
    "other": "Rejected",
}


def _summary(action: str, results: list[dict[str, Any]]) -> str:
    done = sum(1 for r in results if r["ok"])
    text = f"{_VERBS[action]} {done} comment{'s' if done != 1 else ''}."
    failed = [r for r in results if not r["ok"]]
    if failed:
        text += " Not decided: " + " ".join(r["error"] for r in failed)
    return text
