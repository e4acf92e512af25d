"""Fixtures shared by every test: a private redis-server (or a private Redis Cluster),
never the machine's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.runtime.redis_server import RedisServer
from tests.redis_cluster import LocalRedisCluster


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server started for this test session, with the append-only file on."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A client of the private server, emptied before each test (it is ours alone)."""
    if redis_server.process is None:  # a test stopped it and did not restart it
        redis_server.start()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, for tests that kill or restart it."""
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedisCluster]:
    """A Redis Cluster (3 masters, 1 replica each) of private redis-server processes,
    started once for the test session (about 3 s) and stopped at its end."""
    cluster = LocalRedisCluster(tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def cluster_client(redis_cluster: LocalRedisCluster) -> Iterator[redis.Redis]:
    """modq's own client of the private cluster (RedisCluster), emptied before each test."""
    redis_cluster.wait_healthy()  # a test may have killed a master and restarted it
    redis_cluster.flush()
    from service.store.connections import create_redis_client

    # a long socket timeout: the tests' WAITs may take seconds on a loaded machine
    client = create_redis_client(redis_cluster.url, 15_000, cluster=True)
    yield client
    client.close()
