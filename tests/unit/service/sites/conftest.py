"""The sites' tests add sites to the session's shared Redis: none may outlive its test
(a site makes every website endpoint of the session's gunicorn servers ask for a key)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis


@pytest.fixture(autouse=True)
def no_site_left(redis_client: redis.Redis) -> Iterator[None]:
    yield
    redis_client.flushall()
