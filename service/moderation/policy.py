"""The moderation policy: rules and scores in, a status with its reasons out.

In order, each rule can only make the outcome stricter:

1. a filled honeypot field (a field humans never see) rejects;
2. a word or phrase from the site's banned list rejects, one from its suspect
   list holds the comment for review (``service/moderation/word_lists.py`` finds them);
3. ``max_links`` or more links hold the comment for review (0 turns this off);
4. per head (spam, toxicity): a score at or above ``reject`` rejects, at or
   above ``review`` holds for review. Thresholds come from the model's card,
   each overridable by ``MODQ_<HEAD>_REVIEW`` / ``MODQ_<HEAD>_REJECT``.

In shadow mode the outcome is recorded (``verdict``) but the site is told
``approved``. No I/O here: the caller scores, and ``explain`` is called only
for the heads whose scores give a reason (spans are worth computing only then).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from service.domain import CommentStatus, Head, ReasonCode
from service.moderation.word_lists import WordMatch
from service.settings import Mode, Thresholds

_SEVERITY = {CommentStatus.APPROVED: 0, CommentStatus.PENDING: 1, CommentStatus.REJECTED: 2}
# A scheme-qualified address, or one starting "www." that is not already part of one.
_LINK = re.compile(r"(?i)(?:\bhttps?://|(?<![/\w.-])www\.)")


@dataclass(frozen=True)
class Band:
    """One head's thresholds: at or above ``review`` held, at or above ``reject`` refused."""

    review: float
    reject: float


@dataclass(frozen=True)
class Decision:
    """The policy's answer: what the site is told, what modq thinks, and why."""

    status: CommentStatus
    verdict: CommentStatus
    reasons: list[dict[str, Any]]

    @property
    def shadowed(self) -> bool:
        """True when shadow mode changed the answer."""
        return self.status != self.verdict


def resolve_thresholds(
    card: Mapping[str, Mapping[str, float]], overrides: Thresholds
) -> dict[Head, Band]:
    """The model card's thresholds with any MODQ_* overrides applied."""
    bands: dict[Head, Band] = {}
    for head in Head:
        from_card = card.get(head.value, {})
        review = getattr(overrides, f"{head.value}_review")
        reject = getattr(overrides, f"{head.value}_reject")
        review = float(from_card.get("review", 0.5)) if review is None else review
        reject = float(from_card.get("reject", 0.9)) if reject is None else reject
        bands[head] = Band(review=review, reject=max(review, reject))
    return bands


def count_links(text: str) -> int:
    """How many web addresses the text contains."""
    if "://" not in text and "www." not in text.lower():  # what every match needs
        return 0
    return len(_LINK.findall(text))


def decide(
    *,
    text: str,
    honeypot_filled: bool,
    scores: Mapping[Head, float],
    thresholds: Mapping[Head, Band],
    max_links: int,
    mode: Mode,
    explain: Callable[[Sequence[Head]], Mapping[str, Any]] | None = None,
    banned: WordMatch | None = None,
    suspect: WordMatch | None = None,
) -> Decision:
    """Apply the rules and the thresholds to one scored comment."""
    status = CommentStatus.APPROVED
    reasons: list[dict[str, Any]] = []

    def hold(at_least: CommentStatus, reason: dict[str, Any]) -> None:
        nonlocal status
        reasons.append(reason)
        if _SEVERITY[at_least] > _SEVERITY[status]:
            status = at_least

    if honeypot_filled:
        hold(
            CommentStatus.REJECTED,
            {
                "code": ReasonCode.HONEYPOT.value,
                "message": "A form field that people never see was filled in, as bots do.",
            },
        )
    if banned is not None:
        hold(CommentStatus.REJECTED, _word_reason(ReasonCode.BANNED_WORD, "bans", banned))
    if suspect is not None:
        hold(CommentStatus.PENDING, _word_reason(ReasonCode.SUSPECT_WORD, "reviews", suspect))
    links = count_links(text)
    if max_links > 0 and links >= max_links:
        hold(
            CommentStatus.PENDING,
            {
                "code": ReasonCode.TOO_MANY_LINKS.value,
                "message": f"The comment has {links} links; {max_links} or more are held "
                "for review.",
                "links": links,
            },
        )

    flagged: list[tuple[Head, CommentStatus, bool]] = []
    for head in Head:
        score, band = scores[head], thresholds[head]
        if score >= band.reject:
            flagged.append((head, CommentStatus.REJECTED, True))
        elif score >= band.review:
            flagged.append((head, CommentStatus.PENDING, False))
    # Explaining costs more than scoring: only for the heads that hold the comment.
    explanation = explain([head for head, _, _ in flagged]) if flagged and explain else None
    for head, outcome, likely in flagged:
        hold(outcome, _model_reason(head, scores[head], thresholds[head], likely, explanation))

    if mode is Mode.SHADOW and status is not CommentStatus.APPROVED:
        reasons.append(
            {
                "code": ReasonCode.SHADOW_MODE.value,
                "message": f"Shadow mode: modq would have answered {status.value}; "
                "the comment is approved.",
            }
        )
        return Decision(status=CommentStatus.APPROVED, verdict=status, reasons=reasons)
    return Decision(status=status, verdict=status, reasons=reasons)


def _word_reason(code: ReasonCode, what: str, match: WordMatch) -> dict[str, Any]:
    listed = ", ".join(f'"{word}"' for word in match.words)
    where = " (in the name)" if match.in_name and not match.spans else ""
    return {
        "code": code.value,
        "message": f"The comment has words this site {what}: {listed}{where}.",
        "words": list(match.words),
        "spans": match.spans,
    }


def _model_reason(
    head: Head, score: float, band: Band, likely: bool, explanation: Mapping[str, Any] | None
) -> dict[str, Any]:
    what = "spam" if head is Head.SPAM else "toxic"
    if likely:
        code = ReasonCode.SPAM_LIKELY if head is Head.SPAM else ReasonCode.TOXICITY_LIKELY
        message = (
            f"The model finds this {what} (score {score:.2f}, "
            f"rejected at {band.reject:.2f} or more)."
        )
    else:
        code = ReasonCode.SPAM_POSSIBLE if head is Head.SPAM else ReasonCode.TOXICITY_POSSIBLE
        message = (
            f"The model finds this possibly {what} (score {score:.2f}, "
            f"held for review at {band.review:.2f} or more)."
        )
    reason: dict[str, Any] = {
        "code": code.value,
        "message": message,
        "head": head.value,
        "score": round(score, 4),
    }
    detail = (explanation or {}).get(head.value) or {}
    reason["spans"] = list(detail.get("spans", []))
    if detail.get("reasons"):
        reason["signals"] = list(detail["reasons"])
    return reason
