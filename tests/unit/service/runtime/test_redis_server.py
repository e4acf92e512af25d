"""The private/embedded redis-server keeps acknowledged writes across a crash."""

from __future__ import annotations

import redis

from service.runtime.redis_server import RedisServer


def test_write_survives_kill_and_restart(own_redis: RedisServer) -> None:
    client = redis.Redis.from_url(own_redis.url)
    client.set("modq:test", "kept")
    client.close()
    own_redis.kill()
    own_redis.start()
    client = redis.Redis.from_url(own_redis.url)
    assert client.get("modq:test") == b"kept"
    client.close()
