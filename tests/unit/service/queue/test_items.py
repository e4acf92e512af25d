"""How a pending comment is shown: spans, segments, link targets, e-mail domain; token checks."""

from __future__ import annotations

import json

import pytest

from service.http.auth import moderator_for_token
from service.queue.items import (
    QueueItem,
    Segment,
    email_domain,
    format_time,
    is_web_link,
    link_target,
    parse_time,
)
from service.queue.order import badness, uncertainty


def item(text: str, reasons: list[dict[str, object]]) -> QueueItem:
    return QueueItem.from_hash(
        {"id": "x", "text": text, "reasons": json.dumps(reasons), "spam": "0.9", "toxicity": "0.1"}
    )


def test_overlapping_spans_merge_and_bad_ones_are_dropped() -> None:
    text = "cheap pills here"
    reasons = [
        {"code": "spam_likely", "spans": [{"start": 0, "end": 5}, {"start": 3, "end": 11}]},
        {"code": "toxicity_possible", "spans": [{"start": 6, "end": 11}]},
        {"code": "junk", "spans": [{"start": 5, "end": 99}, {"start": 4, "end": 2}, "nope"]},
    ]
    assert item(text, reasons).spans == [
        {
            "start": 0,
            "end": 11,
            "codes": ["spam_likely", "toxicity_possible"],
            "text": "cheap pills",
        }
    ]


def test_segments_cover_the_text_in_order() -> None:
    shown = item("a <b>bad</b> word", [{"code": "c", "spans": [{"start": 5, "end": 8}]}])
    assert shown.segments() == [
        Segment("a <b>"),
        Segment("bad", mark=True, title="c"),
        Segment("</b> word"),
    ]
    assert "".join(s.text for s in shown.segments()) == "a <b>bad</b> word"


def test_empty_text_still_has_one_segment() -> None:
    assert item("", []).segments() == [Segment("")]


def test_malformed_fields_do_not_break_the_item() -> None:
    broken = QueueItem.from_hash({"id": "x", "reasons": "{not json", "spam": "high"})
    assert (broken.reasons, broken.scores, broken.created_at) == ([], {}, None)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://xn--pypal-4ve.com/login", "xn--pypal-4ve.com"),
        ("https://pаypal.com/", "xn--pypal-4ve.com"),  # Cyrillic а shows as punycode
        ("http://paypal.com@evil.example/", "evil.example"),
        ("www.Example.org/page", "www.example.org"),
        ("", ""),
    ],
)
def test_link_target_is_the_real_host(url: str, host: str) -> None:
    assert link_target(url) == host


def test_only_http_links_are_clickable() -> None:
    assert is_web_link("https://a.example") and is_web_link("HTTP://a.example")
    assert not is_web_link("javascript:alert(1)") and not is_web_link("data:text/html,x")


def test_links_in_text_are_listed_once() -> None:
    shown = item("see http://a.example/x and www.b.example and http://a.example/y", [])
    assert shown.links_in_text() == ["a.example", "www.b.example"]


def test_email_domain_only() -> None:
    assert email_domain("Pat@Example.COM") == "@example.com"
    assert email_domain("nope") == ""


def test_times_round_trip() -> None:
    assert format_time(1_800_000_000.5) == "2027-01-15T08:00:00.500Z"
    assert parse_time("2027-01-15T08:00:00.500Z") == 1_800_000_000.5
    assert parse_time("1800000000.5") == 1_800_000_000.5
    assert parse_time("soon") is None


def test_badness_and_uncertainty() -> None:
    assert badness({"spam": 0.2, "toxicity": 0.7}) == 0.7
    assert uncertainty({"spam": 0.9, "toxicity": 0.45}) == pytest.approx(0.05)
    assert (badness({}), uncertainty({})) == (0.0, 0.5)


def test_token_lookup() -> None:
    tokens = {"alice": "a" * 20, "bob": "b" * 20}
    assert moderator_for_token("b" * 20, tokens) == "bob"
    assert moderator_for_token("b" * 19, tokens) is None
    assert moderator_for_token("", tokens) is None
