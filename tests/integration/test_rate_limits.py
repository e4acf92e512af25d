"""Rate limits against a real gunicorn: per commenter address, on failed moderator auth.

Each test speaks for its own addresses (X-Forwarded-For from a trusted 127.0.0.1), so
the module's one server keeps the counts of one test away from the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from service.http.app import create_app
from service.moderation.model_holder import ModelHolder
from service.runtime.redis_server import RedisServer
from service.settings import Settings
from service.sites import SiteRegistry
from tests.fake_model import FakeModel
from tests.integration.conftest import APPROVE_ALL, _serve
from tests.integration.gunicorn_support import GunicornServer

TOKEN = "alice-token-0123456789"
LIMITS = {
    "MODQ_RATE_LIMIT": "5/minute;50/hour",
    "MODQ_AUTH_RATE_LIMIT": "3/minute",
    "MODQ_TRUSTED_PROXIES": "127.0.0.1/32",
    "MODQ_MODERATOR_TOKENS": f"alice:{TOKEN}",
}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn approving everything, with low limits."""
    yield from _serve(tmp_path_factory, redis_server, {**APPROVE_ALL, **LIMITS})


def _post(server: GunicornServer, address: str, **fields: Any) -> requests.Response:
    return server.post_comment(fields, headers={"X-Forwarded-For": address})


def _stored(client: redis.Redis) -> int:
    return sum(1 for _ in client.scan_iter("modq:{default}:comment:0*"))


def test_a_commenter_over_the_limit_gets_429_and_nothing_is_stored(
    server: GunicornServer, redis_server: RedisServer
) -> None:
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    for _ in range(5):
        assert _post(server, "203.0.113.1").status_code == 201
    before = _stored(client)
    limited = _post(server, "203.0.113.1")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert _stored(client) == before  # neither stored (nor scored: it stopped before)
    assert _post(server, "203.0.113.2").status_code == 201  # another address is not limited
    client.close()


def test_a_relayed_ip_is_not_believed_without_a_site(server: GunicornServer) -> None:
    statuses = [_post(server, "203.0.113.3", ip=f"198.51.100.{i}").status_code for i in range(7)]
    assert statuses == [201] * 5 + [429] * 2


def test_the_score_endpoint_counts_against_the_same_limit(server: GunicornServer) -> None:
    for _ in range(5):
        assert _post(server, "203.0.113.4").status_code == 201
    response = requests.post(
        server.url("/v1/score"),
        json={"comments": [{"text": "hello"}]},
        headers={"X-Forwarded-For": "203.0.113.4"},
        timeout=10,
    )
    assert response.status_code == 429


def test_bad_tokens_are_limited_then_even_a_good_one(server: GunicornServer) -> None:
    def stats(token: str, address: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}", "X-Forwarded-For": address}
        return requests.get(server.url("/v1/queue/stats"), headers=headers, timeout=10)

    assert stats(TOKEN, "203.0.113.5").status_code == 200  # good ones do not count
    assert [stats("wrong-token-000000000", "203.0.113.5").status_code for _ in range(3)] == [
        401
    ] * 3
    over = stats(TOKEN, "203.0.113.5")
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited"
    assert int(over.headers["Retry-After"]) >= 1
    assert stats(TOKEN, "203.0.113.6").status_code == 200


def test_failed_sign_ins_share_the_limit(server: GunicornServer) -> None:
    session = requests.Session()
    session.headers["X-Forwarded-For"] = "203.0.113.7"
    page = session.get(server.url("/moderate"), timeout=10).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    form = {"token": "wrong-token-000000000", "csrf_token": match.group(1)}
    codes = [
        session.post(server.url("/moderate/login"), data=form, timeout=10, allow_redirects=False)
        for _ in range(4)
    ]
    assert [c.status_code for c in codes] == [401, 401, 401, 429]
    assert "Retry-After" in codes[-1].headers


def test_the_limiter_fails_open_when_redis_is_down(own_redis: RedisServer) -> None:
    settings = Settings(redis_url=own_redis.url, rate_limit="1/minute", secret_key="s" * 64)
    app = create_app(settings, models=ModelHolder(FakeModel()))  # type: ignore[arg-type]
    http = app.test_client()
    comment = {"name": "Ada", "email": "ada@example.org", "text": "Fine."}
    assert http.post("/v1/comments", json=comment).status_code == 201
    assert http.post("/v1/comments", json=comment).status_code == 429
    own_redis.kill()
    down = http.post("/v1/comments", json=comment)
    assert down.status_code == 503  # from the store: the limiter let it through
    assert "Retry-After" in down.headers


def test_a_site_is_limited_per_key_and_its_relayed_ip_per_commenter(
    own_redis: RedisServer,
) -> None:
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    key = SiteRegistry(client).add("blog")
    settings = Settings(
        redis_url=own_redis.url,
        rate_limit="3/minute",
        site_rate_limit="6/minute",
        secret_key="s" * 64,
    )
    app = create_app(settings, models=ModelHolder(FakeModel()))  # type: ignore[arg-type]
    http = app.test_client()

    def post(ip: str | None) -> int:
        body = {"name": "Ada", "email": "ada@example.org", "text": "Fine.", "ip": ip}
        answer = http.post("/v1/comments", json=body, headers={"Authorization": f"Bearer {key}"})
        return answer.status_code

    # the relayed address is the commenter's: A is limited, B and C are not
    assert [post("198.51.100.1") for _ in range(4)] == [201, 201, 201, 429]
    assert [post("198.51.100.2"), post("198.51.100.3")] == [201, 201]
    # the site's own limit: 6 requests a minute, whoever the commenters
    assert post("198.51.100.4") == 429
    client.close()
