"""The moderation policy: rules, thresholds, shadow mode, reasons."""

from __future__ import annotations

from typing import Any

import pytest

from service.domain import CommentStatus, Head
from service.moderation.policy import Band, count_links, decide, resolve_thresholds
from service.moderation.word_lists import WordList, WordMatch
from service.settings import Mode, Thresholds

BANDS = {Head.SPAM: Band(0.5, 0.9), Head.TOXICITY: Band(0.4, 0.8)}
EXPLANATION: dict[str, Any] = {
    "spam": {
        "score": 0.95,
        "reasons": [{"code": "links", "message": "1 link"}],
        "spans": [{"start": 0, "end": 4, "text": "Cheap", "weight": 0.3}],
    },
    "toxicity": {"score": 0.1, "reasons": [], "spans": []},
}


def run(
    text: str = "A fine comment.",
    *,
    spam: float = 0.1,
    toxicity: float = 0.1,
    honeypot: bool = False,
    max_links: int = 2,
    mode: Mode = Mode.ENFORCE,
    banned: WordMatch | None = None,
    suspect: WordMatch | None = None,
) -> Any:
    return decide(
        text=text,
        honeypot_filled=honeypot,
        scores={Head.SPAM: spam, Head.TOXICITY: toxicity},
        thresholds=BANDS,
        max_links=max_links,
        mode=mode,
        explain=lambda heads: EXPLANATION,
        banned=banned,
        suspect=suspect,
    )


@pytest.mark.parametrize(
    ("spam", "toxicity", "status"),
    [
        (0.1, 0.1, CommentStatus.APPROVED),
        (0.5, 0.1, CommentStatus.PENDING),  # at the review threshold: held
        (0.89, 0.1, CommentStatus.PENDING),
        (0.9, 0.1, CommentStatus.REJECTED),  # at the reject threshold: rejected
        (0.1, 0.4, CommentStatus.PENDING),
        (0.1, 0.8, CommentStatus.REJECTED),
        (0.6, 0.85, CommentStatus.REJECTED),  # the strictest head wins
    ],
)
def test_thresholds_give_the_status(spam: float, toxicity: float, status: CommentStatus) -> None:
    assert run(spam=spam, toxicity=toxicity).status is status


def test_approved_comment_has_no_reasons_and_is_not_explained() -> None:
    calls: list[list[Head]] = []
    decision = decide(
        text="hi",
        honeypot_filled=False,
        scores={Head.SPAM: 0.1, Head.TOXICITY: 0.1},
        thresholds=BANDS,
        max_links=2,
        mode=Mode.ENFORCE,
        explain=lambda heads: calls.append(list(heads)) or EXPLANATION,  # type: ignore[func-returns-value]
    )
    assert decision.reasons == [] and calls == []


@pytest.mark.parametrize(
    ("spam", "toxicity", "explained"),
    [(0.95, 0.1, [Head.SPAM]), (0.1, 0.5, [Head.TOXICITY]), (0.95, 0.95, list(Head))],
)
def test_only_the_heads_that_hold_the_comment_are_explained(
    spam: float, toxicity: float, explained: list[Head]
) -> None:
    calls: list[list[Head]] = []
    decide(
        text="hi",
        honeypot_filled=False,
        scores={Head.SPAM: spam, Head.TOXICITY: toxicity},
        thresholds=BANDS,
        max_links=2,
        mode=Mode.ENFORCE,
        explain=lambda heads: calls.append(list(heads)) or EXPLANATION,  # type: ignore[func-returns-value]
    )
    assert calls == [explained]


def test_model_reason_carries_code_sentence_score_and_spans() -> None:
    reason = run(spam=0.95).reasons[0]
    assert reason["code"] == "spam_likely"
    assert "0.95" in reason["message"] and reason["message"].endswith(".")
    assert reason["head"] == "spam" and reason["score"] == 0.95
    assert reason["spans"] == EXPLANATION["spam"]["spans"]
    assert reason["signals"] == EXPLANATION["spam"]["reasons"]


