"""The site registry against a real (private) Redis: keys, rotation, removal, settings."""

from __future__ import annotations

import pytest
import redis

from service.errors import ConflictError, InvalidError, NotFoundError
from service.sites import Site, SiteRegistry
from service.sites.registry import key_digest
from service.store import keys


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_site_gets_a_random_key_stored_only_as_its_hash(redis_client: redis.Redis) -> None:
    registry = SiteRegistry(redis_client)
    assert not registry.any()
    key = registry.add("blog", url="https://blog.example")
    other = registry.add("forum")
    assert registry.any()
    assert len(key) == 40 and int(key, 16) >= 0 and key != other
    hashes = [k for k in redis_client.keys("*") if redis_client.type(k) == "hash"]
    dump = "".join(str(redis_client.hgetall(k)) for k in hashes)
    assert key not in dump and key_digest(key) in dump
    assert registry.authenticate(key) == Site("blog", "https://blog.example", None)
    assert registry.authenticate(other) == Site("forum", None, None)
    assert registry.authenticate(key[:-1] + ("0" if key[-1] != "0" else "1")) is None
    assert registry.authenticate("") is None
    assert registry.authenticate("x" * 500) is None
    assert [s.name for s in registry.list()] == ["blog", "forum"]
    assert registry.get("blog") == Site("blog", "https://blog.example", None)
    assert registry.get("nope") is None


def test_names_and_urls_are_checked_and_a_name_is_taken_once(redis_client: redis.Redis) -> None:
    registry = SiteRegistry(redis_client)
    for bad in ("", "Blog", "a b", "a{b}", "a:b", "a|b", "-x", "x" * 65):
        with pytest.raises(InvalidError):
            registry.add(bad)
    with pytest.raises(InvalidError):
        registry.add("blog", url="ftp://x")
    registry.add("blog")
    with pytest.raises(ConflictError):
        registry.add("blog")


def test_a_rotated_key_works_through_its_grace_then_stops(redis_client: redis.Redis) -> None:
    clock = Clock()
    registry = SiteRegistry(redis_client, clock=clock)
    old = registry.add("blog")
    new = registry.rotate("blog", grace_seconds=3600)
    assert registry.authenticate(old) == registry.authenticate(new) == Site("blog", None, None)
    assert redis_client.ttl(keys.site_key(key_digest(old))) > 0
    assert redis_client.ttl(keys.site_key(key_digest(new))) == -1
    clock.now += 3601
    assert registry.authenticate(old) is None
    assert registry.authenticate(new) is not None
    newest = registry.rotate("blog", grace_seconds=0)
    assert registry.authenticate(new) is None
    assert registry.authenticate(newest) is not None
    with pytest.raises(NotFoundError):
        registry.rotate("nope")
    with pytest.raises(InvalidError):
        registry.rotate("blog", grace_seconds=-1)


def test_set_changes_every_live_key_and_revives_none(redis_client: redis.Redis) -> None:
    clock = Clock()
    registry = SiteRegistry(redis_client, clock=clock)
    old = registry.add("blog")
    redis_client.delete(keys.site_key(key_digest(old)))  # as if its grace had ended
    new = registry.rotate("blog", grace_seconds=0)
    site = registry.set("blog", url="https://b.example", coral_secret="s3cret")
    assert site == Site("blog", "https://b.example", "s3cret")
    assert registry.authenticate(new) == site
    assert not redis_client.exists(keys.site_key(key_digest(old)))
    assert registry.set("blog", url=None) == Site("blog", None, "s3cret")
    with pytest.raises(NotFoundError):
        registry.set("nope", url=None)


def test_removing_a_site_revokes_every_key_it_had(redis_client: redis.Redis) -> None:
    registry = SiteRegistry(redis_client)
    old = registry.add("blog")
    new = registry.rotate("blog", grace_seconds=3600)
    registry.add("forum")
    registry.remove("blog")
    assert registry.authenticate(old) is None and registry.authenticate(new) is None
    assert [s.name for s in registry.list()] == ["forum"]
    registry.remove("forum")
    assert not registry.any()
    with pytest.raises(NotFoundError):
        registry.remove("forum")
