"""Sites against a real gunicorn and a Redis of this module alone (sites change who may call).

Keys on every website endpoint, rotation while serving, isolation of the sites'
queues, feeds, comments and stats, feedback, moderators' corrections, moderator
tokens limited to some sites, and `modq serve`'s protected mode.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from service.domain import CommentStatus
from service.runtime.redis_server import RedisServer, free_port
from service.sites import SiteRegistry
from service.sites.cache import TTL_SECONDS
from service.store import keys
from tests.integration.conftest import HOLD_ALL
from tests.integration.gunicorn_support import ROOT, GunicornServer
from tests.integration.queue_support import seed_comment

ALL = "all-sites-token-0123456789"
FORUM_ONLY = "forum-only-token-0123456789"
TOKENS = f"alice:{ALL},fred:{FORUM_ONLY}:forum"
COMMENT = {"name": "Ada", "email": "ada@example.org", "text": "Thanks, a clear article."}
# How long a worker may go on believing a removed key, or that no site exists.
REMEMBERED = TTL_SECONDS + 0.2


@pytest.fixture(scope="module")
def sites_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("sites-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sites_redis: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn holding every comment for review, two moderators: alice (all), fred (forum)."""
    gunicorn = GunicornServer(
        tmp_path_factory.mktemp("sites-gunicorn"),
        sites_redis.url,
        {**HOLD_ALL, "MODQ_MODERATOR_TOKENS": TOKENS},
    )
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


@pytest.fixture
def client(sites_redis: RedisServer, server: GunicornServer) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(sites_redis.url, decode_responses=True)
    connection.flushall()
    yield connection
    connection.close()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def post(server: GunicornServer, key: str | None, body: dict[str, Any] | None = None) -> Any:
    headers = bearer(key) if key else {}
    return requests.post(
        server.url("/v1/comments"), json={**COMMENT, **(body or {})}, headers=headers, timeout=10
    )


def feedback(server: GunicornServer, key: str | None, cid: str, label: str) -> Any:
    headers = bearer(key) if key else {}
    return requests.post(
        server.url(f"/v1/comments/{cid}/feedback"),
        json={"label": label},
        headers=headers,
        timeout=10,
    )


