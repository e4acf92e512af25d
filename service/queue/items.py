"""How a pending comment is shown to moderators: the API item and the page's text segments.

A comment hash holds the fields the intake service writes (see ``service.store.comments``).
This module reads them defensively: a missing or malformed field shows as empty,
never as an error, so one odd comment cannot break the moderator's queue.
Nothing here returns the full e-mail address; moderators see its domain only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from service.queue.marks import REASON_LABELS, marks_of

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


def _email_hash(email: str | None) -> str:
    """``sha256`` of the trimmed, lower-cased address (the commenter index's key), or ""."""
    if not email:
        return ""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


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
    kind: str = ""


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
    parent_id: str = ""
    thread_title: str = ""
    permalink: str = ""
    decided_by: str = ""
    decided_at: str = ""
    decision_reason: str = ""
    corrected_from: str = ""
    corrected_from_by: str = ""
    email_hash: str = ""
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
            parent_id=fields.get("parent_id", ""),
            thread_title=fields.get("thread_title", ""),
            permalink=fields.get("permalink", ""),
            decided_by=fields.get("decided_by", ""),
            decided_at=fields.get("decided_at", ""),
            decision_reason=fields.get("decision_reason", ""),
            corrected_from=fields.get("corrected_from", ""),
            corrected_from_by=fields.get("corrected_from_by", ""),
            email_hash=_email_hash(fields.get("email")),
        )

    def age_s(self, now: float) -> float | None:
        """Seconds since the comment arrived."""
        return None if self.created_at is None else max(0.0, round(now - self.created_at, 3))

    def links_in_text(self) -> list[str]:
        """Hosts the links written in the comment text lead to, in order, without repeats."""
        hosts: list[str] = []
        for match in _LINK_IN_TEXT.finditer(self.text):
            # a sentence's punctuation after a link is not part of it
            host = link_target(match.group(0).rstrip(".,;:!?)]}"))
            if host and host not in hosts:
                hosts.append(host)
        return hosts

    def marks(self) -> list[dict[str, Any]]:
        """The spans the page marks (those that matter), in text order."""
        return marks_of(self.reasons, self.text)

    def segments(self, start: int = 0, end: int | None = None) -> list[Segment]:
        """The text (or ``text[start:end]``) cut into plain and marked runs (the template
        escapes each); a mark's ``kind`` is spam, toxicity, word or mixed."""
        stop = len(self.text) if end is None else end
        out: list[Segment] = []
        position = start
        for mark in self.marks():
            if mark["end"] <= start or mark["start"] >= stop:
                continue
            left, right = max(mark["start"], start), min(mark["end"], stop)
            if left > position:
                out.append(Segment(self.text[position:left]))
            heads = [k for k in mark["kinds"] if k != "word"]
            kind = "mixed" if len(heads) > 1 else (heads[0] if heads else "word")
            title = ", ".join(REASON_LABELS.get(c, c) for c in mark["codes"])
            if mark["weight"]:
                title += f" (weight {mark['weight']:.2f})"
            out.append(Segment(self.text[left:right], mark=True, title=title, kind=kind))
            position = right
        if position < stop or not out:
            out.append(Segment(self.text[position:stop]))
        return out

    def excerpt(self, width: int = 160) -> list[Segment]:
        """About ``width`` characters of the text around its strongest mark (the compact
        line shows the span that matters most without scrolling), as segments."""
        marks = self.marks()
        if len(self.text) <= width or not marks:
            return self.segments(0, min(len(self.text), width))
        strongest = max(marks, key=lambda m: (m["weight"], -m["start"]))
        start = max(0, min(strongest["start"] - width // 4, len(self.text) - width))
        return self.segments(start, start + width)

    def deciding_score(self) -> float:
        """The larger head score: what the score bands of the automatic tabs filter on."""
        return max(self.scores.values(), default=0.0)

    def reason_labels(self) -> list[tuple[str, str]]:
        """(short label, sentence) of each reason, for the compact list."""
        return [
            (
                REASON_LABELS.get(str(r.get("code")), str(r.get("code", ""))),
                str(r.get("message", "")),
            )
            for r in self.reasons
        ]

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
