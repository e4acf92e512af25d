"""The Akismet-compatible API over the Flask app and a real Redis (protocol details).

The fake model decides: "viagra" is spam past the reject threshold (rejected: true +
discard), "deal" is held for review (true), anything else is approved (false).
tests/integration/test_akismet_clients.py drives the real client libraries.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from service.http.app import create_app
from service.integrations.akismet import lookup_digest, usage_month
from service.moderation.model_holder import ModelHolder
from service.settings import Settings
from service.sites import SiteRegistry
from service.store import keys
from tests.fake_model import FakeModel

BLOG = "https://blog.example"


def make_app(client: redis.Redis) -> Flask:
    settings = Settings(secret_key="s" * 64, secret_key_generated=False)
    return create_app(settings, models=ModelHolder(FakeModel()), redis_client=client)  # type: ignore[arg-type]


@pytest.fixture
def http(redis_client: redis.Redis, request: pytest.FixtureRequest) -> FlaskClient:
    # The sites first: a worker remembers for a second that there were none.
    if "sites" in request.fixturenames:
        request.getfixturevalue("sites")
    return make_app(redis_client).test_client()


@pytest.fixture
def sites(redis_client: redis.Redis) -> Iterator[dict[str, str]]:
    registry = SiteRegistry(redis_client)
    names = ("blog-a", "blog-b")
    yield {name: registry.add(name, url=f"https://{name}.example") for name in names}
    # The session's Redis is shared with the session's gunicorn servers: a site left
    # there would make their website endpoints ask for keys.
    for name in names:
        registry.remove(name)


def comment(**fields: Any) -> dict[str, Any]:
    return {
        "blog": BLOG,
        "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "comment_type": "comment",
        "comment_author": "Ada",
        "comment_author_email": "ada@example.com",
        "comment_content": "A thoughtful remark about the article.",
        "permalink": "https://blog.example/2026/12/hello",
        **fields,
    }


def check(http: FlaskClient, key: str | None = None, host: str = "localhost", **fields: Any) -> Any:
    data = comment(**fields)
    if key is not None:
        data["api_key"] = key
    return http.post("/1.1/comment-check", data=data, headers={"Host": host})


def stored(client: redis.Redis, response: Any, namespace: str) -> dict[str, str]:
    guid = response.headers["X-akismet-guid"]
    record: dict[str, str] = client.hgetall(keys.comment(guid, namespace))  # type: ignore[assignment]
    return record


def test_comment_check_answers_and_stores_each_status(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    key = sites["blog-a"]
    approved = check(http, key)
    held = check(http, key, comment_content="A great deal for readers")
    rejected = check(http, key, comment_content="cheap viagra here")
    assert [r.get_data(as_text=True) for r in (approved, held, rejected)] == [
        "false",
        "true",
        "true",
    ]
    assert [r.status_code for r in (approved, held, rejected)] == [200, 200, 200]
    assert "X-akismet-pro-tip" not in approved.headers
    assert "X-akismet-pro-tip" not in held.headers
    assert rejected.headers["X-akismet-pro-tip"] == "discard"
    record = stored(redis_client, held, "blog-a")
    assert record["status"] == "pending"
    assert record["name"] == "Ada" and record["email"] == "ada@example.com"
    assert record["permalink"] == record["thread"] == "https://blog.example/2026/12/hello"
    assert record["ip"] == "203.0.113.7" and record["comment_type"] == "comment"
    assert record["source"] == "akismet"
    pending = redis_client.zrange(keys.queue_pending("blog-a"), 0, -1)
    assert pending == [held.headers["X-akismet-guid"]]
    assert stored(redis_client, rejected, "blog-a")["status"] == "rejected"


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("api_key", "false"),
        ("key", "false"),
        ("host", "false"),
        ("none", "invalid"),
        ("wrong", "invalid"),
        ("rest-host", "invalid"),
        ("ip-host", "invalid"),
    ],
)
def test_the_key_comes_from_the_body_or_the_hosts_first_label(
    http: FlaskClient, sites: dict[str, str], how: str, expected: str
) -> None:
    key = sites["blog-a"]
    data = comment()
    host = "localhost"
    if how in ("api_key", "key"):
        data[how] = key
    elif how == "host":
        host = f"{key}.modq.example:8000"
    elif how == "wrong":
        data["api_key"] = "0" * 40
    elif how == "rest-host":
        host = "rest.akismet.com"  # WordPress keeps this Host: "rest" is not a key
    elif how == "ip-host":
        host = "127.0.0.1:8000"
    response = http.post("/1.1/comment-check", data=data, headers={"Host": host})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == expected
    if expected == "invalid":
        assert response.headers["X-akismet-debug-help"]
        assert "X-akismet-guid" not in response.headers


def test_each_site_stores_in_its_own_namespace(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    a = check(http, sites["blog-a"], comment_content="A deal for blog a")
    b = check(http, sites["blog-b"], comment_content="A deal for blog b")
    assert redis_client.zrange(keys.queue_pending("blog-a"), 0, -1) == [a.headers["X-akismet-guid"]]
    assert redis_client.zrange(keys.queue_pending("blog-b"), 0, -1) == [b.headers["X-akismet-guid"]]
    assert not redis_client.exists(keys.comment(a.headers["X-akismet-guid"], "blog-b"))


def test_is_test_scores_but_stores_nothing(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    before = set(redis_client.keys("modq:{blog-a}:*"))
    response = check(http, sites["blog-a"], comment_content="cheap viagra", is_test="1")
    assert response.get_data(as_text=True) == "true"
    assert response.headers["X-akismet-pro-tip"] == "discard"
    assert response.headers["X-akismet-guid"]
    assert set(redis_client.keys("modq:{blog-a}:*")) == before


def test_an_administrator_is_never_spam(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    response = check(http, sites["blog-a"], comment_content="viagra", user_role="administrator")
    assert response.get_data(as_text=True) == "false"
    record = stored(redis_client, response, "blog-a")
    assert record["status"] == "approved"
    assert '"trusted_role"' in record["reasons"]


def test_a_filled_honeypot_rejects(http: FlaskClient, sites: dict[str, str]) -> None:
    fields = {"honeypot_field_name": "hp_url", "hp_url": "http://bot.example"}
    filled = check(http, sites["blog-a"], **fields)
    empty = check(http, sites["blog-a"], **{**fields, "hp_url": ""})
    assert filled.headers.get("X-akismet-pro-tip") == "discard"
    assert empty.get_data(as_text=True) == "false"


def test_a_comment_without_name_or_usable_email_is_stored_without_them(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    response = check(
        http,
        sites["blog-a"],
        comment_author="",
        comment_author_email="not an address",
        comment_author_url="javascript:alert(1)",
    )
    assert response.get_data(as_text=True) == "false"
    record = stored(redis_client, response, "blog-a")
    assert "name" not in record and "email" not in record and "url" not in record
    assert record["text"] == "A thoughtful remark about the article."


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"user_ip": ""}, "user_ip"),
        ({"user_ip": "not-an-ip"}, "user_ip"),
        ({"comment_content": ""}, "comment_content"),
    ],
)
def test_bad_fields_are_4xx_named_as_akismet_names_them(
    http: FlaskClient, sites: dict[str, str], fields: dict[str, str], bad: str
) -> None:
    response = check(http, sites["blog-a"], **fields)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_comment"
    assert bad in response.get_json()["error"]["fields"]
    assert bad in response.headers["X-akismet-debug-help"]


def test_verify_key(http: FlaskClient, sites: dict[str, str]) -> None:
    good = http.post("/1.1/verify-key", data={"key": sites["blog-b"], "blog": BLOG})
    bad = http.post("/1.1/verify-key", data={"key": "nope", "blog": BLOG})
    assert good.get_data(as_text=True) == "valid"
    assert bad.get_data(as_text=True) == "invalid" and bad.headers["X-akismet-debug-help"]


def test_usage_limit_counts_this_months_checks(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    check(http, sites["blog-a"])
    check(http, sites["blog-a"])
    check(http, sites["blog-a"], is_test="1")
    check(http, sites["blog-b"])
    got = http.get(f"/1.2/usage-limit?api_key={sites['blog-a']}")
    posted = http.post("/1.2/usage-limit", data={"api_key": sites["blog-a"]})
    assert got.get_json() == {"limit": "none", "usage": 2, "percentage": "0.00", "throttled": False}
    assert posted.get_json() == got.get_json()
    month = usage_month(time.time())
    assert redis_client.get(keys.akismet_usage(month, "blog-b")) == "1"
    assert http.get("/1.2/usage-limit?api_key=wrong").get_data(as_text=True) == "invalid"


def test_open_mode_takes_any_key_while_no_site_exists(
    http: FlaskClient, redis_client: redis.Redis
) -> None:
    response = check(http, "anything")
    assert response.get_data(as_text=True) == "false"
    assert stored(redis_client, response, keys.DEFAULT_NAMESPACE)["status"] == "approved"
    assert http.post("/1.1/verify-key", data={"key": "x"}).get_data(as_text=True) == "valid"
    assert check(http, None).get_data(as_text=True) == "invalid"  # still a key is needed


def test_submit_spam_by_guid_rejects_the_stored_comment(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    key = sites["blog-a"]
    guid = check(http, key).headers["X-akismet-guid"]
    answer = http.post(
        "/1.1/submit-spam", data={**comment(comment_content="edited"), "api_key": key, "guid": guid}
    )
    assert answer.get_data(as_text=True) == "Thanks for making the web a better place."
    assert redis_client.hget(keys.comment(guid, "blog-a"), "status") == "rejected"
    feed: Any = redis_client.xrange(keys.decisions("blog-a"))
    assert [(f["id"], f["status"], f["event"]) for _, f in feed] == [
        (guid, "rejected", "corrected")
    ]
    labels: Any = redis_client.xrange(keys.labels("blog-a"))
    assert [(f["id"], f["spam"]) for _, f in labels] == [(guid, "1")]


def test_submit_ham_by_author_content_and_ip_approves_the_held_comment(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    key = sites["blog-a"]
    guid = check(http, key, comment_content="A deal for you").headers["X-akismet-guid"]
    digest = lookup_digest("Ada", "A deal for you", "203.0.113.7")
    assert redis_client.get(keys.akismet_lookup(digest, "blog-a")) == guid
    assert redis_client.hget(keys.comment(guid, "blog-a"), "akismet_lookup") == digest
    answer = http.post(
        "/1.1/submit-ham", data={**comment(comment_content="A deal for you"), "api_key": key}
    )
    assert answer.get_data(as_text=True) == "Thanks for making the web a better place."
    assert redis_client.hget(keys.comment(guid, "blog-a"), "status") == "approved"
    assert redis_client.zcard(keys.queue_pending("blog-a")) == 0


def test_submit_for_an_unknown_comment_stores_a_label(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    key = sites["blog-b"]
    answer = http.post(
        "/1.1/submit-spam",
        data={**comment(comment_content="never checked here"), "api_key": key},
    )
    assert answer.get_data(as_text=True) == "Thanks for making the web a better place."
    entries: Any = redis_client.xrange(keys.labels("blog-b"))
    labels = [f for _, f in entries]
    assert len(labels) == 1
    assert labels[0]["text"] == "never checked here" and labels[0]["spam"] == "1"
    assert labels[0]["email"] == "@example.com"  # the domain only, as every label
    assert labels[0]["id"] == ""


def test_another_sites_guid_is_not_found(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    guid = check(http, sites["blog-a"]).headers["X-akismet-guid"]
    http.post(
        "/1.1/submit-spam",
        data={**comment(comment_content="other"), "api_key": sites["blog-b"], "guid": guid},
    )
    assert redis_client.hget(keys.comment(guid, "blog-a"), "status") == "approved"


def test_submit_with_a_bad_key_is_invalid(http: FlaskClient, sites: dict[str, str]) -> None:
    answer = http.post("/1.1/submit-ham", data={**comment(), "api_key": "wrong"})
    assert answer.get_data(as_text=True) == "invalid"


def test_a_recheck_answers_from_the_comment_already_stored(
    http: FlaskClient, redis_client: redis.Redis, sites: dict[str, str]
) -> None:
    key = sites["blog-a"]
    guid = check(http, key, comment_content="A deal to recheck").headers["X-akismet-guid"]
    again = check(http, key, comment_content="A deal to recheck", recheck_reason="recheck_queue")
    assert again.get_data(as_text=True) == "true"
    assert again.headers["X-akismet-guid"] == guid
    assert redis_client.zcard(keys.queue_pending("blog-a")) == 1  # no second copy
    http.post(
        "/1.1/submit-ham", data={**comment(comment_content="x"), "api_key": key, "guid": guid}
    )
    after = check(http, key, comment_content="A deal to recheck", recheck_reason="edit")
    assert after.get_data(as_text=True) == "false"
    assert after.headers["X-akismet-guid"] == guid


def test_the_guid_reads_back_through_the_native_api_with_the_site_key(
    http: FlaskClient, sites: dict[str, str]
) -> None:
    guid = check(http, sites["blog-a"], comment_content="A deal").headers["X-akismet-guid"]
    mine = http.get(f"/v1/comments/{guid}", headers={"Authorization": f"Bearer {sites['blog-a']}"})
    other = http.get(f"/v1/comments/{guid}", headers={"Authorization": f"Bearer {sites['blog-b']}"})
    assert mine.status_code == 200 and mine.get_json()["status"] == "pending"
    assert mine.get_json()["thread"] == "https://blog.example/2026/12/hello"
    assert other.status_code == 404
