"""Moderator page sessions end for every copy of the cookie, in every worker.

Two apps on one Redis stand for two workers (or hosts) with the same secret key.
"""

from __future__ import annotations

import time

import redis
from flask import Flask
from flask.testing import FlaskClient

from service.settings import Settings
from tests.integration.test_moderate_page_forms import csrf_of, sign_in
from tests.integration.test_queue_api import make_app

COOKIE = "modq_session"


def _signed_in(browser: FlaskClient) -> bool:
    return "Sign out" in browser.get("/moderate").get_data(as_text=True)


def _replay(app: Flask, cookie: str) -> FlaskClient:
    """A client of ``app`` holding a copy of an old cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, cookie)
    return other


def _cookie(browser: FlaskClient) -> str:
    found = browser.get_cookie(COOKIE)
    assert found is not None
    return found.value


def test_sign_out_ends_every_copy_of_the_cookie(redis_client: redis.Redis) -> None:
    worker_a, worker_b = make_app(redis_client), make_app(redis_client)
    browser = worker_a.test_client()
    csrf = sign_in(browser)
    old = _cookie(browser)
    assert _signed_in(_replay(worker_b, old))  # the other worker knows the session
    page = browser.post("/moderate/logout", data={"csrf_token": csrf})
    assert page.status_code == 303
    assert not _signed_in(_replay(worker_a, old))
    assert not _signed_in(_replay(worker_b, old))


def test_an_idle_session_ends(redis_client: redis.Redis) -> None:
    app = make_app(redis_client)
    settings: Settings = app.extensions["modq"].settings
    app.extensions["modq"].settings = settings.with_overrides(session_idle_minutes=7)
    browser = app.test_client()
    sign_in(browser)
    (key,) = redis_client.keys("modq:session:*")
    assert 7 * 60 - 5 <= redis_client.ttl(key) <= 7 * 60
    redis_client.expire(key, 100)
    assert _signed_in(browser)  # a request from the moderator starts the count again
    assert redis_client.ttl(key) > 100
    old = _cookie(browser)
    redis_client.pexpire(key, 1)  # as if the idle time had passed
    time.sleep(0.05)
    assert not _signed_in(_replay(app, old))


def test_automatic_renewals_do_not_keep_a_session_alive(redis_client: redis.Redis) -> None:
    app = make_app(redis_client)
    browser = app.test_client()
    sign_in(browser)
    csrf = csrf_of(browser.get("/moderate").get_data(as_text=True))
    (key,) = redis_client.keys("modq:session:*")
    redis_client.expire(key, 100)
    renewed = browser.post("/moderate/renew", headers={"X-CSRF-Token": csrf})
    assert renewed.status_code == 200
    assert redis_client.ttl(key) <= 100


def test_a_removed_token_ends_the_session_in_redis_too(redis_client: redis.Redis) -> None:
    browser = make_app(redis_client).test_client()
    sign_in(browser)
    old = _cookie(browser)
    rotated = make_app(redis_client)
    settings: Settings = rotated.extensions["modq"].settings
    rotated.extensions["modq"].settings = settings.with_overrides(
        moderator_tokens={"bob": "bob-token-0123456789ab"}
    )
    assert not _signed_in(_replay(rotated, old))
    assert redis_client.keys("modq:session:*") == []