def test_possible_toxicity_reason() -> None:
    assert [r["code"] for r in run(toxicity=0.5).reasons] == ["toxicity_possible"]


def test_honeypot_rejects_whatever_the_scores() -> None:
    decision = run(honeypot=True)
    assert decision.status is CommentStatus.REJECTED
    assert decision.reasons[0]["code"] == "honeypot"


@pytest.mark.parametrize(
    ("text", "links", "status"),
    [
        ("one http://a.example", 1, CommentStatus.APPROVED),
        ("two http://a.example https://b.example", 2, CommentStatus.PENDING),
        ("www.a.example and HTTP://B.EXAMPLE/x", 2, CommentStatus.PENDING),
        ("http://www.a.example counted once", 1, CommentStatus.APPROVED),
        ("WWW.A.EXAMPLE and Www.b.example", 2, CommentStatus.PENDING),
        ("no address: a.example, ftp:/x, www without a dot", 0, CommentStatus.APPROVED),
    ],
)
def test_links_hold_at_the_limit(text: str, links: int, status: CommentStatus) -> None:
    assert count_links(text) == links
    assert run(text).status is status


def test_links_never_lower_a_rejection() -> None:
    decision = run("http://a.example http://b.example", spam=0.95)
    assert decision.status is CommentStatus.REJECTED
    assert [r["code"] for r in decision.reasons] == ["too_many_links", "spam_likely"]


def test_max_links_zero_turns_the_rule_off() -> None:
    assert run("http://a http://b http://c", max_links=0).status is CommentStatus.APPROVED


def test_shadow_mode_answers_approved_and_keeps_the_verdict() -> None:
    decision = run(spam=0.95, mode=Mode.SHADOW)
    assert decision.status is CommentStatus.APPROVED
    assert decision.verdict is CommentStatus.REJECTED
    assert decision.shadowed
    assert decision.reasons[-1]["code"] == "shadow_mode"


def test_shadow_mode_changes_nothing_for_an_approved_comment() -> None:
    decision = run(mode=Mode.SHADOW)
    assert (decision.status, decision.verdict, decision.reasons) == (
        CommentStatus.APPROVED,
        CommentStatus.APPROVED,
        [],
    )


def test_settings_override_the_cards_thresholds_per_value() -> None:
    card = {"spam": {"review": 0.3, "reject": 0.9}, "toxicity": {"review": 0.2, "reject": 0.7}}
    bands = resolve_thresholds(card, Thresholds(spam_reject=0.95, toxicity_review=0.5))
    assert bands[Head.SPAM] == Band(0.3, 0.95)
    assert bands[Head.TOXICITY] == Band(0.5, 0.7)


def test_review_override_above_the_cards_reject_cannot_invert_the_band() -> None:
    card = {"spam": {"review": 0.3, "reject": 0.6}, "toxicity": {"review": 0.2, "reject": 0.7}}
    bands = resolve_thresholds(card, Thresholds(spam_review=0.8))
    assert bands[Head.SPAM] == Band(0.8, 0.8)


def test_banned_word_rejects_and_suspect_word_holds_with_spans() -> None:
    text = "Buy v1agra from my shop"
    rejected = run(text, banned=WordList(["viagra"]).find(text))
    assert rejected.status is CommentStatus.REJECTED
    reason = rejected.reasons[0]
    assert reason["code"] == "banned_word" and reason["words"] == ["viagra"]
    assert reason["spans"] == [{"start": 4, "end": 10, "text": "v1agra"}]
    assert '"viagra"' in reason["message"]

    held = run(text, mode=Mode.SHADOW, suspect=WordList(["shop"]).find(text))
    assert held.verdict is CommentStatus.PENDING and held.status is CommentStatus.APPROVED
    assert [r["code"] for r in held.reasons] == ["suspect_word", "shadow_mode"]
