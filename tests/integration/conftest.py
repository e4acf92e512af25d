"""Integration fixtures: real gunicorn processes against a private redis-server.

One gunicorn per configuration, shared by the whole session, to keep
the suite quick. Thresholds set through MODQ_* force each decision whatever the
model scores: review=reject=1 approves, review=0 reject=1 holds, 0/0 rejects.

On a Redis Cluster too: a test that takes ``redis_target`` (or
``target_holding_server`` / ``target_approving_server``) runs once against the
private redis-server and once against a private Redis Cluster of 3 masters with
a replica each (``tests/redis_cluster.py``, started once per test run).
``redis_target.serve(tmp_path_factory, env)`` starts a gunicorn on it with other
settings, ``redis_target.client()`` reads what it stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import redis

from service.runtime.redis_server import RedisServer
from tests.integration.gunicorn_support import GunicornServer
from tests.redis_cluster import LocalRedisCluster

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


@dataclass(frozen=True)
class RedisTarget:
    """What a gunicorn of the tests stores into: the private redis-server or the private
    Redis Cluster, with the MODQ_* settings that select it."""

    name: str
    url: str
    env: dict[str, str] = field(default_factory=dict)
    cluster: LocalRedisCluster | None = None

    def client(self) -> redis.Redis:
        """modq's own kind of client for it (RedisCluster for the cluster)."""
        from service.store.connections import create_redis_client

        return create_redis_client(self.url, 15_000, cluster=self.cluster is not None)

    def serve(
        self, tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]
    ) -> GunicornServer:
        """A started gunicorn against this target (the caller stops it)."""
        server = GunicornServer(tmp_path_factory.mktemp("gunicorn"), self.url, {**self.env, **env})
        server.start()
        return server


# WAIT returns as soon as a replica has the writes; a long timeout only keeps a loaded
# machine from turning a slow acknowledgement into a 503.
CLUSTER_ENV = {
    "MODQ_REDIS_CLUSTER": "true",
    "MODQ_REDIS_WAIT_TIMEOUT_MS": "10000",
    "MODQ_REDIS_TIMEOUT_MS": "15000",
}


@pytest.fixture(scope="session", params=["redis", "cluster"])
def redis_target(request: pytest.FixtureRequest, redis_server: RedisServer) -> RedisTarget:
    """Each test that takes it runs twice: against the private redis-server, then against
    the private Redis Cluster (3 masters, 1 replica each; started on first use).

    A test written for the cluster too takes ``redis_target`` (or ``target_holding_server``
    / ``target_approving_server``) instead of ``redis_server`` and reads the store through
    ``redis_target.client()``.
    """
    if request.param == "cluster":
        cluster: LocalRedisCluster = request.getfixturevalue("redis_cluster")
        return RedisTarget("cluster", cluster.url, CLUSTER_ENV, cluster)
    if redis_server.process is None:  # a test stopped the session's server
        redis_server.start()
    return RedisTarget("redis", redis_server.url)


@pytest.fixture(scope="session")
def target_holding_server(
    tmp_path_factory: pytest.TempPathFactory, redis_target: RedisTarget
) -> Iterator[GunicornServer]:
    """gunicorn holding every comment for review, on each ``redis_target``."""
    server = redis_target.serve(tmp_path_factory, HOLD_ALL)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def target_approving_server(
    tmp_path_factory: pytest.TempPathFactory, redis_target: RedisTarget
) -> Iterator[GunicornServer]:
    """gunicorn approving every comment the rules let through, on each ``redis_target``."""
    server = redis_target.serve(tmp_path_factory, APPROVE_ALL)
    yield server
    server.stop()
