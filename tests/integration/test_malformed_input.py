"""Malformed and hostile input gets a 4xx with the error shape, never a 500.

Deeply nested JSON is sent to a real gunicorn (the parser's recursion is what broke);
the rest goes through the app with a fake model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
import redis
import requests
from flask import Flask
from flask.testing import FlaskClient

from service.http.openapi import build_openapi
from service.runtime.redis_server import RedisServer
from tests.integration.conftest import HOLD_ALL, _serve
from tests.integration.gunicorn_support import GunicornServer
from tests.integration.test_queue_api import ALICE, auth, make_app

TOKENS = {"MODQ_MODERATOR_TOKENS": f"alice:{ALICE}"}
DEEP = "[" * 1000 + "]" * 1000
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
BIDI += ["\u200e", "\u200f", "\u061c"]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn holding every comment, with a moderator token."""
    yield from _serve(tmp_path_factory, redis_server, {**HOLD_ALL, **TOKENS})


@pytest.fixture
def app(redis_client: redis.Redis) -> Flask:
    return make_app(redis_client)


@pytest.fixture
def http(app: Flask) -> FlaskClient:
    return app.test_client()


def _comment(**fields: Any) -> dict[str, Any]:
    return {"name": "Ada", "email": "ada@example.org", "text": "A fine article.", **fields}


def _pending_id(server: GunicornServer) -> str:
    response = server.post_comment()
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.mark.parametrize("body", [DEEP, '{"a":' * 1000 + "1" + "}" * 1000])
def test_deeply_nested_json_is_400_on_every_json_endpoint(
    server: GunicornServer, body: str
) -> None:
    comment_id = _pending_id(server)
    json_type = {"Content-Type": "application/json"}
    for path in (
        "/v1/comments",
        "/v1/score",
        "/v1/queue/claim",
        f"/v1/queue/{comment_id}/decision",
    ):
        # the moderator's token on the queue, none on the website endpoints (no site)
        headers = {**json_type, **auth(ALICE)} if "queue" in path else json_type
        response = requests.post(server.url(path), data=body, headers=headers, timeout=10)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"]["code"] == "json_too_deep"
    assert "RecursionError" not in server.log_text()
    assert "internal_error" not in server.log_text()


def test_brackets_inside_strings_do_not_count_as_nesting(server: GunicornServer) -> None:
    response = server.post_comment({"text": "[" * 200 + " so many brackets " + "{" * 200})
    assert response.status_code == 201, response.text


def test_a_form_with_too_many_fields_is_400(http: FlaskClient) -> None:
    body = "&".join(f"f{i}=x" for i in range(500)) + "&name=A&email=a%40example.org&text=hi"
    response = http.post(
        "/v1/comments", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "malformed_json"  # type: ignore[index]


@pytest.mark.parametrize("control", BIDI)
def test_bidi_controls_are_refused_in_the_name(http: FlaskClient, control: str) -> None:
    response = http.post("/v1/comments", json=_comment(name=f"rtl {control}gnp.exe"))
    assert response.status_code == 422
    assert "bidirectional" in response.json["error"]["fields"]["name"]  # type: ignore[index]


@pytest.mark.parametrize("field", ["name", "text", "thread", "external_id", "user_agent", "url"])
def test_nul_is_refused_in_every_field(http: FlaskClient, field: str) -> None:
    value = "http://example.org/a\x00b" if field == "url" else "a\x00b"
    response = http.post("/v1/comments", json=_comment(**{field: value}))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]  # type: ignore[index]


