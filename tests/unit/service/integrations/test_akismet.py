"""The Akismet protocol's translation: keys, fields, flags and answers (no HTTP)."""

from __future__ import annotations

import pytest

from service.domain import CommentStatus
from service.integrations import akismet

KEY = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("form", "host", "expected"),
    [
        ({"api_key": KEY}, "rest.akismet.com", KEY),
        ({"key": KEY}, None, KEY),
        ({"api_key": " ", "key": KEY}, None, KEY),
        ({"api_key": KEY}, "other.modq.example", KEY),  # the body wins
        ({}, f"{KEY}.modq.example", KEY),
        ({}, f"{KEY}.localhost:8000", KEY),
        ({}, f"{KEY.upper()}.modq.example", KEY),
        ({}, f"{KEY}.rest.akismet.com", KEY),
        ({}, "rest.akismet.com", None),
        ({}, "REST.akismet.com", None),
        ({}, "www.modq.example", None),
        ({}, "localhost:8000", None),
        ({}, "127.0.0.1:8000", None),
        ({}, "127.0.0.1", None),
        ({}, "[::1]:8000", None),
        ({}, "::1", None),
        ({}, "", None),
        ({}, None, None),
    ],
)
def test_request_key(form: dict[str, str], host: str | None, expected: str | None) -> None:
    assert akismet.request_key(form, host) == expected


def test_read_comment_maps_fields_and_keeps_the_rest() -> None:
    comment = akismet.read_comment(
        {
            "blog": "https://blog.example",
            "user_ip": " 203.0.113.9 ",
            "user_agent": "UA",
            "referrer": "https://blog.example/",
            "permalink": "https://blog.example/p/1",
            "comment_type": "reply",
            "comment_author": "Ada",
            "comment_author_email": "ada@example.com",
            "comment_author_url": "https://ada.example",
            "comment_content": "Hello",
            "comment_date_gmt": "2026-12-07 21:00:00",
            "blog_lang": "en_us",
            "comment_post_modified_gmt": "ignored",
        }
    )
    assert comment.native == {
        "name": "Ada",
        "email": "ada@example.com",
        "url": "https://ada.example",
        "text": "Hello",
        "ip": "203.0.113.9",
        "user_agent": "UA",
        "referrer": "https://blog.example/",
        "thread": "https://blog.example/p/1",
    }
    assert comment.kept == {
        "permalink": "https://blog.example/p/1",
        "comment_type": "reply",
        "comment_date_gmt": "2026-12-07 21:00:00",
        "lang": "en_us",
        "blog": "https://blog.example",
        "source": "akismet",
        "akismet_lookup": akismet.lookup_digest("Ada", "Hello", "203.0.113.9"),
    }
    assert not (comment.honeypot_filled or comment.trusted or comment.is_test)


def test_a_long_permalink_is_kept_but_is_not_the_thread() -> None:
    long = "https://blog.example/" + "a" * 300
    comment = akismet.read_comment({"permalink": long, "comment_content": "x"})
    assert comment.kept["permalink"] == long and "thread" not in comment.native


@pytest.mark.parametrize(
    ("form", "filled"),
    [
        ({"honeypot_field_name": "hp", "hp": "x"}, True),
        ({"honeypot_field_name": "hp", "hp": " "}, False),
        ({"honeypot_field_name": "hp"}, False),
        ({"hp": "x"}, False),
    ],
)
def test_honeypot(form: dict[str, str], filled: bool) -> None:
    assert akismet.read_comment(form).honeypot_filled is filled


@pytest.mark.parametrize(
    ("value", "flag"), [("1", True), ("true", True), ("0", False), ("", False)]
)
def test_is_test_flag(value: str, flag: bool) -> None:
    assert akismet.read_comment({"is_test": value}).is_test is flag


def test_administrators_are_trusted_and_others_not() -> None:
    assert akismet.read_comment({"user_role": "Administrator"}).trusted
    assert not akismet.read_comment({"user_role": "editor"}).trusted


def test_lookup_digest_ignores_surrounding_space_only() -> None:
    base = akismet.lookup_digest("Ada", "Hello", "203.0.113.9")
    assert akismet.lookup_digest(" Ada ", "Hello\n", "203.0.113.9") == base
    assert akismet.lookup_digest("Ada", "Hello!", "203.0.113.9") != base
    assert akismet.lookup_digest("Ad", "aHello", "203.0.113.9") != base  # fields stay apart
    form = {"comment_author": "Ada", "comment_content": "Hello", "user_ip": "203.0.113.9"}
    assert akismet.read_comment(form).lookup_digest == base


@pytest.mark.parametrize(
    ("status", "body", "discard"),
    [
        (CommentStatus.APPROVED, "false", False),
        (CommentStatus.PENDING, "true", False),
        (CommentStatus.REJECTED, "true", True),
    ],
)
def test_check_answer(status: CommentStatus, body: str, discard: bool) -> None:
    text, headers = akismet.check_answer(status, "01abc")
    assert text == body
    assert headers[akismet.GUID_HEADER] == "01abc"
    assert (headers.get(akismet.PRO_TIP_HEADER) == "discard") is discard


def test_usage_answer_and_month() -> None:
    assert akismet.usage_answer(3) == {
        "limit": "none",
        "usage": 3,
        "percentage": "0.00",
        "throttled": False,
    }
    assert akismet.usage_month(1796601600.0) == "2026-12"