def modq(*args: str, redis_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
    env["MODQ_REDIS_URL"] = redis_url
    return subprocess.run(
        [sys.executable, "-m", "service.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_open_until_a_site_exists_then_every_website_endpoint_needs_its_key(
    server: GunicornServer, client: redis.Redis, sites_redis: RedisServer
) -> None:
    time.sleep(REMEMBERED)
    assert post(server, None).status_code == 201  # no site: open, as before

    added = modq(
        "sites", "add", "blog", "--url", "https://blog.example", "--json", redis_url=sites_redis.url
    )
    assert added.returncode == 0, added.stderr
    blog = json.loads(added.stdout)
    assert blog["site"] == "blog" and len(blog["key"]) == 40
    forum = SiteRegistry(client).add("forum")
    time.sleep(REMEMBERED)  # the worker saw no site a moment ago
    listed = modq("sites", "list", redis_url=sites_redis.url)
    assert "blog" in listed.stdout and "https://blog.example" in listed.stdout
    assert blog["key"] not in listed.stdout

    created = post(server, blog["key"])
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    wrong = "0" * 40
    calls = [
        ("post", "/v1/comments", COMMENT),
        ("get", f"/v1/comments/{cid}", None),
        ("post", "/v1/score", {"comments": [{"text": "hello"}]}),
        ("get", "/v1/decisions", None),
        ("post", f"/v1/comments/{cid}/feedback", {"label": "ham"}),
    ]
    for method, path, body in calls:
        for headers, code in (({}, "site_key_required"), (bearer(wrong), "site_key_invalid")):
            answer = requests.request(
                method, server.url(path), json=body, headers=headers, timeout=10
            )
            assert answer.status_code == 401, (path, answer.text)
            assert answer.json()["error"]["code"] == code
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    # another site's key: its own namespace, where this comment does not exist
    for method, path, body in calls[1:2] + calls[4:]:
        answer = requests.request(
            method, server.url(path), json=body, headers=bearer(forum), timeout=10
        )
        assert answer.status_code == 404, (path, answer.text)
    assert (
        requests.get(
            server.url(f"/v1/comments/{cid}"), headers=bearer(blog["key"]), timeout=10
        ).status_code
        == 200
    )
    scored = requests.post(
        server.url("/v1/score"),
        json={"comments": [{"text": "hi"}]},
        headers=bearer(forum),
        timeout=10,
    )
    assert scored.status_code == 200
    # the moderator API and the health checks are not website endpoints
    assert requests.get(server.url("/healthz"), timeout=10).status_code == 200
    assert requests.get(server.url("/v1/queue"), headers=bearer(ALL), timeout=10).ok


def test_body_addresses_are_believed_only_from_an_authenticated_site(
    server: GunicornServer, client: redis.Redis
) -> None:
    relayed = {"ip": "203.0.113.9", "user_agent": "Visitor/1.0", "referrer": "https://r.example/"}
    time.sleep(REMEMBERED)  # the sites of the test before are gone for the worker too
    open_id = post(server, None, relayed).json()["id"]
    stored = client.hgetall(keys.comment(open_id))
    assert stored["ip"] == "127.0.0.1" and stored["user_agent"] != "Visitor/1.0"
    key = SiteRegistry(client).add("blog")
    site_id = post(server, key, relayed).json()["id"]
    stored = client.hgetall(keys.comment(site_id, "blog"))
    assert stored["ip"] == "203.0.113.9" and stored["user_agent"] == "Visitor/1.0"
    assert stored["referrer"] == "https://r.example/"


def test_a_key_rotated_while_serving_works_through_its_grace_then_stops(
    server: GunicornServer, client: redis.Redis, sites_redis: RedisServer
) -> None:
    registry = SiteRegistry(client)
    old = registry.add("blog")
    assert post(server, old).status_code == 201
    rotated = modq("sites", "rotate", "blog", "--grace", "1h", "--json", redis_url=sites_redis.url)
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)["key"]
    assert post(server, old).status_code == 201  # within the grace period
    assert post(server, new).status_code == 201
    newer = registry.rotate("blog", grace_seconds=2)
    assert post(server, new).status_code == 201  # within its 2 s
    time.sleep(2.2)
    assert post(server, new).status_code == 401
    assert post(server, newer).status_code == 201
    assert post(server, old).status_code == 201  # its hour is not over
    new = newer
    newest = registry.rotate("blog", grace_seconds=0)
    time.sleep(REMEMBERED)
    assert post(server, new).status_code == 401
    assert post(server, newest).status_code == 201
    removed = modq("sites", "remove", "blog", redis_url=sites_redis.url)
    assert removed.returncode == 0, removed.stderr
    assert "open again" in removed.stderr
    time.sleep(REMEMBERED)
    assert post(server, newest).status_code == 401


def test_sites_are_isolated_queue_feed_comments_and_stats(
    server: GunicornServer, client: redis.Redis
) -> None:
    registry = SiteRegistry(client)
    blog, forum = registry.add("blog"), registry.add("forum")
    blog_ids = [post(server, blog).json()["id"] for _ in range(2)]
    forum_id = post(server, forum).json()["id"]
    assert client.zcard(keys.queue_pending("blog")) == 2
    assert client.zcard(keys.queue_pending("forum")) == 1

    def queue(token: str, **params: str) -> Any:
        return requests.get(
            server.url("/v1/queue"), params=params, headers=bearer(token), timeout=10
        )

    everything = queue(ALL).json()["items"]
    assert {i["id"]: i["site"] for i in everything} == {
        blog_ids[0]: "blog",
        blog_ids[1]: "blog",
        forum_id: "forum",
    }
    assert [i["id"] for i in queue(ALL, site="blog").json()["items"]] == blog_ids
    # paging a merged listing: one at a time, nothing missed or repeated
    seen, cursor = [], None
    while True:
        page = queue(ALL, limit="1", **({"cursor": cursor} if cursor else {})).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([*blog_ids, forum_id])
    # fred sees the forum only, and nothing of the blog, not even that it exists
    assert [i["id"] for i in queue(FORUM_ONLY).json()["items"]] == [forum_id]
    assert queue(FORUM_ONLY, site="blog").status_code == 404
    for path in (f"/v1/queue/{blog_ids[0]}", f"/v1/queue/{blog_ids[0]}/decision"):
        method = "post" if path.endswith("decision") else "get"
        answer = requests.request(
            method,
            server.url(path),
            json={"decision": "approve"},
            headers=bearer(FORUM_ONLY),
            timeout=10,
        )
        assert answer.status_code == 404, answer.text
    claimed = requests.post(
        server.url("/v1/queue/claim"), json={"limit": 10}, headers=bearer(FORUM_ONLY), timeout=10
    ).json()
    assert [i["id"] for i in claimed["items"]] == [forum_id]

    decided = requests.post(
        server.url(f"/v1/queue/{blog_ids[0]}/decision"),
        json={"decision": "approve"},
        headers=bearer(ALL),
        timeout=10,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["event"] == "decided"
    blog_feed = requests.get(server.url("/v1/decisions"), headers=bearer(blog), timeout=10)
    forum_feed = requests.get(server.url("/v1/decisions"), headers=bearer(forum), timeout=10)
    assert [i["id"] for i in blog_feed.json()["items"]] == [blog_ids[0]]
    assert forum_feed.json()["items"] == []

    def stats(token: str, **params: str) -> Any:
        return requests.get(
            server.url("/v1/queue/stats"), params=params, headers=bearer(token), timeout=10
        ).json()

    assert stats(ALL)["depth"] == 2 and stats(ALL)["decided_last_hour"] == 1
    assert stats(ALL, site="blog")["depth"] == 1
    assert stats(ALL)["sites"]["forum"]["depth"] == 1
    fred = stats(FORUM_ONLY)
    assert fred["depth"] == 1 and set(fred["sites"]) == {"forum"}
    audit = requests.get(server.url("/v1/queue/audit"), headers=bearer(FORUM_ONLY), timeout=10)
    assert audit.json()["items"] == []


def test_feedback_on_pending_approved_and_rejected_comments(
    server: GunicornServer, client: redis.Redis
) -> None:
    key = SiteRegistry(client).add("blog")
    pending = post(server, key, {"external_id": "c-1", "thread": "/t/1"}).json()["id"]
    approved = seed_comment(
        client, "An automatically approved comment", namespace="blog", status=CommentStatus.APPROVED
    )
    rejected = seed_comment(
        client, "An automatically rejected comment", namespace="blog", status=CommentStatus.REJECTED
    )

    answer = feedback(server, key, pending, "spam")
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"decided_at": None} == {
        "id": pending,
        "label": "spam",
        "status": "rejected",
        "previous_status": "pending",
        "decided_at": None,
        "event": "corrected",
    }
    assert client.zscore(keys.queue_pending("blog"), pending) is None
    assert feedback(server, key, approved, "toxic").json()["status"] == "rejected"
    assert feedback(server, key, rejected, "ham").json()["status"] == "approved"
    view = requests.get(server.url(f"/v1/comments/{rejected}"), headers=bearer(key), timeout=10)
    assert view.json()["status"] == "approved"

    feed = requests.get(server.url("/v1/decisions"), headers=bearer(key), timeout=10).json()
    assert [(i["id"], i["status"], i["event"]) for i in feed["items"]] == [
        (pending, "rejected", "corrected"),
        (approved, "rejected", "corrected"),
        (rejected, "approved", "corrected"),
    ]
    assert feed["items"][0]["external_id"] == "c-1" and feed["items"][0]["thread"] == "/t/1"
    entries = client.xrange(keys.decisions("blog"))
    assert {fields["by"] for _, fields in entries} == {"site:blog"}
    labels = [fields for _, fields in client.xrange(keys.labels("blog"))]
    assert [(lab["id"], lab["spam"], lab["toxic"]) for lab in labels] == [
        (pending, "1", ""),
        (approved, "", "1"),
        (rejected, "0", "0"),
    ]
    assert {lab["source"] for lab in labels} == {"moderator"}
    audit = requests.get(
        server.url("/v1/queue/audit"), params={"site": "blog"}, headers=bearer(ALL), timeout=10
    ).json()["items"]
    assert [(a["action"], a["site"], a["id"], a["from"], a["to"]) for a in audit] == [
        ("feedback", "blog", rejected, "rejected", "approved"),
        ("feedback", "blog", approved, "approved", "rejected"),
        ("feedback", "blog", pending, "pending", "rejected"),
    ]

    bad = feedback(server, key, pending, "great")
    assert bad.status_code == 422 and "label" in bad.json()["error"]["fields"]
    assert feedback(server, key, "0" * 26, "spam").status_code == 404


def test_a_moderator_corrects_an_automatic_decision(
    server: GunicornServer, client: redis.Redis
) -> None:
    time.sleep(REMEMBERED)  # no site now (the feed below is read without a key)
    rejected = seed_comment(
        client, "A fine comment the model rejected", status=CommentStatus.REJECTED
    )
    url = server.url(f"/v1/queue/{rejected}/decision")
    plain = requests.post(url, json={"decision": "approve"}, headers=bearer(ALL), timeout=10)
    assert plain.status_code == 409
    corrected = requests.post(
        url, json={"decision": "approve", "correct": True}, headers=bearer(ALL), timeout=10
    )
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert (body["status"], body["event"], body["previous_status"]) == (
        "approved",
        "corrected",
        "rejected",
    )
    again = requests.post(
        url,
        json={"decision": "reject", "reason": "spam", "correct": True},
        headers=bearer(ALL),
        timeout=10,
    )
    assert again.json()["previous_status"] == "approved"
    feed = requests.get(server.url("/v1/decisions"), timeout=10).json()["items"]
    assert [(i["status"], i["event"]) for i in feed] == [
        ("approved", "corrected"),
        ("rejected", "corrected"),
    ]
    labels = [fields for _, fields in client.xrange(keys.labels())]
    assert [(lab["spam"], lab["toxic"], lab["decided_by"]) for lab in labels] == [
        ("0", "0", "alice"),
        ("1", "", "alice"),
    ]


def test_serve_refuses_a_network_address_without_a_site(
    tmp_path: Path, client: redis.Redis, sites_redis: RedisServer
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
    env.update(
        {
            "MODQ_REDIS_URL": sites_redis.url,
            "MODQ_DATA_DIR": str(tmp_path),
            "MODQ_HOST": "0.0.0.0",
            "MODQ_PORT": str(free_port()),
        }
    )
    refused = subprocess.run(
        [sys.executable, "-m", "service.cli.main", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "no site configured" in refused.stderr and "modq sites add" in refused.stderr


def test_the_openapi_document_describes_site_keys_and_feedback(
    server: GunicornServer, client: redis.Redis
) -> None:
    spec = requests.get(server.url("/openapi.json"), timeout=10).json()
    assert spec["components"]["securitySchemes"]["siteKey"]["scheme"] == "bearer"
    feedback_op = spec["paths"]["/v1/comments/{comment_id}/feedback"]["post"]
    assert set(feedback_op["responses"]) == {"200", "400", "401", "404", "413", "415", "422", "503"}
    assert feedback_op["security"] == [{"siteKey": []}, {}]
    for path, method in (
        ("/v1/comments", "post"),
        ("/v1/comments/{comment_id}", "get"),
        ("/v1/score", "post"),
        ("/v1/decisions", "get"),
    ):
        operation = spec["paths"][path][method]
        assert "401" in operation["responses"] and operation["security"][0] == {"siteKey": []}
    decision = spec["components"]["schemas"]["DecisionRequest"]["properties"]
    assert "correct" in decision
    assert "event" in spec["components"]["schemas"]["FeedItem"]["properties"]
