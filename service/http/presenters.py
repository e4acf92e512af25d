"""How stored comments look in answers (the websites' view never shows the e-mail)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from service.store.comments import reasons_of

# Fields a website may read back about its own comment.
_SITE_FIELDS = ("thread", "external_id", "parent_id")


def iso_time(unix_seconds: float) -> str:
    """ISO 8601 in UTC with milliseconds, e.g. 2026-11-27T21:10:00.123Z."""
    stamp = datetime.fromtimestamp(unix_seconds, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")


def comment_view(record: Mapping[str, str]) -> dict[str, Any]:
    """A stored comment as a website sees it: status, scores, reasons, its own ids."""
    view: dict[str, Any] = {
        "id": record["id"],
        "status": record["status"],
        "scores": {
            "spam": float(record.get("spam", 0.0)),
            "toxicity": float(record.get("toxicity", 0.0)),
        },
        "reasons": reasons_of(record),
        "model_version": record.get("model_version", ""),
        "created_at": iso_time(float(record["created_at"])),
    }
    if record.get("decided_at"):
        view["decided_at"] = _time_field(record["decided_at"])
    for name in _SITE_FIELDS:
        if record.get(name):
            view[name] = record[name]
    verdict = record.get("verdict")
    if verdict and verdict != record["status"] and record.get("mode") == "shadow":
        view["shadow_status"] = verdict
    return view


def _time_field(value: str) -> str:
    # The queue may store unix seconds or an ISO string; answer ISO either way.
    try:
        return iso_time(float(value))
    except ValueError:
        return value
