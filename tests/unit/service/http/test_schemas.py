"""Comment validation rules and the field messages of a 422."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from service.http.schemas import CommentIn, ScoreRequest, field_errors

VALID = {"name": "Ada", "email": "ada@example.org", "text": "Hello"}


def errors(body: dict[str, Any], **context: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        CommentIn.model_validate(body, context=context or None)
    return field_errors(caught.value)


def test_valid_comment_is_trimmed_and_blank_optionals_are_none() -> None:
    comment = CommentIn.model_validate({**VALID, "name": "  Ada ", "url": " ", "thread": ""})
    assert comment.name == "Ada"
    assert comment.url is None and comment.thread is None


def test_every_bad_field_is_reported_once() -> None:
    found = errors({"name": "", "email": "x", "text": 5, "url": "ftp://x", "ip": "1.2.3"})
    assert set(found) == {"name", "email", "text", "url", "ip"}
    assert found["name"] == "Must not be empty."
    assert found["text"] == "Must be a string."


def test_missing_fields_are_required() -> None:
    assert errors({}) == {
        "name": "Is required.",
        "email": "Is required.",
        "text": "Is required.",
    }


def test_text_limit_comes_from_the_context() -> None:
    assert errors({**VALID, "text": "x" * 11}, max_text_chars=10) == {
        "text": "Must be at most 10 characters."
    }
    CommentIn.model_validate({**VALID, "text": "x" * 10}, context={"max_text_chars": 10})


@pytest.mark.parametrize(
    "address", ["a@b", "no-at-sign", "a@@example.org", "a b@example.org", "x" * 250 + "@e.org"]
)
def test_bad_email_addresses(address: str) -> None:
    assert "email" in errors({**VALID, "email": address})


def test_international_email_is_accepted_without_dns() -> None:
    CommentIn.model_validate({**VALID, "email": "jürgen@bücher.example"})


@pytest.mark.parametrize("name", ["Ada\x00", "Ada\nLovelace", "\x1b[31mAda"])
def test_control_characters_in_name_are_refused(name: str) -> None:
    assert "name" in errors({**VALID, "name": name})


def test_ipv6_is_normalized() -> None:
    assert CommentIn.model_validate({**VALID, "ip": "2001:DB8::1"}).ip == "2001:db8::1"


def test_score_request_names_the_bad_item() -> None:
    with pytest.raises(ValidationError) as caught:
        ScoreRequest.model_validate({"comments": [{"text": "ok"}, {"name": "x"}]})
    assert field_errors(caught.value) == {"comments.1.text": "Is required."}
