"""Bulk decisions and corrections through the HTTP API, against a real private Redis."""

from __future__ import annotations

import pytest
import redis
from flask.testing import FlaskClient

from service.domain import CommentStatus
from service.store import keys
from tests.integration.queue_support import seed_comment
from tests.integration.test_queue_api import ALICE, auth, make_app


@pytest.fixture
def http(redis_client: redis.Redis) -> FlaskClient:
    return make_app(redis_client).test_client()


def test_bulk_decisions_in_one_request_each_on_its_own(
    http: FlaskClient,
    redis_client: redis.Redis,
) -> None:
    ids = [seed_comment(redis_client, f"comment {i}") for i in range(3)]
    body = {
        "decisions": [
            {"id": ids[0], "decision": "approve"},
            {"id": ids[1], "decision": "reject", "reason": "spam"},
            {"id": ids[0], "decision": "approve"},  # already decided: 409 for this one only
            {"id": "nope", "decision": "approve"},
        ]
    }
    response = http.post("/v1/queue/decisions", json=body, headers=auth(ALICE))
    assert response.status_code == 200, response.json
    items = response.json["items"]  # type: ignore[index]
    assert [(i["id"], i["ok"]) for i in items] == [
        (ids[0], True),
        (ids[1], True),
        (ids[0], False),
        ("nope", False),
    ]
    assert items[1]["status"] == "rejected"
    assert items[3]["error"]["code"] == "not_found"
    assert redis_client.hget(keys.comment(ids[2]), "status") == "pending"
    # API decisions are not held: the feed has them at once
    assert redis_client.xlen(keys.decisions()) == 2


def test_bulk_request_validation(http: FlaskClient) -> None:
    too_many = {"decisions": [{"id": "x", "decision": "approve"}] * 101}
    for body in ({}, {"decisions": []}, too_many, {"decisions": [{"id": "x", "decision": "no"}]}):
        response = http.post("/v1/queue/decisions", json=body, headers=auth(ALICE))
        assert response.status_code == 422
        assert response.json["error"]["fields"]  # type: ignore[index]
    assert http.post("/v1/queue/decisions", json={}).status_code == 401


def test_correct_an_automatic_rejection_over_the_api(
    http: FlaskClient,
    redis_client: redis.Redis,
) -> None:
    cid = seed_comment(redis_client, "fine", status=CommentStatus.REJECTED)
    plain = http.post(
        f"/v1/queue/{cid}/decision", json={"decision": "approve"}, headers=auth(ALICE)
    )
    assert plain.status_code == 409
    fixed = http.post(
        f"/v1/queue/{cid}/decision",
        json={"decision": "approve", "correct": True},
        headers=auth(ALICE),
    )
    assert fixed.status_code == 200
    assert fixed.json["status"] == "approved"  # type: ignore[index]
    feed = http.get("/v1/decisions").json["items"]  # type: ignore[index]
    assert [(e["id"], e["status"], e["event"]) for e in feed] == [(cid, "approved", "corrected")]
