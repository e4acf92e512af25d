"""The queue and decisions APIs through the HTTP app, against a real private Redis."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import REGISTRY

from service.cli.queue import queue_group
from service.http.app import create_app
from service.moderation.model_holder import ModelHolder
from service.runtime.redis_server import RedisServer
from service.settings import Settings, Thresholds
from service.store import keys
from tests.fake_model import FakeModel

ALICE = "alice-token-0123456789"
BOB = "bob-token-0123456789ab"
# review at 0: every comment the model scores is held for a moderator
HOLD = Thresholds(spam_review=0.0, spam_reject=1.0, toxicity_review=1.0, toxicity_reject=1.0)


def make_app(client: redis.Redis, lease_seconds: int = 300) -> Flask:
    settings = Settings(
        moderator_tokens={"alice": ALICE, "bob": BOB},
        secret_key="s" * 64,
        secret_key_generated=False,
        thresholds=HOLD,
        lease_seconds=lease_seconds,
    )
    return create_app(settings, models=ModelHolder(FakeModel()), redis_client=client)  # type: ignore[arg-type]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(redis_client: redis.Redis) -> Flask:
    return make_app(redis_client)


@pytest.fixture
def http(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def post_comment(http: FlaskClient) -> Callable[..., str]:
    def post(text: str = "A fine deal here", **fields: Any) -> str:
        body = {"name": "Pat", "email": "pat@Example.com", "text": text, **fields}
        response = http.post("/v1/comments", json=body)
        assert response.status_code == 201, response.json
        assert response.json["status"] == "pending"  # type: ignore[index]
        return str(response.json["id"])  # type: ignore[index]

    return post


@pytest.mark.parametrize("headers", [{}, auth("wrong-token-0123456789"), {"Authorization": ALICE}])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/v1/queue"),
        ("post", "/v1/queue/claim"),
        ("get", "/v1/queue/stats"),
        ("post", "/v1/queue/01m8fcfrvq9143vmk51t9yeevz/decision"),
        ("post", "/v1/queue/01m8fcfrvq9143vmk51t9yeevz/release"),
    ],
)
def test_missing_or_wrong_token_is_401(
    http: FlaskClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = getattr(http, method)(path, headers=headers, json={})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_list_shows_moderator_fields_but_only_the_email_domain(
    http: FlaskClient, post_comment: Callable[..., str]
) -> None:
    cid = post_comment("Cheap casino deal", url="http://xn--pypal-4ve.com/win", thread="/t/1")
    response = http.get("/v1/queue", headers=auth(ALICE))
    assert response.status_code == 200
    [item] = response.json["items"]
    assert response.json["next"] is None
    assert (item["id"], item["name"], item["text"], item["thread"]) == (
        cid,
        "Pat",
        "Cheap casino deal",
        "/t/1",
    )
    assert item["email_domain"] == "@example.com"
    assert "pat@" not in response.get_data(as_text=True).lower()
    assert item["url_target"] == "xn--pypal-4ve.com"
    assert item["scores"]["spam"] == 0.97
    assert {s["text"] for s in item["spans"]} == {"casino", "deal"}


def test_list_sorts_filters_and_pages(http: FlaskClient, post_comment: Callable[..., str]) -> None:
    plain = post_comment("Plain words", thread="/a")
    deal = post_comment("A deal", thread="/b")
    casino = post_comment("casino", thread="/a")
    by_score = http.get("/v1/queue?sort=score", headers=auth(ALICE)).json
    assert [i["id"] for i in by_score["items"]] == [casino, deal, plain]
    only_a = http.get("/v1/queue?thread=/a", headers=auth(ALICE)).json
    assert [i["id"] for i in only_a["items"]] == [plain, casino]
    first = http.get("/v1/queue?limit=2", headers=auth(ALICE)).json
    second = http.get(f"/v1/queue?limit=2&cursor={first['next']}", headers=auth(ALICE)).json
    assert [i["id"] for i in first["items"] + second["items"]] == [plain, deal, casino]
    assert second["next"] is None
    bad = http.get("/v1/queue?sort=loudest&limit=0", headers=auth(ALICE))
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"sort", "limit"}


def test_concurrent_claims_get_disjoint_items(app: Flask, post_comment: Callable[..., str]) -> None:
    posted = {post_comment(f"comment number {i}") for i in range(30)}
    got: dict[str, list[str]] = {}
    barrier = threading.Barrier(2)

    def claim(name: str, token: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post("/v1/queue/claim", headers=auth(token), json={"limit": 20})
        got[name] = [item["id"] for item in response.json["items"]]  # type: ignore[index]

    threads = [
        threading.Thread(target=claim, args=("alice", ALICE)),
        threading.Thread(target=claim, args=("bob", BOB)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not set(got["alice"]) & set(got["bob"])
    assert set(got["alice"]) | set(got["bob"]) == posted
    assert sorted(map(len, got.values())) == [10, 20]


def test_lease_expiry_returns_items(redis_client: redis.Redis) -> None:
    http = make_app(redis_client, lease_seconds=1).test_client()
    body = {"name": "Pat", "email": "pat@example.com", "text": "A deal"}
    cid = http.post("/v1/comments", json=body).json["id"]  # type: ignore[index]
    claimed = http.post("/v1/queue/claim", headers=auth(ALICE), json={"limit": 5}).json
    assert [i["id"] for i in claimed["items"]] == [cid]  # type: ignore[index]
    assert http.post("/v1/queue/claim", headers=auth(BOB), json={}).json["items"] == []  # type: ignore[index]
    time.sleep(1.1)
    again = http.post("/v1/queue/claim", headers=auth(BOB), json={}).json
    assert [i["id"] for i in again["items"]] == [cid]  # type: ignore[index]


def test_decision_then_second_decision_is_409(
    http: FlaskClient, post_comment: Callable[..., str]
) -> None:
    cid = post_comment()
    first = http.post(
        f"/v1/queue/{cid}/decision", headers=auth(ALICE), json={"decision": "approve"}
    )
    assert first.status_code == 200
    assert (first.json["status"], first.json["decided_by"]) == ("approved", "alice")
    second = http.post(
        f"/v1/queue/{cid}/decision",
        headers=auth(BOB),
        json={"decision": "reject", "reason": "spam"},
    )
    assert second.status_code == 409
    assert "already decided" in second.json["error"]["message"]
    assert http.get(f"/v1/comments/{cid}").json["status"] == "approved"


def test_decision_on_another_moderators_lease_is_409(
    http: FlaskClient, post_comment: Callable[..., str]
) -> None:
    cid = post_comment()
    http.post("/v1/queue/claim", headers=auth(ALICE), json={"limit": 1})
    response = http.post(
        f"/v1/queue/{cid}/decision", headers=auth(BOB), json={"decision": "approve"}
    )
    assert response.status_code == 409
    assert "leased by alice" in response.json["error"]["message"]
    assert http.post(f"/v1/queue/{cid}/release", headers=auth(BOB)).status_code == 409
    released = http.post(f"/v1/queue/{cid}/release", headers=auth(ALICE))
    assert released.json == {"id": cid, "released": True}
    retry = http.post(f"/v1/queue/{cid}/decision", headers=auth(BOB), json={"decision": "approve"})
    assert retry.status_code == 200


@pytest.mark.parametrize("path", ["decision", "release"])
def test_unknown_id_is_404(http: FlaskClient, path: str) -> None:
    for cid in ("01m8fcfrvq9143vmk51t9yeevz", "nonsense"):
        response = http.post(
            f"/v1/queue/{cid}/{path}", headers=auth(ALICE), json={"decision": "approve"}
        )
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "body",
    [{"decision": "maybe"}, {"decision": "reject"}, {"decision": "approve", "reason": "spam"}, {}],
)
def test_bad_decision_body_is_422(
    http: FlaskClient, post_comment: Callable[..., str], body: dict[str, str]
) -> None:
    cid = post_comment()
    response = http.post(f"/v1/queue/{cid}/decision", headers=auth(ALICE), json=body)
    assert response.status_code == 422
    assert http.get(f"/v1/comments/{cid}").json["status"] == "pending"


def test_feed_returns_each_decision_exactly_once_across_pages(
    http: FlaskClient, post_comment: Callable[..., str]
) -> None:
    ids = [
        post_comment(f"comment {i}", external_id=f"site-{i}", thread=f"/news/{i}") for i in range(7)
    ]
    seen: list[str] = []
    cursor = "0"
    for round_ in range(3):  # decisions keep arriving while the site polls
        for cid in ids[round_ * 3 : round_ * 3 + 3]:
            http.post(
                f"/v1/queue/{cid}/decision", headers=auth(ALICE), json={"decision": "approve"}
            )
        while True:
            page = http.get(f"/v1/decisions?after={cursor}&limit=2").json
            seen += [item["id"] for item in page["items"]]
            assert page["next"]
            cursor = page["next"]
            if not page["items"]:
                break
    assert seen == ids
    item = http.get("/v1/decisions?limit=1").json["items"][0]
    assert set(item) == {
        "id",
        "external_id",
        "thread",
        "status",
        "decided_at",
        "reason",
        "cursor",
        "event",
    }
    assert (item["external_id"], item["thread"]) == ("site-0", "/news/0")


@pytest.mark.parametrize("query", ["after=yesterday", "limit=0", "limit=501", "limit=ten"])
def test_feed_validates_its_query(http: FlaskClient, query: str) -> None:
    response = http.get(f"/v1/decisions?{query}")
    assert response.status_code == 422
    assert response.json["error"]["fields"]


def test_labels_audit_stats_and_export(
    http: FlaskClient, post_comment: Callable[..., str], redis_client: redis.Redis, tmp_path: Path
) -> None:
    a = post_comment("Lovely article", url="https://pat.example/")
    s = post_comment("casino casino")
    t = post_comment("You idiot")
    o = post_comment("Off topic")
    for cid, body in [
        (a, {"decision": "approve"}),
        (s, {"decision": "reject", "reason": "spam"}),
        (t, {"decision": "reject", "reason": "toxic"}),
        (o, {"decision": "reject", "reason": "other"}),
    ]:
        assert (
            http.post(f"/v1/queue/{cid}/decision", headers=auth(BOB), json=body).status_code == 200
        )

    audit = http.get("/v1/queue/audit", headers=auth(ALICE)).json["items"]
    assert [(r["id"], r["moderator"], r["to"]) for r in audit] == [
        (o, "bob", "rejected"),
        (t, "bob", "rejected"),
        (s, "bob", "rejected"),
        (a, "bob", "approved"),
    ]
    stats = http.get("/v1/queue/stats", headers=auth(ALICE)).json
    assert (stats["depth"], stats["leased"], stats["decided_last_hour"]) == (0, 0, 4)
    assert stats["decided_last_hour_by_moderator"] == {"bob": 4}

    out = tmp_path / "labels.csv"
    result = CliRunner().invoke(
        queue_group, ["export-labels", "-o", str(out)], obj={"redis": redis_client}
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [
            "id",
            "text",
            "name",
            "email",
            "url",
            "spam",
            "toxic",
            "source",
        ]
        rows = list(reader)
    assert [(r["id"], r["spam"], r["toxic"]) for r in rows] == [
        (a, "0", "0"),
        (s, "1", ""),
        (t, "", "1"),
    ]
    assert rows[0] == {
        "id": a,
        "text": "Lovely article",
        "name": "Pat",
        "email": "@example.com",
        "url": "https://pat.example/",
        "spam": "0",
        "toxic": "0",
        "source": "moderator",
    }


@pytest.fixture
def durable(own_redis: RedisServer) -> Iterator[tuple[RedisServer, redis.Redis]]:
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    yield own_redis, client
    client.close()


def test_pending_leases_and_labels_survive_a_redis_crash(
    durable: tuple[RedisServer, redis.Redis],
) -> None:
    server, client = durable
    http = make_app(client).test_client()
    body = {"name": "Pat", "email": "pat@example.com", "text": "A deal"}
    ids = [http.post("/v1/comments", json=body).json["id"] for _ in range(3)]  # type: ignore[index]
    http.post("/v1/queue/claim", headers=auth(ALICE), json={"limit": 1})
    http.post(f"/v1/queue/{ids[2]}/decision", headers=auth(BOB), json={"decision": "approve"})

    server.kill()  # no graceful shutdown: only what reached the append-only file survives
    server.start()
    client.connection_pool.disconnect()

    queue = http.get("/v1/queue", headers=auth(ALICE)).json["items"]
    assert [i["id"] for i in queue] == ids[:2]
    assert queue[0]["lease"]["moderator"] == "alice"
    assert queue[1]["lease"] is None
    assert client.xlen(keys.labels()) == 1
    assert client.xlen(keys.decisions()) == 1
    # Alice's lease still holds after the restart: Bob cannot take her comment.
    bob = http.post(f"/v1/queue/{ids[0]}/decision", headers=auth(BOB), json={"decision": "approve"})
    assert bob.status_code == 409


def test_decisions_and_queue_show_in_metrics(
    http: FlaskClient, post_comment: Callable[..., str]
) -> None:
    labels = {"status": "rejected", "reason": "toxic"}
    before = REGISTRY.get_sample_value("modq_moderator_decisions_total", labels) or 0.0
    cid = post_comment()
    post_comment()
    body = {"decision": "reject", "reason": "toxic"}
    http.post(f"/v1/queue/{cid}/decision", headers=auth(ALICE), json=body)
    http.get("/v1/queue/stats", headers=auth(ALICE))
    assert REGISTRY.get_sample_value("modq_moderator_decisions_total", labels) == before + 1
    text = http.get("/metrics").get_data(as_text=True)
    assert "modq_queue_depth 1.0" in text
    assert "modq_time_to_decision_seconds_count" in text
