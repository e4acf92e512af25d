"""POST /v1/comments refuses bad input with the right status and names every bad field."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.integration.gunicorn_support import GunicornServer

VALID = {"name": "Ada", "email": "ada@example.org", "text": "Thanks, a clear article."}


def post(server: GunicornServer, body: dict[str, Any], kind: str) -> requests.Response:
    url = server.url("/v1/comments")
    if kind == "json":
        return requests.post(url, json=body, timeout=10)
    return requests.post(url, data=body, timeout=10)


def fields_of(response: requests.Response) -> dict[str, str]:
    body = response.json()
    assert body["error"]["code"] == "invalid_comment"
    assert body["error"]["message"]
    fields: dict[str, str] = body["error"]["fields"]
    return fields


@pytest.mark.parametrize("kind", ["json", "form"])
@pytest.mark.parametrize("field", ["name", "email", "text"])
def test_each_required_field_missing_is_named(
    approving_server: GunicornServer, kind: str, field: str
) -> None:
    body = {k: v for k, v in VALID.items() if k != field}
    response = post(approving_server, body, kind)
    assert response.status_code == 422
    assert set(fields_of(response)) == {field}


TOO_LONG = {
    "name": "n" * 101,
    "email": "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "example.org",
    "text": "t" * 10_001,
    "url": "https://example.org/" + "p" * 2048,
    "thread": "h" * 201,
    "parent_id": "p" * 201,
    "external_id": "e" * 201,
}


@pytest.mark.parametrize("kind", ["json", "form"])
@pytest.mark.parametrize("field", sorted(TOO_LONG))
def test_each_field_too_long_is_named(
    approving_server: GunicornServer, kind: str, field: str
) -> None:
    response = post(approving_server, {**VALID, field: TOO_LONG[field]}, kind)
    assert response.status_code == 422
    assert set(fields_of(response)) == {field}


@pytest.mark.parametrize("field", ["name", "email", "text", "url", "thread", "external_id"])
def test_each_field_of_wrong_type_is_named(approving_server: GunicornServer, field: str) -> None:
    response = post(approving_server, {**VALID, field: 12345}, "json")
    assert response.status_code == 422
    assert "string" in fields_of(response)[field]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "   "),
        ("name", "Ada\x07"),
        ("email", "not-an-address"),
        ("email", "ada@"),
        ("text", " \n\t "),
        ("url", "ftp://example.org/"),
        ("url", "javascript:alert(1)"),
        ("ip", "999.1.1.1"),
    ],
)
@pytest.mark.parametrize("kind", ["json", "form"])
def test_bad_values_are_named(
    approving_server: GunicornServer, kind: str, field: str, value: str
) -> None:
    response = post(approving_server, {**VALID, field: value}, kind)
    assert response.status_code == 422
    assert set(fields_of(response)) == {field}


def test_every_bad_field_is_named_in_one_answer(approving_server: GunicornServer) -> None:
    response = post(
        approving_server,
        {"name": "", "email": "nope", "url": "ftp://x", "thread": "t" * 300},
        "json",
    )
    assert response.status_code == 422
    assert set(fields_of(response)) == {"name", "email", "text", "url", "thread"}


def test_limits_at_their_edge_are_accepted(approving_server: GunicornServer) -> None:
    body = {
        "name": "  " + "n" * 100 + "  ",
        "email": "ada@example.org",
        "text": "t" * 10_000,
        "url": "https://example.org/",
        "thread": "h" * 200,
        "parent_id": "p" * 200,
    }
    assert post(approving_server, body, "json").status_code == 201


def test_form_with_blank_optional_fields_is_accepted(approving_server: GunicornServer) -> None:
    body = {**VALID, "url": "", "thread": "", "parent_id": "", "submit": "Post Comment"}
    response = post(approving_server, body, "form")
    assert response.status_code == 201
    assert response.json()["status"] == "approved"


def test_body_over_the_limit_is_413(approving_server: GunicornServer) -> None:
    body = {**VALID, "text": "x" * (64 * 1024)}
    response = post(approving_server, body, "json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_chunked_body_over_the_limit_is_413(approving_server: GunicornServer) -> None:
    def chunks() -> Any:
        yield b'{"name": "Ada", "email": "ada@example.org", "text": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    response = requests.post(
        approving_server.url("/v1/comments"),
        data=chunks(),
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413


def test_malformed_json_is_400(approving_server: GunicornServer) -> None:
    response = requests.post(
        approving_server.url("/v1/comments"),
        data=b'{"name": "Ada", ',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_json_that_is_not_an_object_is_400(approving_server: GunicornServer) -> None:
    response = requests.post(approving_server.url("/v1/comments"), json=["Ada"], timeout=10)
    assert response.status_code == 400


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", None])
def test_other_content_types_are_415(
    approving_server: GunicornServer, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(
        approving_server.url("/v1/comments"), data=b"name=Ada", headers=headers, timeout=10
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_score_refuses_more_than_100_comments(approving_server: GunicornServer) -> None:
    body = {"comments": [{"text": "hello"}] * 101}
    response = requests.post(approving_server.url("/v1/score"), json=body, timeout=10)
    assert response.status_code == 422
    assert "comments" in response.json()["error"]["fields"]
