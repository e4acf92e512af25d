"""POST /v1/comments decides, stores and queues; GET /v1/comments/<id> reads it back."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import redis
import requests

from service.http.schemas import CommentCreated, CommentView
from service.runtime.redis_server import RedisServer
from service.store import keys
from tests.integration.conftest import HOLD_ALL
from tests.integration.gunicorn_support import GunicornServer

EMAIL = "grace.hopper@navy.example"


def test_approved_comment_is_stored_and_not_queued(
    approving_server: GunicornServer, redis_client: redis.Redis
) -> None:
    response = approving_server.post_comment({"thread": "/news/1", "external_id": "c-1"})
    assert response.status_code == 201
    body = CommentCreated.model_validate(response.json())
    assert body.status == "approved"
    assert response.headers["Location"] == f"/v1/comments/{body.id}"
    assert 0.0 <= body.scores.spam <= 1.0 and 0.0 <= body.scores.toxicity <= 1.0
    record = redis_client.hgetall(keys.comment(body.id))
    assert record["status"] == "approved"
    assert record["thread"] == "/news/1"
    assert record["model_version"] == body.model_version
    assert redis_client.zscore(keys.queue_pending(), body.id) is None


def test_pending_comment_is_in_the_queue_with_its_record(
    holding_server: GunicornServer, redis_client: redis.Redis
) -> None:
    response = holding_server.post_comment({"email": EMAIL, "url": "https://hopper.example"})
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending"
    reason = next(r for r in body["reasons"] if r["code"] == "spam_possible")
    assert reason["message"] and reason["head"] == "spam" and isinstance(reason["spans"], list)
    record = redis_client.hgetall(keys.comment(body["id"]))
    assert record["status"] == "pending"
    assert record["email"] == EMAIL  # kept for moderators and labels
    assert record["text"] == "Thanks, a clear article."
    assert record["url"] == "https://hopper.example"
    assert float(record["spam"]) == body["scores"]["spam"]
    assert json.loads(record["reasons"]) == body["reasons"]
    score = redis_client.zscore(keys.queue_pending(), body["id"])
    assert score == float(record["created_at"])


def test_rejected_comment_says_why(
    rejecting_server: GunicornServer, redis_client: redis.Redis
) -> None:
    response = rejecting_server.post_comment()
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "rejected"
    assert [r["code"] for r in body["reasons"]] == ["spam_likely"]
    assert redis_client.zscore(keys.queue_pending(), body["id"]) is None


def test_honeypot_rejects(approving_server: GunicornServer) -> None:
    response = approving_server.post_comment({"website_confirm": "http://bot.example"})
    assert response.json()["status"] == "rejected"
    assert response.json()["reasons"][0]["code"] == "honeypot"


def test_honeypot_in_a_form_rejects(approving_server: GunicornServer) -> None:
    form = {"name": "Bot", "email": "bot@example.org", "text": "Nice", "website_confirm": "x"}
    response = requests.post(approving_server.url("/v1/comments"), data=form, timeout=10)
    assert response.status_code == 201
    assert response.json()["status"] == "rejected"


def test_two_links_hold_for_review(
    approving_server: GunicornServer, redis_client: redis.Redis
) -> None:
    text = "See https://a.example and www.b.example for more."
    response = approving_server.post_comment({"text": text})
    body = response.json()
    assert body["status"] == "pending"
    assert body["reasons"][0]["code"] == "too_many_links"
    assert redis_client.zscore(keys.queue_pending(), body["id"]) is not None


def test_shadow_mode_approves_and_records_the_verdict(
    shadow_server: GunicornServer, redis_client: redis.Redis
) -> None:
    response = shadow_server.post_comment()
    body = response.json()
    assert body["status"] == "approved"
    assert body["shadow_status"] == "pending"
    assert "shadow_mode" in [r["code"] for r in body["reasons"]]
    record = redis_client.hgetall(keys.comment(body["id"]))
    assert (record["status"], record["verdict"], record["mode"]) == (
        "approved",
        "pending",
        "shadow",
    )
    assert redis_client.zscore(keys.queue_pending(), body["id"]) is None


def test_get_by_id_gives_the_current_status(
    holding_server: GunicornServer, redis_client: redis.Redis
) -> None:
    created = holding_server.post_comment({"email": EMAIL, "thread": "/t", "external_id": "e9"})
    location = created.headers["Location"]
    first = requests.get(holding_server.url(location), timeout=10)
    assert first.status_code == 200
    view = CommentView.model_validate(first.json())
    assert (view.status, view.thread, view.external_id) == ("pending", "/t", "e9")
    # A moderator's decision (written by the queue) is what the site reads next.
    redis_client.hset(
        keys.comment(view.id), mapping={"status": "approved", "decided_at": "1764277200.5"}
    )
    second = requests.get(holding_server.url(location), timeout=10).json()
    assert second["status"] == "approved"
    assert second["decided_at"] == "2025-11-27T21:00:00.500Z"


def test_unknown_id_is_404(approving_server: GunicornServer) -> None:
    for unknown in ("01jzzzzzzzzzzzzzzzzzzzzzzz", "nope", "../../etc"):
        response = requests.get(approving_server.url(f"/v1/comments/{unknown}"), timeout=10)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_a_retried_post_returns_the_stored_comment(
    approving_server: GunicornServer, redis_client: redis.Redis
) -> None:
    body = {"thread": "/news/2", "external_id": "wp-77"}
    first = approving_server.post_comment(body)
    again = approving_server.post_comment(body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert len(redis_client.keys(keys.comment("*"))) == 2  # the comment and its ext-id key


def test_email_is_in_no_response_and_no_log(
    holding_server: GunicornServer, redis_client: redis.Redis
) -> None:
    created = holding_server.post_comment({"email": EMAIL})
    fetched = requests.get(holding_server.url(created.headers["Location"]), timeout=10)
    invalid = holding_server.post_comment({"email": EMAIL, "url": "ftp://x"})
    assert invalid.status_code == 422
    for response in (created, fetched, invalid):
        assert EMAIL not in response.text
        assert "grace.hopper" not in response.text
    log = holding_server.log_text()
    assert created.json()["id"] in log  # the request was logged...
    assert "grace.hopper" not in log  # ...without the address


def test_request_id_is_echoed_and_logged(approving_server: GunicornServer) -> None:
    response = approving_server.post_comment(headers={"X-Request-ID": "req-abc.123"})
    assert response.headers["X-Request-ID"] == "req-abc.123"
    lines = [json.loads(line) for line in approving_server.log_text().splitlines() if "{" in line]
    assert any(line.get("request_id") == "req-abc.123" for line in lines)
    generated = approving_server.post_comment().headers["X-Request-ID"]
    assert len(generated) == 32


def test_client_details_come_from_the_request_when_not_relayed(
    approving_server: GunicornServer, redis_client: redis.Redis
) -> None:
    relayed = approving_server.post_comment({"ip": "203.0.113.9", "user_agent": "Relayed/1"})
    direct = approving_server.post_comment(
        headers={"User-Agent": "Browser/2", "Referer": "https://blog.example/post"}
    )
    first = redis_client.hgetall(keys.comment(relayed.json()["id"]))
    second = redis_client.hgetall(keys.comment(direct.json()["id"]))
    # With no site, nobody is authenticated: a body's addresses are not believed
    # (tests/integration/test_sites.py: an authenticated site's are).
    assert first["ip"] == "127.0.0.1" and first["user_agent"] != "Relayed/1"
    assert (second["ip"], second["user_agent"]) == ("127.0.0.1", "Browser/2")
    assert second["referrer"] == "https://blog.example/post"


def test_score_stores_nothing(approving_server: GunicornServer, redis_client: redis.Redis) -> None:
    body = {"comments": [{"text": "Great post"}, {"text": "Visit my site", "name": "Spammy"}]}
    response = requests.post(approving_server.url("/v1/score"), json=body, timeout=10)
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 2
    assert all(0.0 <= item["scores"]["spam"] <= 1.0 for item in items)
    assert response.json()["next"] is None
    assert redis_client.dbsize() == 0


def test_a_large_score_batch_answers_as_its_comments_one_by_one(
    approving_server: GunicornServer,
) -> None:
    # From 10 comments on, the batch is scored beside the worker's other requests
    # (a native thread under gevent): the same answers as scoring each alone.
    comments = [{"text": f"Comment {i}: visit http://deals{i}.example now"} for i in range(40)]
    url = approving_server.url("/v1/score")
    batch = requests.post(url, json={"comments": comments}, timeout=30)
    assert batch.status_code == 200
    alone = [requests.post(url, json={"comments": [c]}, timeout=10) for c in comments[:5]]
    assert [a.json()["items"][0] for a in alone] == batch.json()["items"][:5]
    assert len(batch.json()["items"]) == 40


def test_an_api_answer_sets_no_cookie(approving_server: GunicornServer) -> None:
    response = approving_server.post_comment()
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")


def test_word_lists_reject_and_hold_with_highlighted_spans(
    word_list_server: GunicornServer, redis_client: redis.Redis
) -> None:
    text = "Get FR33 m0ney and cheap V1agra here"
    rejected = word_list_server.post_comment({"text": text}).json()
    assert rejected["status"] == "rejected"
    reason = next(r for r in rejected["reasons"] if r["code"] == "banned_word")
    assert reason["words"] == ["free money", "viagra"]
    assert [text[s["start"] : s["end"]] for s in reason["spans"]] == ["FR33 m0ney", "V1agra"]

    held = word_list_server.post_comment({"text": "Is crypto worth it?"}).json()
    assert held["status"] == "pending"
    assert [r["code"] for r in held["reasons"]] == ["suspect_word"]
    assert redis_client.zscore(keys.queue_pending(), held["id"]) is not None

    scored = requests.post(
        word_list_server.url("/v1/score"), json={"comments": [{"text": text}]}, timeout=10
    ).json()
    assert scored["items"][0]["status"] == "rejected"


def test_coalesced_scoring_when_turned_on(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """MODQ_BATCH_MAX above 1: concurrent requests share model calls, each gets its own
    decision, and every comment is scored exactly once."""
    settings = {**HOLD_ALL, "MODQ_BATCH_MAX": "8", "MODQ_BATCH_WAIT_MS": "5"}
    server = GunicornServer(tmp_path / "gunicorn", redis_server.url, settings)
    server.start()
    try:
        start = threading.Barrier(8)
        answers: list[requests.Response] = []

        def post(client: int) -> None:
            start.wait()
            for n in range(3):
                answers.append(server.post_comment({"text": f"Comment {n} of client {client}."}))

        clients = [threading.Thread(target=post, args=(i,)) for i in range(8)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(60)
        assert [a.status_code for a in answers] == [201] * 24
        ids = {a.json()["id"] for a in answers}
        assert len(ids) == 24 and all(a.json()["status"] == "pending" for a in answers)
        assert all(redis_client.zscore(keys.queue_pending(), i) is not None for i in ids)
        exposition = requests.get(server.url("/metrics"), timeout=10).text
        scored = _metric(exposition, "modq_score_batch_size_sum")
        calls = _metric(exposition, "modq_score_batch_size_count")
        assert scored == 24 and 1 <= calls <= 24
    finally:
        server.stop()


def _metric(exposition: str, name: str) -> float:
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in exposition.splitlines()
        if line.startswith(name + " ") or line.startswith(name + "{")
    )
