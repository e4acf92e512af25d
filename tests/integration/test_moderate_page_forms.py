"""The moderator page as plain HTTP (no browser): sign-in, cookies, CSRF, escaping, headers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from service.store import keys
from tests.integration.queue_support import seed_comment
from tests.integration.test_queue_api import ALICE, make_app

XSS = '<img src=x onerror=alert(1)><script>alert("x")</script>'


@pytest.fixture
def app(redis_client: redis.Redis) -> Flask:
    return make_app(redis_client)


@pytest.fixture
def browser(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def post_comment(browser: FlaskClient) -> Callable[..., str]:
    def post(text: str, **fields: str) -> str:
        body = {"name": "Pat", "email": "pat@example.com", "text": text, **fields}
        return str(browser.post("/v1/comments", json=body).json["id"])  # type: ignore[index]

    return post


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def sign_in(browser: FlaskClient, token: str = ALICE) -> str:
    """Sign in and open the queue (claiming a batch); the CSRF token of the new session."""
    csrf = csrf_of(browser.get("/moderate").get_data(as_text=True))
    response = browser.post("/moderate/login", data={"token": token, "csrf_token": csrf})
    assert response.status_code == 303
    fresh = csrf_of(browser.get("/moderate").get_data(as_text=True))
    assert fresh != csrf  # signing in starts a new session with a new CSRF token
    return fresh


def test_sign_in_sets_a_strict_httponly_cookie(browser: FlaskClient) -> None:
    page = browser.get("/moderate")
    assert "Moderator token" in page.get_data(as_text=True)
    csrf = csrf_of(page.get_data(as_text=True))
    response = browser.post("/moderate/login", data={"token": ALICE, "csrf_token": csrf})
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("modq_session=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Secure" not in cookie  # plain http here
    assert "alice" in browser.get("/moderate").get_data(as_text=True)


def test_cookie_is_secure_over_https(app: Flask) -> None:
    browser = app.test_client()
    page = browser.get("/moderate", base_url="https://modq.example")
    csrf = csrf_of(page.get_data(as_text=True))
    response = browser.post(
        "/moderate/login",
        data={"token": ALICE, "csrf_token": csrf},
        base_url="https://modq.example",
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_page_links_an_icon_that_is_served(browser: FlaskClient) -> None:
    html = browser.get("/moderate").get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert link and link.group(1) == "/favicon.ico"
    # where a browser looks even without the link (a file response: close it)
    with browser.get("/favicon.ico") as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/vnd.microsoft.icon"
        assert icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
        assert int.from_bytes(icon.data[4:6], "little") == 3  # 16, 32 and 48 pixels
        assert "max-age=86400" in icon.headers["Cache-Control"]


def test_wrong_token_is_refused(browser: FlaskClient) -> None:
    csrf = csrf_of(browser.get("/moderate").get_data(as_text=True))
    response = browser.post(
        "/moderate/login", data={"token": "nope-nope-nope-nope", "csrf_token": csrf}
    )
    assert response.status_code == 401
    assert "not valid" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/moderate/login", "/moderate/decide", "/moderate/logout"])
def test_posts_without_csrf_token_are_refused(
    browser: FlaskClient, post_comment: Callable[..., str], redis_client: redis.Redis, path: str
) -> None:
    cid = post_comment("A deal")
    sign_in(browser)
    response = browser.post(path, data={"token": ALICE, "act": f"approve:{cid}"})
    assert response.status_code == 403
    assert "CSRF" in response.get_data(as_text=True)
    assert redis_client.hget(keys.comment(cid), "status") == "pending"


def test_page_shows_text_as_text_and_marks_spans(
    browser: FlaskClient, post_comment: Callable[..., str], redis_client: redis.Redis
) -> None:
    post_comment(XSS)
    # intake refuses such a URL; a comment stored by an older version could still carry one
    seed_comment(redis_client, "old one", url="javascript:alert(1)")
    post_comment("Best casino deal", url="https://xn--pypal-4ve.com/login")
    sign_in(browser)
    page = browser.get("/moderate")
    html = page.get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;" in html
    assert "<script>alert" not in html and "<img" not in html
    assert 'href="javascript:' not in html
    assert '<mark title="spam_possible">casino</mark>' in html
    assert 'leads to <code class="target">xn--pypal-4ve.com</code>' in html
    assert "@example.com" in html and "pat@example.com" not in html
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"


def test_forms_decide_without_javascript(
    browser: FlaskClient, post_comment: Callable[..., str], redis_client: redis.Redis
) -> None:
    one, two, three = (post_comment(f"comment {i}") for i in range(3))
    csrf = sign_in(browser)
    single = browser.post("/moderate/decide", data={"csrf_token": csrf, "act": f"toxic:{one}"})
    assert single.status_code == 303
    bulk = browser.post(
        "/moderate/decide", data={"csrf_token": csrf, "bulk": "approve", "ids": [two, three]}
    )
    assert bulk.status_code == 303
    statuses = [redis_client.hget(keys.comment(c), "status") for c in (one, two, three)]
    assert statuses == ["rejected", "approved", "approved"]
    page = browser.get("/moderate").get_data(as_text=True)
    assert "Approved 2 comments." in page
    assert "Nothing to review" in page


def test_sign_out_gives_the_batch_back(
    browser: FlaskClient, post_comment: Callable[..., str], redis_client: redis.Redis
) -> None:
    post_comment("A deal")
    csrf = sign_in(browser)
    assert redis_client.zcard(keys.queue_leases()) == 1
    browser.post("/moderate/logout", data={"csrf_token": csrf})
    assert redis_client.zcard(keys.queue_leases()) == 0
    assert "Moderator token" in browser.get("/moderate").get_data(as_text=True)


def test_changed_token_ends_the_session(redis_client: redis.Redis) -> None:
    browser = make_app(redis_client).test_client()
    sign_in(browser)
    cookie = browser.get_cookie("modq_session")
    assert cookie is not None
    rotated = make_app(redis_client)
    settings = rotated.extensions["modq"].settings
    rotated.extensions["modq"].settings = settings.with_overrides(
        moderator_tokens={"alice": "a-brand-new-token-0123"}
    )
    other = rotated.test_client()
    other.set_cookie("modq_session", cookie.value)
    assert "Moderator token" in other.get("/moderate").get_data(as_text=True)


def test_renew_keeps_the_batch_and_needs_the_csrf_header(
    browser: FlaskClient, post_comment: Callable[..., str], redis_client: redis.Redis
) -> None:
    cid = post_comment("A deal")
    csrf = sign_in(browser)
    before = redis_client.zscore(keys.queue_leases(), cid)
    assert browser.post("/moderate/renew").status_code == 403
    response = browser.post("/moderate/renew", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert response.json["stats"]["leased"] == 1
    after = redis_client.zscore(keys.queue_leases(), cid)
    assert before is not None and after is not None and after >= before


def test_another_thread_view_gives_the_old_batch_back(
    browser: FlaskClient, post_comment: Callable[..., str], redis_client: redis.Redis
) -> None:
    a = post_comment("On thread a", thread="/a")
    b = post_comment("On thread b", thread="/b")
    sign_in(browser)  # the unfiltered view claims both
    assert redis_client.zcard(keys.queue_leases()) == 2
    assert 'href="/moderate?sort=oldest&amp;thread=/b"' in browser.get("/moderate").get_data(
        as_text=True
    )
    html = browser.get("/moderate?thread=/b").get_data(as_text=True)
    assert f'id="c-{b}"' in html and f'id="c-{a}"' not in html
    assert redis_client.zrange(keys.queue_leases(), 0, -1) == [b]


def test_a_moderator_limited_to_some_sites_sees_only_theirs_on_the_page(
    redis_client: redis.Redis, request: pytest.FixtureRequest
) -> None:
    from service.http.app import create_app
    from service.moderation.model_holder import ModelHolder
    from service.settings import Settings
    from service.sites import SiteRegistry
    from tests.fake_model import FakeModel

    fred = "fred-token-0123456789ab"
    settings = Settings(
        moderator_tokens={"alice": ALICE, "fred": fred},
        moderator_site_lists={"fred": frozenset({"forum"})},
        secret_key="s" * 64,
        secret_key_generated=False,
    )
    app = create_app(settings, models=ModelHolder(FakeModel()), redis_client=redis_client)  # type: ignore[arg-type]
    registry = SiteRegistry(redis_client)
    registry.add("blog")
    registry.add("forum")
    # The session's Redis is shared with the session's gunicorn servers: no site may stay.
    request.addfinalizer(lambda: redis_client.flushall())
    seed_comment(redis_client, "a comment on the blog", namespace="blog")
    seed_comment(redis_client, "a comment on the forum", namespace="forum")
    browser = app.test_client()
    sign_in(browser, fred)
    page = browser.get("/moderate").get_data(as_text=True)
    assert "a comment on the forum" in page and "a comment on the blog" not in page
    assert browser.get("/moderate?site=blog").status_code == 404
    alice = app.test_client()
    sign_in(alice, ALICE)
    page = alice.get("/moderate?site=blog").get_data(as_text=True)
    assert "a comment on the blog" in page and "a comment on the forum" not in page
