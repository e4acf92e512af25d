"""Which parts of a comment the moderator page marks, and the short labels of reasons.

Model reasons carry up to five spans with weights (logit units); marking them all
also marks ordinary words. Only the strongest spans that together carry
``EVIDENCE_SHARE`` of a head's span weight are marked (measured against human
toxic-span annotations in ``experiments/span_threshold.py``). Word-list reasons
are exact matches: every one is marked.
"""

from __future__ import annotations

from typing import Any

# A model reason's spans are marked only while they carry the first half of the evidence
# its spans give (their weights, strongest first): see experiments/span_threshold.py.
EVIDENCE_SHARE = 0.5
# Short labels of the reason codes, for the compact list (the sentence is the title).
REASON_LABELS = {
    "honeypot": "Honeypot",
    "too_many_links": "Links",
    "banned_word": "Banned word",
    "suspect_word": "Suspect word",
    "spam_likely": "Spam",
    "spam_possible": "Spam?",
    "toxicity_likely": "Toxic",
    "toxicity_possible": "Toxic?",
    "shadow_mode": "Shadow",
}


def _weight(span: dict[str, Any]) -> float:
    weight = span.get("weight")
    return float(weight) if isinstance(weight, int | float) else 0.0


def strong_spans(reason: dict[str, Any]) -> list[dict[str, Any]]:
    """The spans of one reason worth marking: for a model head, the strongest ones that
    together carry ``EVIDENCE_SHARE`` of its spans' weight; for a word list, every match."""
    spans = [s for s in reason.get("spans") or [] if isinstance(s, dict)]
    if not reason.get("head"):
        return spans
    ranked = sorted(spans, key=_weight, reverse=True)
    total = sum(max(0.0, _weight(s)) for s in ranked)
    kept: list[dict[str, Any]] = []
    carried = 0.0
    for span in ranked:
        if kept and carried >= EVIDENCE_SHARE * total:
            break
        kept.append(span)
        carried += max(0.0, _weight(span))
    return kept


def _kind(reason: dict[str, Any]) -> str:
    head = str(reason.get("head") or "")
    if head in ("spam", "toxicity"):
        return head
    return "word"


def marks_of(reasons: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    """The spans worth marking, merged where they overlap, each with its kinds and weight."""
    found: list[tuple[int, int, str, float, str]] = []
    for reason in reasons:
        for span in strong_spans(reason):
            start, end = span.get("start"), span.get("end")
            if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text):
                found.append((start, end, _kind(reason), _weight(span), str(reason.get("code"))))
    found.sort()
    merged: list[dict[str, Any]] = []
    for start, end, kind, weight, code in found:
        if merged and start < merged[-1]["end"]:
            last = merged[-1]
            last["end"] = max(last["end"], end)
            last["weight"] = max(last["weight"], weight)
            if kind not in last["kinds"]:
                last["kinds"].append(kind)
            if code not in last["codes"]:
                last["codes"].append(code)
        else:
            merged.append(
                {"start": start, "end": end, "kinds": [kind], "weight": weight, "codes": [code]}
            )
    return merged
