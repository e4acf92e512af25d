"""Integration fixtures: real gunicorn processes against a private redis-server.

One gunicorn per configuration, shared by the whole session, to keep
the suite quick. Thresholds set through MODQ_* force each decision whatever the
model scores: review=reject=1 approves, review=0 reject=1 holds, 0/0 rejects.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.runtime.redis_server import RedisServer
from tests.integration.gunicorn_support import GunicornServer

APPROVE_ALL = {
    "MODQ_SPAM_REVIEW": "1",
    "MODQ_SPAM_REJECT": "1",
    "MODQ_TOXICITY_REVIEW": "1",
    "MODQ_TOXICITY_REJECT": "1",
}
HOLD_ALL = {**APPROVE_ALL, "MODQ_SPAM_REVIEW": "0"}
# The tests post many comments from 127.0.0.1: Settings.from_env's default limits would
# stop them (GunicornServer sets the same; the rate limit tests set their own).
NO_LIMITS = {"MODQ_RATE_LIMIT": "off", "MODQ_SITE_RATE_LIMIT": "off", "MODQ_AUTH_RATE_LIMIT": "off"}
REJECT_ALL = {**APPROVE_ALL, "MODQ_SPAM_REVIEW": "0", "MODQ_SPAM_REJECT": "0"}


def _serve(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, env: dict[str, str]
) -> Iterator[GunicornServer]:
    if redis_server.process is None:  # a test stopped the session's server
        redis_server.start()
    server = GunicornServer(tmp_path_factory.mktemp("gunicorn"), redis_server.url, env)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def approving_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn whose thresholds approve every comment the rules let through."""
    yield from _serve(tmp_path_factory, redis_server, APPROVE_ALL)


@pytest.fixture(scope="session")
def holding_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn whose thresholds hold every comment for review."""
    yield from _serve(tmp_path_factory, redis_server, HOLD_ALL)


@pytest.fixture(scope="session")
def rejecting_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn whose thresholds reject every comment."""
    yield from _serve(tmp_path_factory, redis_server, REJECT_ALL)


@pytest.fixture(scope="session")
def shadow_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn in shadow mode with thresholds that would hold every comment."""
    yield from _serve(tmp_path_factory, redis_server, {**HOLD_ALL, "MODQ_MODE": "shadow"})


@pytest.fixture(scope="session")
def default_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn with default settings (the model card's thresholds)."""
    yield from _serve(tmp_path_factory, redis_server, {})


WORD_LISTS = {"MODQ_BANNED_WORDS": "viagra, free money", "MODQ_SUSPECT_WORDS": "crypto"}


@pytest.fixture(scope="session")
def word_list_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn that approves what the model scores, with site word lists set."""
    yield from _serve(tmp_path_factory, redis_server, {**APPROVE_ALL, **WORD_LISTS})
