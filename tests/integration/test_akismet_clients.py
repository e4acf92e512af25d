"""Real Akismet client libraries against modq under gunicorn, with the real model.

- PyPI ``akismet`` (SyncClient): its httpx client gets a transport that sends every
  request to this modq (the Host stays ``rest.akismet.com``, as WordPress keeps it);
  the key travels in the form body (``api_key``, ``key`` on verify-key).
- npm ``akismet-api`` (node, tests/integration/akismet_node): ``host``/``protocol``
  point it here; it sends the key only as the Host's first label (``KEY.localhost``).

Word lists force the decisions whatever the model scores: "viagra" is banned
(rejected: spam, discard), "crypto" is suspect (held: spam), anything else is approved.
Sites live in this module's own Redis (a site makes every website endpoint need a key).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import akismet
import httpx
import pytest
import redis

from service.integrations.akismet import lookup_digest
from service.runtime.redis_server import RedisServer
from service.sites import SiteRegistry
from service.store import keys
from tests.integration.conftest import APPROVE_ALL, WORD_LISTS
from tests.integration.gunicorn_support import GunicornServer

NODE_DIR = Path(__file__).parent / "akismet_node"
BLOG = "https://blog.example"
IP = "198.51.100.23"


@pytest.fixture(scope="module")
def site_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("akismet-redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(site_redis: RedisServer) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(site_redis.url, decode_responses=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def site_keys(client: redis.Redis) -> dict[str, str]:
    registry = SiteRegistry(client)
    return {name: registry.add(name) for name in ("py-blog", "node-blog")}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, site_redis: RedisServer, site_keys: dict[str, str]
) -> Iterator[GunicornServer]:
    gunicorn = GunicornServer(
        tmp_path_factory.mktemp("akismet-gunicorn"), site_redis.url, {**APPROVE_ALL, **WORD_LISTS}
    )
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


class ToModq(httpx.BaseTransport):
    """Sends every request to modq on 127.0.0.1:port, whatever URL the client built."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def status_of(client: redis.Redis, site: str, author: str, content: str) -> str | None:
    """The stored status of the latest comment with this author and content from IP."""
    comment_id = client.get(keys.akismet_lookup(lookup_digest(author, content, IP), site))
    return client.hget(keys.comment(str(comment_id), site), "status") if comment_id else None  # type: ignore[return-value]


def test_pypi_client_checks_and_reports_comments(
    server: GunicornServer, client: redis.Redis, site_keys: dict[str, str]
) -> None:
    config = akismet.Config(key=site_keys["py-blog"], url=BLOG)
    http = httpx.Client(transport=ToModq(server.port))
    with akismet.SyncClient.validated_client(config=config, http_client=http) as checker:
        assert checker.verify_key()

        def check(content: str, **extra: Any) -> akismet.CheckResponse:
            return checker.comment_check(
                IP,
                comment_content=content,
                comment_author="Lin",
                comment_author_email="lin@example.org",
                comment_type="comment",
                permalink="https://blog.example/p/1",
                user_agent="Mozilla/5.0",
                **extra,
            )

        assert check("Thanks, the second chart helped me a lot.") is akismet.CheckResponse.HAM
        assert check("Is crypto a good idea for a pension?") is akismet.CheckResponse.SPAM
        assert check("cheap viagra here") is akismet.CheckResponse.DISCARD
        assert check("viagra", user_role="administrator") is akismet.CheckResponse.HAM
        assert check("viagra for tests", is_test=True) is akismet.CheckResponse.DISCARD
        assert status_of(client, "py-blog", "Lin", "viagra for tests") is None  # not stored
        assert status_of(client, "py-blog", "Lin", "cheap viagra here") == "rejected"

        ham = "Thanks, the second chart helped me a lot."
        held = "Is crypto a good idea for a pension?"
        assert checker.submit_spam(IP, comment_author="Lin", comment_content=ham)
        assert checker.submit_ham(IP, comment_author="Lin", comment_content=held)
        assert status_of(client, "py-blog", "Lin", ham) == "rejected"
        assert status_of(client, "py-blog", "Lin", held) == "approved"
        assert client.zcard(keys.queue_pending("py-blog")) == 0

        usage = checker.usage_limit()
        assert usage["limit"] == "none" and usage["usage"] == 4 and usage["throttled"] is False


