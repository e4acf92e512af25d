"""The moderator page's decisions: decide (one or the selection), undo, correct.

A decision made here is held for ``MODQ_UNDO_SECONDS`` before the decision feed,
webhooks and labels see it (``ReviewQueue.decide(hold=True)``); ``u`` or the Undo
button takes the moderator's last decision back inside that window. A correction
of an automatic (or earlier) decision is final at once: it is a deliberate act.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue

from service.errors import ModqError
from service.http.auth import check_csrf, session_moderator
from service.http.errors import APIError
from service.http.openapi import documented
from service.http.ui import bp, view_args
from service.http.ui.view import BATCH_SIZE, page_queue
from service.queue.review import Decision, RejectReason

ACTIONS: dict[str, tuple[Decision, RejectReason | None]] = {
    "approve": (Decision.APPROVE, None),
    "spam": (Decision.REJECT, RejectReason.SPAM),
    "toxic": (Decision.REJECT, RejectReason.TOXIC),
    "other": (Decision.REJECT, RejectReason.OTHER),
}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _signed_out() -> ResponseReturnValue:
    if _wants_json():
        return jsonify({"error": {"code": "signed_out", "message": "Sign in again."}}), 401
    return redirect(url_for("moderate.page"), 303)


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
    if moderator is None:
        return _signed_out()
    action, ids = _requested()
    queue = page_queue(moderator, view_args().get("site"))
    results: list[dict[str, Any]] = []
    for comment_id in ids:
        decision, reason = ACTIONS[action]
        try:
            done = queue.decide(comment_id, moderator, decision, reason, via="page", hold=True)
            results.append({"id": comment_id, "ok": True, "status": done.status.value})
        except (ModqError, APIError) as error:
            results.append({"id": comment_id, "ok": False, "error": error.message})
    message = _summary(action, results)
    decided = [r["id"] for r in results if r["ok"]]
    undo = None
    if decided and queue.hold_seconds > 0:
        until = queue.clock() + queue.hold_seconds
        undo = {"ids": decided, "until": until, "what": message, "seconds": queue.hold_seconds}
        session["undo"] = undo
    if _wants_json():
        answer = {"results": results, "message": message, "stats": queue.stats()}
        return jsonify({**answer, "undo": undo})
    flash(message, "info" if all(r["ok"] for r in results) else "error")
    return redirect(url_for("moderate.page", **view_args()), 303)


@bp.post("/moderate/undo")
@documented(
    "Take back this moderator's last decision within the undo window",
    responses={200: None, 303: None},
    errors=(401, 422, 503),
    html_errors=(403,),
    tag="moderate",
)
def undo() -> ResponseReturnValue:
    """Take back the moderator's last decision (one comment or a selection) in its window."""
    check_csrf()
    moderator = session_moderator()
    if moderator is None:
        return _signed_out()
    last = session.pop("undo", None)
    ids = list(last.get("ids", [])) if isinstance(last, dict) else []
    queue = page_queue(moderator)
    back, errors = 0, []
    for comment_id in ids:
        try:
            queue.undo(comment_id, moderator)
            back += 1
        except (ModqError, APIError) as error:
            errors.append(error.message)
    if not ids:
        errors.append("There is no decision to take back.")
    message = f"Took back {back} decision{'s' if back != 1 else ''}." if back else ""
    message = " ".join([message, *errors]).strip()
    if _wants_json():
        return jsonify({"undone": back, "message": message, "ok": not errors}), (
            200 if back or not errors else 409
        )
    flash(message, "info" if not errors else "error")
    return redirect(url_for("moderate.page", **view_args()), 303)


@bp.post("/moderate/correct")
@documented(
    "Correct an earlier decision, automatic or human",
    responses={200: None, 303: None},
    errors=(401, 422, 503),
    html_errors=(403,),
    tag="moderate",
)
def correct() -> ResponseReturnValue:
    """Re-decide a comment modq (or a moderator) already decided: approve a rejected one,
    reject an approved one. Final at once, in the feed as ``corrected``."""
    check_csrf()
    moderator = session_moderator()
    if moderator is None:
        return _signed_out()
    action, _, comment_id = request.form.get("act", "").partition(":")
    tab = request.form.get("tab", "rejected")
    back: dict[str, Any] = {"tab": tab if tab in ("rejected", "approved") else "rejected"}
    if request.form.get("band"):
        back["band"] = request.form["band"]
    if action not in ACTIONS or not comment_id:
        flash("Unknown action.", "error")
        return redirect(url_for("moderate.page", **back), 303)
    decision, reason = ACTIONS[action]
    try:
        done = page_queue(moderator).decide(
            comment_id, moderator, decision, reason, via="page", correct=True
        )
        text = f"{_VERBS[action]} 1 comment (corrected: the site is told {done.status.value})."
        flash(text, "info")
    except (ModqError, APIError) as error:
        flash(error.message, "error")
    return redirect(url_for("moderate.page", **back) + f"#c-{comment_id}", 303)


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
    return redirect(url_for("moderate.page", **view_args()), 303)


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
