"""The webhook event types and the body each one carries (no e-mail, no text)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from service.store import json_codec


class EventType(str, Enum):
    """What happened to a comment."""

    CREATED = "comment.created"
    DECIDED = "comment.decided"
    CORRECTED = "comment.corrected"


ALL_EVENTS: tuple[EventType, ...] = tuple(EventType)


def parse_events(names: list[str]) -> tuple[EventType, ...]:
    """Event types from names (comma-separated allowed); ValueError names an unknown one."""
    found: list[EventType] = []
    for name in ",".join(names).split(","):
        name = name.strip()
        if not name:
            continue
        try:
            event = EventType(name)
        except ValueError:
            known = ", ".join(e.value for e in EventType)
            raise ValueError(f"unknown event {name!r}; known: {known}") from None
        if event not in found:
            found.append(event)
    return tuple(found) or ALL_EVENTS


def iso_time(unix_seconds: float) -> str:
    """Unix seconds as an RFC 3339 UTC time with milliseconds."""
    moment = datetime.fromtimestamp(unix_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _scores(record: Mapping[str, str]) -> dict[str, float | None]:
    def number(name: str) -> float | None:
        value = record.get(name)
        try:
            return float(value) if value else None
        except ValueError:
            return None

    return {"spam": number("spam"), "toxicity": number("toxicity")}


def _first_reason(record: Mapping[str, str]) -> str | None:
    try:
        reasons = json.loads(record.get("reasons") or "[]")
    except ValueError:
        return None
    if isinstance(reasons, list) and reasons and isinstance(reasons[0], dict):
        code = reasons[0].get("code")
        return str(code) if code else None
    return None


def created_body(entry: Mapping[str, str], comment: Mapping[str, str], at: float) -> bytes:
    """The body of comment.created: the status the site was told and the top reason."""
    status = entry.get("status") or comment.get("status")
    data = _data(entry.get("id", ""), comment, status, None)
    if status != "approved":
        data["reason"] = _first_reason(comment)
    return _encode(EventType.CREATED, at, data)


def decision_body(
    event: EventType, entry: Mapping[str, str], comment: Mapping[str, str], at: float
) -> bytes:
    """The body of comment.decided / comment.corrected from a decision-feed entry."""
    data = _data(entry.get("id", ""), comment, entry.get("status"), entry.get("reason") or None)
    if entry.get("external_id"):
        data["external_id"] = entry["external_id"]
    return _encode(event, at, data)


def _data(
    comment_id: str, comment: Mapping[str, str], status: str | None, reason: str | None
) -> dict[str, Any]:
    return {
        "id": comment_id,
        "external_id": comment.get("external_id") or None,
        "thread": comment.get("thread") or None,
        "status": status,
        "reason": reason,
        "scores": _scores(comment),
    }


def _encode(event: EventType, at: float, data: dict[str, Any]) -> bytes:
    body = {"type": event.value, "timestamp": iso_time(at), "data": data}
    return json_codec.dumps_bytes(body)