def test_nul_is_refused_in_a_form_post(http: FlaskClient) -> None:
    body = "name=Ada&email=ada%40example.org&text=hi%00there"
    response = http.post(
        "/v1/comments", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 422
    assert "text" in response.json["error"]["fields"]  # type: ignore[index]


def test_nul_is_refused_in_scored_comments(http: FlaskClient) -> None:
    response = http.post("/v1/score", json={"comments": [{"text": "a\x00b"}]})
    assert response.status_code == 422


def test_405_names_the_allowed_methods(http: FlaskClient) -> None:
    response = http.delete("/v1/comments")
    assert response.status_code == 405
    assert response.headers["Allow"] == "OPTIONS, POST"
    assert response.json["error"]["code"] == "method_not_allowed"  # type: ignore[index]
    assert "GET" in http.put("/v1/queue/stats", headers=auth(ALICE)).headers["Allow"]


@pytest.mark.parametrize("query", ["limit=", "sort=", "limit=&sort=&thread=&cursor="])
def test_empty_query_values_mean_the_default(http: FlaskClient, query: str) -> None:
    response = http.get(f"/v1/queue?{query}", headers=auth(ALICE))
    assert response.status_code == 200, response.json
    assert http.get(f"/v1/decisions?{query.replace('sort', 'after')}").status_code == 200
    assert http.get("/v1/queue/audit?limit=", headers=auth(ALICE)).status_code == 200


def _decision_schema(app: Flask) -> dict[str, Any]:
    document = build_openapi(app, "test")
    operation = document["paths"]["/v1/queue/{comment_id}/decision"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]
    return {"$ref": ref["$ref"], "components": document["components"]}


@pytest.mark.parametrize(
    "body", [{"decision": "reject"}, {"decision": "approve", "reason": "spam"}]
)
def test_a_decision_the_queue_refuses_is_refused_by_the_schema_too(
    app: Flask, http: FlaskClient, post_comment: Callable[..., str], body: dict[str, Any]
) -> None:
    comment_id = post_comment()
    response = http.post(f"/v1/queue/{comment_id}/decision", json=body, headers=auth(ALICE))
    assert response.status_code == 422
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, _decision_schema(app))
    jsonschema.validate({"decision": "reject", "reason": "other"}, _decision_schema(app))
    jsonschema.validate({"decision": "approve"}, _decision_schema(app))


def test_claim_without_a_body_takes_the_defaults_as_documented(
    app: Flask, http: FlaskClient, post_comment: Callable[..., str]
) -> None:
    for _ in range(12):
        post_comment()
    response = http.post("/v1/queue/claim", headers=auth(ALICE))
    assert response.status_code == 200
    assert len(response.json["items"]) == 10  # type: ignore[index]
    operation = build_openapi(app, "test")["paths"]["/v1/queue/claim"]["post"]
    assert operation["requestBody"]["required"] is False


def test_the_moderator_page_documents_its_403s(app: Flask) -> None:
    paths = build_openapi(app, "test")["paths"]
    for path in ("/moderate/login", "/moderate/logout", "/moderate/decide"):
        assert "403" in paths[path]["post"]["responses"], path
        assert "text/html" in paths[path]["post"]["responses"]["403"]["content"]
    assert paths["/moderate/login"]["post"]["responses"]["303"]
    assert http_forbidden(app) == 403


def http_forbidden(app: Flask) -> int:
    """What a form post without its CSRF token gets."""
    return app.test_client().post("/moderate/logout").status_code


@pytest.fixture
def post_comment(http: FlaskClient) -> Callable[..., str]:
    def post(**fields: Any) -> str:
        return str(http.post("/v1/comments", json=_comment(**fields)).json["id"])  # type: ignore[index]

    return post


def test_the_page_shows_bidi_controls_instead_of_obeying_them(
    http: FlaskClient, redis_client: redis.Redis
) -> None:
    from tests.integration.queue_support import seed_comment
    from tests.integration.test_moderate_page_forms import sign_in

    # Text and link may carry them (a quoted snippet of Arabic or Hebrew may need marks).
    response = http.post(
        "/v1/comments",
        json=_comment(
            text="see https://example.com/\u202emoc.knab and rtl \u202egnp.exe",
            url="https://example.org/\u202egpj.exe",
        ),
    )
    assert response.status_code == 201, response.json
    seed_comment(redis_client, "stored before names were checked", name="x\u202eyz")
    sign_in(http)
    html = http.get("/moderate").get_data(as_text=True)
    for control in ("\u202e", "\u2066", "\u200f"):
        assert control not in html
    assert html.count('title="RIGHT-TO-LEFT OVERRIDE">[U+202E]</span>') == 4
    assert '<p class="text" dir="auto">' in html
    assert "<bdi>x<span" in html  # the name, isolated