def test_pypi_client_with_a_wrong_key(server: GunicornServer, site_keys: dict[str, str]) -> None:
    http = httpx.Client(transport=ToModq(server.port))
    config = akismet.Config(key="f" * 40, url=BLOG)
    wrong = akismet.SyncClient(config=config, http_client=http)
    try:
        assert wrong.verify_key() is False
        with pytest.raises(akismet.APIKeyError):
            wrong.comment_check(IP, comment_content="hello")
        with pytest.raises(akismet.APIKeyError):  # validated_client refuses the key up front
            akismet.SyncClient.validated_client(config=config, http_client=http)
    finally:
        http.close()


@pytest.fixture(scope="module")
def node() -> str:
    """node with the npm akismet-api package installed from the lock file."""
    found = shutil.which("node")
    npm = shutil.which("npm")
    if found is None or npm is None:
        if os.environ.get("CI"):
            pytest.fail("node and npm are needed (.ci/run installs them)")
        pytest.skip("node and npm are not installed (apt-get install nodejs npm)")
    installed = NODE_DIR / "node_modules" / "akismet-api" / "package.json"
    if not installed.exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_DIR,
            check=True,
            timeout=300,
        )
    return found


def run_node(node: str, port: int, key: str, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    plan = json.dumps({"port": port, "key": key, "blog": BLOG, "steps": steps})
    done = subprocess.run(
        [node, "run.js", plan], cwd=NODE_DIR, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)["results"]
    return results


def test_npm_client_checks_and_reports_comments_with_the_key_in_the_host(
    node: str, server: GunicornServer, client: redis.Redis, site_keys: dict[str, str]
) -> None:
    author = "Noor"

    def comment(content: str, **extra: Any) -> dict[str, Any]:
        return {"ip": IP, "name": author, "email": "noor@example.net", "content": content, **extra}

    results = run_node(
        node,
        server.port,
        site_keys["node-blog"],
        [
            {"op": "verifyKey"},
            {"op": "checkSpam", "comment": comment("Lovely photos of the harbour.")},
            {"op": "checkSpam", "comment": comment("Any crypto tips?")},
            {"op": "checkSpam", "comment": comment("viagra deals")},
            {"op": "checkSpam", "comment": comment("viagra", role="administrator")},
            {"op": "checkSpam", "comment": comment("viagra test", isTest=True)},
            {"op": "checkSpam", "comment": comment("hi", honeypot="filled by a bot")},
            {"op": "submitSpam", "comment": comment("Lovely photos of the harbour.")},
            {"op": "submitHam", "comment": comment("Any crypto tips?")},
        ],
    )
    assert results == [
        {"ok": True},
        {"ok": False},
        {"ok": True},
        {"ok": True},
        {"ok": False},
        {"ok": True},
        {"ok": True},
        {"ok": "Thanks for making the web a better place."},
        {"ok": "Thanks for making the web a better place."},
    ]
    assert status_of(client, "node-blog", author, "Lovely photos of the harbour.") == "rejected"
    assert status_of(client, "node-blog", author, "Any crypto tips?") == "approved"
    assert status_of(client, "node-blog", author, "viagra deals") == "rejected"
    assert status_of(client, "node-blog", author, "viagra test") is None
    assert status_of(client, "node-blog", author, "hi") == "rejected"  # the honeypot


def test_npm_client_with_a_wrong_key(
    node: str, server: GunicornServer, site_keys: dict[str, str]
) -> None:
    results = run_node(
        node,
        server.port,
        "0" * 40,
        [{"op": "verifyKey"}, {"op": "checkSpam", "comment": {"ip": IP, "content": "hello"}}],
    )
    assert results == [{"ok": False}, {"error": "Invalid API key"}]
