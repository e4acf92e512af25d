"""A worker's one-second memory of the registry: what it remembers, and for how long."""

from __future__ import annotations

import pytest
import redis

from service.sites import SiteRegistry
from service.sites.cache import CachedRegistry


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_keys_and_the_sites_existence_are_remembered_for_the_ttl(
    redis_client: redis.Redis,
) -> None:
    wall, tick = Clock(1_800_000_000.0), Clock(100.0)
    registry = SiteRegistry(redis_client, clock=wall)
    cached = CachedRegistry(registry, ttl=1.0, monotonic=tick)
    assert not cached.any()
    key = registry.add("blog")
    assert not cached.any()  # remembered: no site, for up to a second
    tick.now += 1.01
    assert cached.any()
    assert cached.authenticate(key) is not None
    registry.remove("blog")
    assert cached.authenticate(key) is not None  # remembered
    tick.now += 1.01
    assert cached.authenticate(key) is None
    assert cached.authenticate("0" * 40) is None and cached.authenticate("") is None


def test_a_rotated_keys_grace_ends_on_time_even_when_remembered(
    redis_client: redis.Redis,
) -> None:
    wall, tick = Clock(1_800_000_000.0), Clock(100.0)
    registry = SiteRegistry(redis_client, clock=wall)
    cached = CachedRegistry(registry, ttl=1.0, monotonic=tick)
    old = registry.add("blog")
    registry.rotate("blog", grace_seconds=10)
    assert cached.authenticate(old) is not None
    wall.now += 10
    assert cached.authenticate(old) is None  # the same second, but its grace is over


def test_while_redis_is_away_the_last_answers_stand(redis_client: redis.Redis) -> None:
    tick = Clock(100.0)
    registry = SiteRegistry(redis_client)
    key = registry.add("blog")
    cached = CachedRegistry(registry, ttl=1.0, monotonic=tick)
    cached.prime()
    assert cached.any() and cached.authenticate(key) is not None
    away = CachedRegistry(
        SiteRegistry(redis.Redis(port=1, socket_connect_timeout=0.2)), ttl=1.0, monotonic=tick
    )
    away.prime()  # nothing learned, nothing raised
    with pytest.raises(redis.RedisError):  # an answer never learned is not made up
        away.any()
    cached.registry = away.registry  # Redis goes away after answering
    tick.now += 5
    assert cached.any() and cached.authenticate(key) is not None
    with pytest.raises(redis.RedisError):  # a key never seen cannot be checked
        cached.authenticate("0" * 40)


def test_a_failed_refresh_is_counted_and_not_retried_for_the_ttl(
    redis_client: redis.Redis,
) -> None:
    tick = Clock(100.0)
    registry = SiteRegistry(redis_client)
    key = registry.add("blog")
    cached = CachedRegistry(registry, ttl=1.0, monotonic=tick)
    assert cached.any() and cached.authenticate(key) is not None
    cached.registry = SiteRegistry(redis.Redis(port=1, socket_connect_timeout=0.2))
    tick.now += 5
    assert cached.any() and cached.authenticate(key) is not None
    assert cached.fallbacks == 2 and isinstance(cached.last_error, redis.RedisError)
    tick.now += 0.5  # within the ttl of the fallback: Redis is not asked again
    assert cached.any() and cached.authenticate(key) is not None
    assert cached.fallbacks == 2
    tick.now += 0.6
    assert cached.any()
    assert cached.fallbacks == 3
