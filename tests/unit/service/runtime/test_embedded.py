"""The embedded Redis: started under the data directory, reused, stopped by its starter."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from service.runtime.embedded import (
    ensure_embedded_redis,
    redis_client_for_cli,
    running_embedded_url,
)
from service.runtime.redis_server import RedisServer
from service.settings import Settings


@pytest.fixture
def redis_server_url(redis_server: RedisServer) -> str:
    if redis_server.process is None:
        redis_server.start()
    redis.Redis.from_url(redis_server.url).ping()
    return redis_server.url


def test_started_once_then_reused_then_stopped(tmp_path: Path) -> None:
    directory = tmp_path / "redis"
    first = ensure_embedded_redis(directory)
    try:
        assert first.started_here
        assert (directory / "appendonlydir").exists() or (directory / "appendonly.aof").exists()
        second = ensure_embedded_redis(directory)
        assert not second.started_here and second.url == first.url
        second.stop()  # not its server: nothing happens
        assert running_embedded_url(directory) == first.url
    finally:
        first.stop()
    assert running_embedded_url(directory) is None


def test_cli_client_uses_the_embedded_redis_and_stops_what_it_started(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with redis_client_for_cli(settings) as client:
        client.set("modq:test", "1")
        url = running_embedded_url(settings.redis_dir)
        assert url is not None
    assert running_embedded_url(settings.redis_dir) is None
    with redis_client_for_cli(settings) as client:  # the append-only file kept the write
        assert client.get("modq:test") == "1"


def test_cli_client_prefers_modq_redis_url(redis_server_url: str, tmp_path: Path) -> None:
    settings = Settings(redis_url=redis_server_url, data_dir=tmp_path)
    with redis_client_for_cli(settings) as client:
        assert client.ping()
    assert not (tmp_path / "redis").exists()
