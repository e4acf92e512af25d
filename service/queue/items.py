"""How a pending comment is shown to moderators: the API item and the page's text segments.

A comment hash holds the fields the intake service writes (see ``service.store.comments``).
This module reads them defensively: a missing or malformed field shows as empty,
never as an error, so one odd comment cannot break the moderator's queue.
Nothing here returns the full e-mail address; moderators see its domain only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

_LINK_IN_TEXT = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


def format_time(ts: float) -> str:
    """Unix seconds as an ISO 8601 UTC timestamp with milliseconds."""
    moment = datetime.fromtimestamp(ts, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: str | None) -> float | None:
    """A stored time (unix seconds or ISO 8601) as unix seconds; None when unreadable."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def email_domain(email: str | None) -> str:
    """``user@Example.com`` -> ``@example.com``; empty when there is no domain."""
    if not email or "@" not in email:
        return ""
    return "@" + email.rsplit("@", 1)[1].strip().lower()


def link_target(url: str | None) -> str:
    """The host a link really leads to, in ASCII (punycode shows look-alike domains)."""
    if not url:
        return ""
    candidate = url.strip()
    if "://" not in candidate:
        candidate = "http://" + candidate
    try:
        host = urlsplit(candidate).hostname or ""
    except ValueError:
        return ""
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def is_web_link(url: str | None) -> bool:
    """Whether a URL may be rendered as a clickable link (http or https only)."""
    return bool(url) and urlsplit(str(url).strip()).scheme.lower() in ("http", "https")


def _json(value: str | None, default: Any) -> Any:
    if not value:
        return default
    try:
        return json.loads(value)
    except ValueError:
        return default


SCORE_FIELDS = ("spam", "toxicity")


def read_scores(fields: dict[str, str]) -> dict[str, float]:
    """The head scores of a comment hash (one field per head, a float's repr)."""
    scores: dict[str, float] = {}
    for head in SCORE_FIELDS:
        try:
            scores[head] = float(fields[head])
        except (KeyError, ValueError):
            continue
    return scores


def _spans(reasons: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """Every valid span the reasons carry, merged where they overlap, in text order."""
    found: list[tuple[int, int, str]] = []
    for reason in reasons:
        for span in reason.get("spans") or []:
            if not isinstance(span, dict):
                continue
            start, end = span.get("start"), span.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                found.append((start, end, str(reason.get("code", ""))))
    found.sort()
    merged: list[dict[str, Any]] = []
    for start, end, code in found:
        if merged and start <= merged[-1]["end"]:
            last = merged[-1]
            last["end"] = max(last["end"], end)
            if code and code not in last["codes"]:
                last["codes"].append(code)
        else:
            merged.append({"start": start, "end": end, "codes": [code] if code else []})
    for span in merged:
        span["text"] = text[span["start"] : span["end"]]
    return merged


@dataclass(frozen=True)
class Segment:
    """A run of comment text, highlighted (``mark``) when a reason points at it."""

    text: str
    mark: bool = False
    title: str = ""


@dataclass(frozen=True)
class QueueItem:
    """One pending comment as moderators see it."""

    id: str
    status: str
    name: str
    email_domain: str
    text: str
    url: str
    thread: str
    external_id: str
    created_at: float | None
    model_version: str
    scores: dict[str, float]
    reasons: list[dict[str, Any]]
    spans: list[dict[str, Any]]
    lease_moderator: str | None = None
    lease_expires_at: float | None = None
    site: str = "default"  # the namespace the comment lives in (service.sites)

    @classmethod
    def from_hash(
        cls,
        fields: dict[str, str],
        lease_moderator: str | None = None,
        lease_expires_at: float | None = None,
    ) -> QueueItem:
        """Build from a comment hash as stored in Redis."""
        text = fields.get("text", "")
        raw_reasons = _json(fields.get("reasons"), [])
        reasons = (
            [r for r in raw_reasons if isinstance(r, dict)] if isinstance(raw_reasons, list) else []
        )
        return cls(
            id=fields.get("id", ""),
            status=fields.get("status", ""),
            name=fields.get("name", ""),
            email_domain=email_domain(fields.get("email")),
            text=text,
            url=fields.get("url", ""),
            thread=fields.get("thread", ""),
            external_id=fields.get("external_id", ""),
            created_at=parse_time(fields.get("created_at")),
            model_version=fields.get("model_version", ""),
            scores=read_scores(fields),
            reasons=reasons,
            spans=_spans(reasons, text),
            lease_moderator=lease_moderator,
            lease_expires_at=lease_expires_at,
        )

    def age_s(self, now: float) -> float | None:
        """Seconds since the comment arrived."""
        return None if self.created_at is None else max(0.0, round(now - self.created_at, 3))

    def links_in_text(self) -> list[str]:
        """Hosts the links written in the comment text lead to, in order, without repeats."""
        hosts: list[str] = []
        for match in _LINK_IN_TEXT.finditer(self.text):
            host = link_target(match.group(0))
            if host and host not in hosts:
                hosts.append(host)
        return hosts

    def segments(self) -> list[Segment]:
        """The text cut into plain and highlighted runs (the template escapes each)."""
        out: list[Segment] = []
        position = 0
        for span in self.spans:
            if span["start"] > position:
                out.append(Segment(self.text[position : span["start"]]))
            out.append(Segment(span["text"], mark=True, title=", ".join(span["codes"])))
            position = span["end"]
        if position < len(self.text) or not out:
            out.append(Segment(self.text[position:]))
        return out

    def to_api(self, now: float) -> dict[str, Any]:
        """The JSON a moderator's API client gets."""
        lease = None
        if self.lease_moderator is not None and self.lease_expires_at is not None:
            lease = {
                "moderator": self.lease_moderator,
                "expires_at": format_time(self.lease_expires_at),
            }
        return {
            "id": self.id,
            "status": self.status,
            "name": self.name,
            "email_domain": self.email_domain,
            "text": self.text,
            "url": self.url,
            "url_target": link_target(self.url),
            "links_in_text": self.links_in_text(),
            "thread": self.thread,
            "external_id": self.external_id,
            "created_at": None if self.created_at is None else format_time(self.created_at),
            "age_s": self.age_s(now),
            "scores": self.scores,
            "reasons": self.reasons,
            "spans": self.spans,
            "model_version": self.model_version,
            "lease": lease,
            "site": self.site,
        }
