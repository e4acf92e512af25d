"""Garbage sent to a real gunicorn: every answer is a 2xx or a 4xx naming the problem.

Generated bodies (any JSON value, comment-shaped objects with fields of any type and
any characters, raw bytes under each content type) and malformed HTTP. Never a 5xx,
never a traceback in an answer or the log, every refusal a JSON error with a code and
a message, every comment that was accepted readable afterwards, and the server still
serving at the end. It has its own Redis: accepted comments with links are queued.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from service.http.schemas import CommentIn
from service.runtime.redis_server import RedisServer
from service.settings import Settings
from tests.integration.gunicorn_support import GunicornServer

# Every field the comment model knows, and the honeypot (its default name).
FIELDS = (*CommentIn.model_fields, Settings().honeypot_field)
FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any character, lone surrogates included (json.dumps writes them as \ud800 escapes).
any_text = st.text(st.characters(codec=None, categories=None), max_size=300)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | any_text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)
plausible = st.sampled_from(
    ["Ada", "ada@example.org", "Thanks, a clear article.", "https://example.org/a", ""]
)
VALID = {"name": "Ada", "email": "ada@example.org", "text": "Thanks, a clear article."}


@st.composite
def comments(draw: st.DrawFn) -> dict[str, Any]:
    """A valid comment with some fields replaced, dropped or added: near misses."""
    comment: dict[str, Any] = dict(VALID)
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        if draw(st.booleans()) and field in comment:
            del comment[field]
        else:
            comment[field] = draw(plausible | any_text | json_values)
    comment.update(draw(st.dictionaries(any_text, json_values, max_size=2)))
    return comment


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GunicornServer]:
    with RedisServer(tmp_path_factory.mktemp("fuzz-redis")) as redis_server:
        served = GunicornServer(tmp_path_factory.mktemp("fuzz-gunicorn"), redis_server.url)
        served.start()
        yield served
        served.stop()
        log = served.log_text()
        assert "Traceback" not in log, log[-3000:]
        assert '"level":"error"' not in log, log[-3000:]


def _post(server: GunicornServer, body: bytes, content_type: str | None) -> requests.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return requests.post(server.url("/v1/comments"), data=body, headers=headers, timeout=10)


def _check(server: GunicornServer, answer: requests.Response) -> None:
    event(f"answered {answer.status_code}")
    assert answer.status_code in {200, 201, 400, 413, 415, 422}, answer.text[:500]
    assert "Traceback" not in answer.text
    body: dict[str, Any] = answer.json()
    if answer.status_code >= 400:
        assert body["error"]["code"] and body["error"]["message"]
        if answer.status_code == 422:
            assert body["error"]["fields"]
        return
    assert body["status"] in {"approved", "pending", "rejected"}
    # nothing accepted is lost: it reads back
    stored = requests.get(server.url(f"/v1/comments/{body['id']}"), timeout=10)
    assert stored.status_code == 200 and stored.json()["status"] == body["status"]
    assert "email" not in stored.json() and "email" not in body


@FUZZ
@given(value=json_values)
def test_any_json_value(server: GunicornServer, value: Any) -> None:
    _check(server, _post(server, json.dumps(value).encode(), "application/json"))


@FUZZ
@given(comment=comments())
def test_comment_shaped_json_with_any_fields(
    server: GunicornServer, comment: dict[str, Any]
) -> None:
    _check(server, _post(server, json.dumps(comment).encode(), "application/json"))


@FUZZ
@given(comment=comments())
def test_any_form(server: GunicornServer, comment: dict[str, Any]) -> None:
    # requests encodes the form; lone surrogates cannot be, so they go as their escapes
    form = {
        k.encode("utf-8", "surrogatepass"): (v if isinstance(v, str) else json.dumps(v)).encode(
            "utf-8", "surrogatepass"
        )
        for k, v in comment.items()
    }
    answer = requests.post(server.url("/v1/comments"), data=form, timeout=10)
    _check(server, answer)


@FUZZ
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-16",
            "text/plain",
            "multipart/form-data",
            "application/json\x7f",
            None,
        ]
    ),
)
def test_any_bytes_under_any_content_type(
    server: GunicornServer, body: bytes, content_type: str | None
) -> None:
    _check(server, _post(server, body, content_type))


@FUZZ
@given(value=json_values)
def test_score_with_any_json(server: GunicornServer, value: Any) -> None:
    answer = requests.post(
        server.url("/v1/score"),
        data=json.dumps(value),
        timeout=10,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code in {200, 400, 413, 415, 422}, answer.text[:500]
    if answer.status_code >= 400:
        assert answer.json()["error"]["code"]


@FUZZ
@given(comment_id=any_text)
def test_reading_any_id(server: GunicornServer, comment_id: str) -> None:
    path = "/v1/comments/" + requests.utils.quote(
        comment_id.encode("utf-8", "surrogatepass"), safe=""
    )
    answer = requests.get(server.url(path), timeout=10)
    assert answer.status_code in {404, 400}, answer.text[:500]
    assert answer.json()["error"]["code"]


@FUZZ
@given(request=st.binary(min_size=1, max_size=600))
def test_garbage_at_the_http_level(server: GunicornServer, request: bytes) -> None:
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    # gunicorn refuses what is not HTTP (400) or waits for more and closes: never a 5xx
    assert not answer.startswith(b"HTTP/1.1 5") and not answer.startswith(b"HTTP/1.0 5"), answer
    assert b"Traceback" not in answer
    assert requests.get(server.url("/healthz"), timeout=10).status_code == 200


def test_the_server_serves_after_the_garbage(server: GunicornServer) -> None:
    assert server.post_comment().status_code == 201
