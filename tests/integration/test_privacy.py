"""Erasure, export and retention of a commenter's data, against a real private Redis."""

from __future__ import annotations

import json
import time
from typing import Any

import redis
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.cli.privacy import privacy_group
from service.domain import CommentStatus
from service.http.app import create_app
from service.integrations.akismet import lookup_digest
from service.moderation.model_holder import ModelHolder
from service.privacy import sweep_retention
from service.settings import Settings
from service.sites import SiteRegistry
from service.store import keys
from service.store.comments import email_hash
from tests.fake_model import FakeModel
from tests.integration.queue_support import seed_comment
from tests.integration.test_queue_api import ALICE, HOLD, auth, make_app

ADA = {
    "name": "Ada",
    "email": "Ada@Example.org",
    "url": "https://ada.example.org",
    "ip": "203.0.113.9",
    "user_agent": "Firefox",
}


def _post(http: FlaskClient, text: str, **fields: Any) -> str:
    body = {"name": "Bob", "email": "bob@example.net", "text": text, **fields}
    response = http.post("/v1/comments", json=body)
    assert response.status_code == 201, response.json
    return str(response.json["id"])  # type: ignore[index]


def _privacy(client: redis.Redis, *args: str) -> Any:
    result = CliRunner().invoke(privacy_group, list(args), obj={"redis": client})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_erase_by_email_removes_personal_fields_everywhere(redis_client: redis.Redis) -> None:
    http = make_app(redis_client).test_client()
    approved, rejected, pending = (_post(http, f"Ada's comment {i}", **ADA) for i in range(3))
    bob = _post(http, "Bob's comment", url="https://bob.example.net")
    for cid, body in (
        (approved, {"decision": "approve"}),
        (rejected, {"decision": "reject", "reason": "spam"}),
    ):
        assert (
            http.post(f"/v1/queue/{cid}/decision", json=body, headers=auth(ALICE)).status_code
            == 200
        )

    held = _privacy(redis_client, "export", "--email", "ada@example.org")
    assert sorted(c["id"] for c in held["comments"]) == sorted([approved, rejected, pending])
    assert {c["ip"] for c in held["comments"]} == {"127.0.0.1"}  # no site: the request's
    assert len(held["labels"]) == 2 and len(held["audit"]) == 2 and len(held["decisions"]) == 2
    # labels never held more than training needs: the e-mail's domain, no IP or user agent
    assert {label["email"] for label in held["labels"]} == {"@example.org"}
    assert not any("ip" in label or "user_agent" in label for label in held["labels"])

    report = _privacy(redis_client, "erase", "--email", "ADA@example.org")
    assert report["comments"] == 3 and report["texts_erased"] == 1
    assert report["labels_scrubbed"] == 1 and report["labels_deleted"] == 1

    personal = ("name", "email", "ip", "user_agent", "url")
    for cid in (approved, rejected, pending):
        stored = redis_client.hgetall(keys.comment(cid))
        assert not set(personal) & set(stored), stored
        assert "erased_at" in stored
    assert redis_client.hget(keys.comment(approved), "text") == "Ada's comment 0"  # published
    assert redis_client.hget(keys.comment(rejected), "text") is None
    assert redis_client.zscore(keys.queue_pending(), pending) is not None  # still to decide
    labels = [fields for _, fields in redis_client.xrange(keys.labels())]
    assert len(labels) == 1 and labels[0]["id"] == approved
    assert labels[0]["name"] == labels[0]["email"] == labels[0]["url"] == ""
    assert labels[0]["text"] == "Ada's comment 0"
    assert redis_client.hget(keys.comment(bob), "url") == "https://bob.example.net"
    assert _privacy(redis_client, "export", "--email", "ada@example.org")["comments"] == []
    # the commenter's history index (named by a hash of the address) is gone; Bob's stays
    assert not redis_client.exists(keys.commenter(email_hash("ada@example.org")))
    assert redis_client.zscore(keys.commenter(email_hash("bob@example.net")), bob) is not None


