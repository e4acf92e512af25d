"""/openapi.json is valid OpenAPI 3.1, lists every route, and its schemas are the validators'."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
import requests
from openapi_spec_validator import validate

from service.http.openapi import openapi_path
from tests.integration.gunicorn_support import GunicornServer


@pytest.fixture(scope="module")
def document(approving_server: GunicornServer) -> dict[str, Any]:
    response = requests.get(approving_server.url("/openapi.json"), timeout=10)
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def test_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_route_is_documented_and_nothing_else() -> None:
    from service.http.app import create_app
    from service.http.openapi import build_openapi
    from service.moderation.model_holder import ModelHolder
    from service.settings import Settings
    from tests.fake_model import FakeModel

    app = create_app(
        Settings(redis_url="redis://127.0.0.1:1/0"),
        models=ModelHolder(FakeModel()),  # type: ignore[arg-type]
    )
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.endswith(".static")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    document = build_openapi(app, "test")
    documented = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert documented == routes
    assert ("/v1/comments", "post") in documented


def test_decision_feed_items_are_documented_with_their_thread() -> None:
    from service.http.app import create_app
    from service.http.openapi import build_openapi
    from service.moderation.model_holder import ModelHolder
    from service.settings import Settings
    from tests.fake_model import FakeModel

    app = create_app(
        Settings(redis_url="redis://127.0.0.1:1/0"),
        models=ModelHolder(FakeModel()),  # type: ignore[arg-type]
    )
    document = build_openapi(app, "test")
    page = document["paths"]["/v1/decisions"]["get"]["responses"]["200"]["content"]
    item = {
        "id": "01kb2v5s3j6q8m0w4h9x7c2r1t",
        "external_id": "wp-1017",
        "thread": "/news/42",
        "status": "approved",
        "decided_at": "2026-12-07T10:00:00.000Z",
        "reason": None,
        "cursor": "1765101600000-0",
    }
    schema = _schema(document, page["application/json"]["schema"])
    jsonschema.validate({"items": [item], "next": item["cursor"], "has_more": False}, schema)
    without_thread = {k: v for k, v in item.items() if k != "thread"}
    with pytest.raises(jsonschema.ValidationError, match="'thread' is a required property"):
        jsonschema.validate({"items": [without_thread], "next": "0-0", "has_more": False}, schema)


def _schema(document: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    # Resolve "#/components/schemas/X" against the whole document.
    return {"$ref": ref["$ref"], "components": document["components"]}


def test_intake_request_and_answer_match_the_document(
    document: dict[str, Any], approving_server: GunicornServer
) -> None:
    operation = document["paths"]["/v1/comments"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/json", "application/x-www-form-urlencoded"}
    request_schema = _schema(document, content["application/json"]["schema"])
    body = {"name": "Ada", "email": "ada@example.org", "text": "Fine", "thread": "/a"}
    jsonschema.validate(body, request_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"name": "Ada"}, request_schema)  # missing email and text
    answer = approving_server.post_comment(body)
    answer_schema = operation["responses"]["201"]["content"]["application/json"]["schema"]
    jsonschema.validate(answer.json(), _schema(document, answer_schema))
    assert {"413", "415", "422", "400", "503"} <= set(operation["responses"])


def test_error_answers_match_the_error_schema(
    document: dict[str, Any], approving_server: GunicornServer
) -> None:
    error = approving_server.post_comment({"email": "nope"})
    schema = document["paths"]["/v1/comments"]["post"]["responses"]["422"]["content"]
    jsonschema.validate(error.json(), _schema(document, schema["application/json"]["schema"]))
