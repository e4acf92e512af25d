"""The moderator page in a real headless Chromium against a real gunicorn and Redis.

Chromium is Debian's /usr/bin/chromium driven by Playwright's Python package
(never `playwright install`). Without it these tests skip, except under CI=true,
where they fail: CI installs chromium, so a skip there would hide a broken page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import redis
import requests

from service.runtime.redis_server import RedisServer
from service.store import keys
from tests.integration.conftest import HOLD_ALL
from tests.integration.gunicorn_support import ROOT, GunicornServer

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("MODQ_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
TOKEN = "alice-browser-token-0123"
SPAMMY = "Buy cheap viagra and casino chips now, best deal, click http://pills.example"
XSS = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>'
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium_or_skip() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path:
        return path
    reason = f"no Chromium at {CHROMIUM} (apt-get install chromium) for the moderator page tests"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; CI must run them, not skip them")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    if redis_server.process is None:
        redis_server.start()
    env = {
        **HOLD_ALL,
        "MODQ_MODERATOR_TOKENS": f"alice:{TOKEN}",
        "MODQ_SECRET_KEY": "browser-test-secret-" + "x" * 40,
    }
    gunicorn = GunicornServer(tmp_path_factory.mktemp("page"), redis_server.url, env)
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def dialogs() -> list[str]:
    """Messages of every alert/confirm the page opened (an injected script would open one)."""
    return []


@pytest.fixture
def page(
    chromium: Any, server: GunicornServer, redis_client: redis.Redis, dialogs: list[str]
) -> Iterator[Any]:
    """A fresh browser context on an emptied Redis."""
    context = chromium.new_context(
        base_url=server.base_url, viewport={"width": 1100, "height": 900}
    )
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def post_comment(server: GunicornServer, text: str, **fields: str) -> str:
    response = server.post_comment({"text": text, "name": "Pat", **fields})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    return str(response.json()["id"])


def sign_in(page: Any) -> None:
    page.goto("/moderate")
    page.fill("#token", TOKEN)
    page.click("form button[type=submit]")
    page.wait_for_selector(".stats")
    # The page's deferred script (keys, focus) has run once "load" fires; a key pressed
    # before that would go nowhere.
    page.wait_for_load_state("load")


def queue_item(server: GunicornServer, comment_id: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    response = requests.get(server.url(f"/v1/queue/{comment_id}"), headers=headers, timeout=5)
    assert response.status_code == 200
    item: dict[str, Any] = response.json()
    return item


def status_of(server: GunicornServer, comment_id: str) -> str:
    return str(requests.get(server.url(f"/v1/comments/{comment_id}"), timeout=5).json()["status"])


def test_approve_with_the_keyboard(page: Any, server: GunicornServer) -> None:
    first = post_comment(server, SPAMMY)
    second = post_comment(server, "A thoughtful reply")
    sign_in(page)
    card = page.locator(f"#c-{first}")
    assert card.locator(".text").inner_text() == SPAMMY
    # The page highlights exactly the spans the model's explanation gave.
    spans = queue_item(server, first)["spans"]
    assert spans, "the model explained nothing for an obvious spam comment"
    assert card.locator(".text mark").all_inner_texts() == [span["text"] for span in spans]
    assert page.locator('[data-stat="depth"]').inner_text() == "2"
    page.keyboard.press("a")  # the first comment has the focus
    page.wait_for_selector(f"#c-{first}", state="detached")
    assert status_of(server, first) == "approved"
    assert page.locator(f"#c-{second}").is_visible()
    assert page.locator('[data-stat="depth"]').inner_text() == "1"
    assert "Approved 1 comment." in page.locator("#messages").inner_text()


def test_move_with_j_and_reject_as_spam_with_a_button(
    page: Any, server: GunicornServer, redis_client: redis.Redis
) -> None:
    first = post_comment(server, "First comment")
    second = post_comment(server, "Buy viagra now")
    sign_in(page)
    page.keyboard.press("j")
    assert "current" in (page.locator(f"#c-{second}").get_attribute("class") or "")
    page.locator(f"#c-{second} button", has_text="Spam").click()
    page.wait_for_selector(f"#c-{second}", state="detached")
    assert status_of(server, second) == "rejected"
    assert status_of(server, first) == "pending"
    [(_, label)] = redis_client.xrange(keys.labels())
    assert (label["id"], label["spam"], label["toxic"]) == (second, "1", "")


def test_bulk_select_and_help(page: Any, server: GunicornServer) -> None:
    ids = [post_comment(server, f"Comment number {i}") for i in range(3)]
    sign_in(page)
    page.keyboard.press("?")
    assert page.locator("#help").get_attribute("open") is not None
    page.keyboard.press(" ")  # select the first
    page.locator(f"#c-{ids[2]} input[name=ids]").check()
    page.locator(".bulk button", has_text="Toxic").click()
    page.wait_for_selector(f"#c-{ids[0]}", state="detached")
    assert [status_of(server, cid) for cid in ids] == ["rejected", "pending", "rejected"]


def test_markup_in_a_comment_is_shown_as_text_and_never_runs(
    page: Any, server: GunicornServer, dialogs: list[str]
) -> None:
    cid = post_comment(server, XSS)
    sign_in(page)
    text = page.locator(f"#c-{cid} .text")
    assert text.inner_text() == XSS
    assert text.locator("img, script").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    post_comment(server, SPAMMY, url="http://xn--pypal-4ve.com/", thread="/news/42")
    page.reload()
    page.wait_for_selector(".comment")
    page.screenshot(path=str(ARTIFACTS / "moderate-page.png"), full_page=True)
    assert (ARTIFACTS / "moderate-page.png").stat().st_size > 10_000


def test_post_without_csrf_token_is_refused(page: Any, server: GunicornServer) -> None:
    cid = post_comment(server, "Pending comment")
    sign_in(page)
    # The browser's own session cookie goes along; only the CSRF token is missing.
    response = page.request.post("/moderate/decide", form={"act": f"approve:{cid}"})
    assert response.status == 403
    assert status_of(server, cid) == "pending"