def test_erase_deletes_the_akismet_lookup_of_a_relayed_comment(
    redis_client: redis.Redis,
) -> None:
    http = make_app(redis_client).test_client()
    form = {
        "api_key": "any",
        "user_ip": "203.0.113.9",
        "comment_author": "Ada",
        "comment_author_email": "ada@example.org",
        "comment_content": "A relayed remark",
    }
    answer = http.post("/1.1/comment-check", data=form)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    guid = answer.headers["X-akismet-guid"]
    digest = lookup_digest("Ada", "A relayed remark", "203.0.113.9")
    assert redis_client.get(keys.akismet_lookup(digest)) == guid

    report = _privacy(redis_client, "erase", "--email", "ada@example.org")

    assert report["ids"] == [f"default/{guid}"]
    assert not redis_client.exists(keys.akismet_lookup(digest))
    assert redis_client.hget(keys.comment(guid), "akismet_lookup") is None
    # submit-ham with the same author, text and IP no longer finds the erased comment
    ham = http.post("/1.1/submit-ham", data=form)
    assert ham.status_code == 200
    assert redis_client.hget(keys.comment(guid), "decided_by") is None


def test_erase_by_ip(redis_client: redis.Redis) -> None:
    http = make_app(redis_client).test_client()
    cid = _post(http, "hello", **ADA)
    report = _privacy(redis_client, "erase", "--ip", "127.0.0.1")
    assert report["ids"] == [f"default/{cid}"]
    assert redis_client.hget(keys.comment(cid), "ip") is None


def test_a_site_erases_its_commenter_by_its_own_author_id(redis_client: redis.Redis) -> None:
    registry = SiteRegistry(redis_client)
    blog, forum = registry.add("blog"), registry.add("forum")
    settings = Settings(thresholds=HOLD, secret_key="s" * 64, secret_key_generated=False)
    app = create_app(settings, models=ModelHolder(FakeModel()), redis_client=redis_client)  # type: ignore[arg-type]
    http = app.test_client()

    def post(key: str) -> str:
        body = {**ADA, "text": "hi", "external_author": "user-42"}
        answer = http.post("/v1/comments", json=body, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 201, answer.json
        return str(answer.json["id"])  # type: ignore[index]

    on_blog, on_forum = post(blog), post(forum)
    assert http.post("/v1/privacy/erase", json={"external_author": "user-42"}).status_code == 401
    answer = http.post(
        "/v1/privacy/erase",
        json={"external_author": "user-42"},
        headers={"Authorization": f"Bearer {blog}"},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["ids"] == [f"blog/{on_blog}"]  # type: ignore[index]
    assert redis_client.hget(keys.comment(on_blog, "blog"), "email") is None
    assert redis_client.hget(keys.comment(on_forum, "forum"), "email") == "Ada@Example.org"
    both = http.post(
        "/v1/privacy/erase",
        json={"email": "a@example.org", "ip": "203.0.113.9"},
        headers={"Authorization": f"Bearer {blog}"},
    )
    assert both.status_code == 422


def test_retention_strips_old_decided_comments(redis_client: redis.Redis) -> None:
    now = time.time()
    old = now - 91 * 86400
    old_decided = seed_comment(redis_client, "old", created_at=old, status=CommentStatus.APPROVED)
    old_pending = seed_comment(redis_client, "waiting", created_at=old)
    recent = seed_comment(
        redis_client, "new", created_at=now - 86400, status=CommentStatus.REJECTED
    )
    for cid in (old_decided, old_pending, recent):
        redis_client.hset(keys.comment(cid), mapping={"ip": "203.0.113.1", "user_agent": "UA"})
    report = sweep_retention(redis_client, 90, now=now)
    assert report.stripped == 1
    assert redis_client.hmget(keys.comment(old_decided), "ip", "user_agent", "email") == [None] * 3
    assert redis_client.hget(keys.comment(old_decided), "text") == "old"
    assert redis_client.hget(keys.comment(old_pending), "ip") == "203.0.113.1"
    assert redis_client.hget(keys.comment(recent), "ip") == "203.0.113.1"
