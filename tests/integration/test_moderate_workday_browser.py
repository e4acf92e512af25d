"""A moderator's working day in a real headless Chromium: density, undo, bulk keys,
highlighting, the automatic-decision tabs and corrections, with and without JavaScript.

Same set-up as test_moderate_page_browser.py (Debian's /usr/bin/chromium through
Playwright's Python package); the undo window is 3 s here so "after the window" is quick.
With MODQ_SCREENSHOTS=<dir>, test_screenshots writes the README's pictures there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests

from service.domain import CommentStatus
from service.runtime.redis_server import RedisServer
from service.store import keys
from tests.integration.conftest import HOLD_ALL
from tests.integration.gunicorn_support import GunicornServer
from tests.integration.queue_support import seed_comment
from tests.integration.test_moderate_page_browser import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    TOKEN,
    _chromium_or_skip,
    status_of,
)

pytestmark = pytest.mark.browser
UNDO_S = 3
LAPTOP = {"width": 1366, "height": 768}
DESKTOP = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    if redis_server.process is None:
        redis_server.start()
    env = {
        **HOLD_ALL,
        "MODQ_MODERATOR_TOKENS": f"alice:{TOKEN}",
        "MODQ_SECRET_KEY": "browser-test-secret-" + "y" * 40,
        "MODQ_UNDO_SECONDS": str(UNDO_S),
    }
    gunicorn = GunicornServer(tmp_path_factory.mktemp("workday"), redis_server.url, env)
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


def open_page(
    chromium: Any, server: GunicornServer, viewport: dict[str, int], js: bool = True
) -> Any:
    context = chromium.new_context(
        base_url=server.base_url, viewport=viewport, java_script_enabled=js
    )
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    return tab


def sign_in(page: Any, path: str = "/moderate") -> None:
    page.goto("/moderate")
    page.fill("#token", TOKEN)
    page.click("form button[type=submit]")
    page.wait_for_selector(".stats")
    if path != "/moderate":
        page.goto(path)
    page.wait_for_load_state("load")


@pytest.fixture
def laptop(chromium: Any, server: GunicornServer, redis_client: redis.Redis) -> Iterator[Any]:
    tab = open_page(chromium, server, LAPTOP)
    yield tab
    tab.context.close()


def feed(server: GunicornServer) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = requests.get(server.url("/v1/decisions"), timeout=5).json()[
        "items"
    ]
    return items


def spans_reason(head: str, text: str, words: list[tuple[str, float]]) -> dict[str, Any]:
    """A model reason whose spans point at ``words`` of ``text`` with these weights."""
    spans = []
    for word, weight in words:
        start = text.index(word)
        spans.append({"start": start, "end": start + len(word), "text": word, "weight": weight})
    code = "spam_possible" if head == "spam" else "toxicity_possible"
    return {"code": code, "message": f"possibly {head}", "head": head, "spans": spans}


def visible_lines(page: Any) -> int:
    """Comments whose line is wholly inside the window."""
    return int(
        page.evaluate(
            """() => Array.from(document.querySelectorAll('li.comment summary')).filter((s) => {
                 const r = s.getBoundingClientRect();
                 return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
               }).length"""
        )
    )


def test_compact_list_shows_at_least_eight_comments_at_1366x768(
    laptop: Any, chromium: Any, server: GunicornServer, redis_client: redis.Redis
) -> None:
    for i in range(20):
        seed_comment(redis_client, f"Comment number {i} " + "with a few more words " * 8)
    sign_in(laptop)
    assert visible_lines(laptop) >= 8
    # every line is one line high
    heights = laptop.eval_on_selector_all(
        "li.comment summary", "els => els.map(e => e.getBoundingClientRect().height)"
    )
    assert max(heights) < 40
    # the current comment opened in place; j opens the next and closes it
    first, second = (
        laptop.locator("li.comment details").nth(0),
        laptop.locator("li.comment details").nth(1),
    )
    assert first.get_attribute("open") is not None
    laptop.keyboard.press("j")
    assert second.get_attribute("open") is not None and first.get_attribute("open") is None
    # a wide screen is used: the list spans most of 1920 px
    wide = open_page(chromium, server, DESKTOP)
    sign_in(wide)
    width = wide.eval_on_selector("ol.comments", "e => e.getBoundingClientRect().width")
    assert width > 1700
    assert visible_lines(wide) >= 14
    wide.context.close()


def test_undo_within_the_window_keeps_the_decision_from_the_feed(
    laptop: Any, server: GunicornServer, redis_client: redis.Redis
) -> None:
    cid = seed_comment(redis_client, "Buy now", created_at=time.time() - 60)
    sign_in(laptop)
    laptop.keyboard.press("s")
    laptop.wait_for_selector(f"#c-{cid}", state="detached")
    assert status_of(server, cid) == "rejected"
    assert feed(server) == []  # held: not in the feed yet
    assert "Undo" in laptop.locator("#undo-slot").inner_text()
    laptop.keyboard.press("u")
    laptop.wait_for_selector(f"#c-{cid}")  # back in the batch after the reload
    assert status_of(server, cid) == "pending"
    time.sleep(UNDO_S + 0.5)
    assert feed(server) == []
    assert redis_client.xlen(keys.labels()) == 0
    audit = requests.get(
        server.url("/v1/queue/audit"), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5
    ).json()["items"]
    assert [a["action"] for a in audit][:2] == ["undo", "decide"]


def test_undo_after_the_window_is_refused_and_the_feed_has_the_decision(
    laptop: Any, server: GunicornServer, redis_client: redis.Redis
) -> None:
    cid = seed_comment(redis_client, "Fine words", created_at=time.time() - 60)
    other = seed_comment(redis_client, "Still to do")
    sign_in(laptop)
    laptop.keyboard.press("a")
    laptop.wait_for_selector(f"#c-{cid}", state="detached")
    laptop.wait_for_selector("#undo-slot button")
    time.sleep(UNDO_S + 0.5)
    assert laptop.locator("#undo-slot").inner_text() == ""  # the countdown ended
    laptop.keyboard.press("u")
    assert "no decision to take back" in laptop.locator("#messages").inner_text()
    assert [(e["id"], e["status"], e["event"]) for e in feed(server)] == [
        (cid, "approved", "decided")
    ]
    assert status_of(server, cid) == "approved"
    # the last comment of the batch: once its undo window is over, the next batch comes
    laptop.keyboard.press("a")
    laptop.wait_for_selector(f"#c-{other}", state="detached")
    laptop.wait_for_selector("#empty", timeout=(UNDO_S + 5) * 1000)


def test_bulk_keys_decide_a_selection_of_five(
    laptop: Any, server: GunicornServer, redis_client: redis.Redis
) -> None:
    now = time.time()
    ids = [seed_comment(redis_client, f"Spam {i}", created_at=now - 100 + i) for i in range(20)]
    sign_in(laptop)
    bar = laptop.locator("#bulk")
    for _ in range(5):
        laptop.keyboard.press(" ")
        laptop.keyboard.press("j")
    assert laptop.locator("#selected-count").inner_text() == "5 selected"
    laptop.keyboard.press("Shift+S")
    laptop.wait_for_selector(f"#c-{ids[4]}", state="detached")
    assert [status_of(server, cid) for cid in ids] == ["rejected"] * 5 + ["pending"] * 15
    # one request decided all five
    assert "Rejected as spam 5 comments." in laptop.locator("#messages").inner_text()
    # * selects every comment shown; the bar stays in reach at the bottom of the list
    laptop.keyboard.press("*")
    assert laptop.locator("#selected-count").inner_text() == "15 selected"
    laptop.locator(f"#c-{ids[-1]}").scroll_into_view_if_needed()
    laptop.mouse.wheel(0, 3000)
    assert laptop.evaluate("window.scrollY") > 100
    box = bar.bounding_box()
    assert box is not None and 0 <= box["y"] < 5
    laptop.keyboard.press("Shift+A")
    laptop.wait_for_selector(f"#c-{ids[-1]}", state="detached")
    assert [status_of(server, cid) for cid in ids[5:]] == ["approved"] * 15


def test_highlights_two_colours_and_only_spans_that_matter(
    laptop: Any, redis_client: redis.Redis
) -> None:
    text = "What a load of nonsense, you idiot. Buy pills at cheap-pills.example today"
    reasons = [
        spans_reason("spam", text, [("cheap-pills.example", 3.0), ("Buy", 1.0), ("today", 0.4)]),
        spans_reason("toxicity", text, [("idiot", 2.5), ("load", 0.6), ("What", 0.4)]),
    ]
    cid = seed_comment(redis_client, text, reasons=reasons)
    sign_in(laptop)
    card = laptop.locator(f"#c-{cid} .card .text")
    assert card.locator("mark.m-spam").all_inner_texts() == ["cheap-pills.example"]
    assert card.locator("mark.m-toxicity").all_inner_texts() == ["idiot"]
    colours = {
        kind: card.locator(f"mark.m-{kind}").evaluate("e => getComputedStyle(e).backgroundColor")
        for kind in ("spam", "toxicity")
    }
    assert colours["spam"] != colours["toxicity"]
    legend = laptop.locator(".legend")
    assert legend.locator("mark.m-spam").inner_text() == "spam"
    assert legend.locator("mark.m-toxicity").inner_text() == "toxicity"
    # the strongest span is in the one-line excerpt, visible without opening anything
    assert "cheap-pills.example" in (
        laptop.locator(f"#c-{cid} .snippet mark.m-spam").text_content() or ""
    )


def test_three_tabs_and_correcting_an_automatic_rejection(
    laptop: Any, server: GunicornServer, redis_client: redis.Redis
) -> None:
    now = time.time()
    rejected = seed_comment(
        redis_client,
        "A real comment, wrongly caught",
        status=CommentStatus.REJECTED,
        spam=0.93,
        created_at=now - 30,
    )
    seed_comment(redis_client, "Low score rejection", status=CommentStatus.REJECTED, spam=0.3)
    approved = seed_comment(redis_client, "Nice article", status=CommentStatus.APPROVED, spam=0.02)
    pending = seed_comment(redis_client, "Waiting")
    sign_in(laptop)
    tabs = laptop.locator("nav.tabs a")
    assert tabs.all_inner_texts()[0].startswith("Pending")
    assert laptop.locator(f"#c-{pending}").is_visible()
    tabs.nth(1).click()
    laptop.wait_for_selector(f"#c-{rejected}")
    assert laptop.locator("li.comment").count() == 2
    laptop.select_option("select[name=band]", "0.8-1")
    laptop.click("form.view button[type=submit]")
    laptop.wait_for_load_state("load")
    assert laptop.locator("li.comment").count() == 1
    assert "modq" in laptop.locator(f"#c-{rejected} .by").inner_text()
    laptop.locator(f"#c-{rejected} button", has_text="Approve").click()
    laptop.wait_for_load_state("load")
    assert status_of(server, rejected) == "approved"
    assert [(e["id"], e["event"]) for e in feed(server)] == [(rejected, "corrected")]
    line = laptop.locator(f"#c-{rejected}")
    assert "alice" in line.locator(".by").inner_text()
    assert line.locator("details").get_attribute("open") is not None  # the #c-<id> it came back to
    assert "by alice" in line.locator(".decided").inner_text()
    tabs.nth(2).click()
    laptop.wait_for_selector(f"#c-{approved}")


def test_without_javascript_forms_decide_undo_and_correct(
    chromium: Any, server: GunicornServer, redis_client: redis.Redis
) -> None:
    page = open_page(chromium, server, LAPTOP, js=False)
    cid = seed_comment(redis_client, "No script here")
    auto = seed_comment(redis_client, "Caught by mistake", status=CommentStatus.REJECTED)
    sign_in(page)
    page.locator(f"#c-{cid} summary").click()  # native <details>: opens without script
    page.locator(f"#c-{cid} button", has_text="Spam").click()
    page.wait_for_load_state("load")
    assert status_of(server, cid) == "rejected"
    page.locator("#undo-form button").click()
    page.wait_for_load_state("load")
    assert status_of(server, cid) == "pending"
    assert "Took back 1 decision." in page.locator("#messages").inner_text()
    # select all (a link that reloads with every box ticked) and a bulk button
    page.locator("#select-all").click()
    page.locator(".bulk button", has_text="Approve").click()
    page.wait_for_load_state("load")
    assert status_of(server, cid) == "approved"
    page.goto("/moderate?tab=rejected")
    page.locator(f"#c-{auto} summary").click()
    page.locator(f"#c-{auto} button", has_text="Approve").click()
    page.wait_for_load_state("load")
    assert status_of(server, auto) == "approved"
    page.context.close()


@pytest.fixture(scope="module")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """The default thresholds (the model card's), so the reasons are the real ones."""
    env = {
        "MODQ_MODERATOR_TOKENS": f"alice:{TOKEN}",
        "MODQ_SECRET_KEY": "browser-test-secret-" + "z" * 40,
    }
    gunicorn = GunicornServer(tmp_path_factory.mktemp("demo"), redis_server.url, env)
    gunicorn.start()
    yield gunicorn
    gunicorn.stop()


DEMO = [
    (
        "Maria K.",
        "maria@example.net",
        "The budget cuts to the library are short-sighted. Where will kids study after school?",
    ),
    (
        "deals4u",
        "promo@cheap-pills.example",
        "Best prices on pills!!! Buy now at "
        "http://cheap-pills.example, free shipping, limited offer",
    ),
    ("Tom", "tom@example.org", "You are an idiot and everyone who voted for this is a moron."),
    ("Ravi", "ravi@example.com", "Good reporting. Could you publish the full spreadsheet?"),
    (
        "J. Smith",
        "js@example.com",
        "Women like her should stay out of politics, what a load of nonsense.",
    ),
    (
        "CryptoKing",
        "king@coins.example",
        "Earn $5000 a week from home with crypto, message me on telegram",
    ),
    (
        "Lena",
        "lena@example.de",
        "I was at the council meeting; the numbers quoted here match what was said.",
    ),
    ("anon", "anon@example.com", "Shut up, nobody cares about your stupid opinion."),
    ("Omar", "omar@example.com", "Why is the parks budget up 12% while schools lose money?"),
    (
        "Visit my site",
        "seo@links.example",
        "Great post! Check out my website for cheap loans http://loans.example",
    ),
    ("Priya", "priya@example.com", "Thanks for the clear explanation of the tax changes."),
    ("Greg", "greg@example.com", "The mayor is a liar and a crook, lock him up."),
    ("Dana", "dana@example.com", "This is the dumbest thing I have read all week. Pathetic."),
    ("Sam", "sam@example.com", "Click here to win a free iPhone http://prize.example now"),
    ("Kim", "kim@example.com", "My kids' school lost two teachers last year already."),
    ("Bob", "bob@example.com", "People like you are what is wrong with this town, get lost."),
    ("Ann", "ann@example.com", "Does anyone know when the next public hearing is?"),
    ("Max", "max@example.com", "Totally agree, idiotic decision by idiotic people."),
    ("Lee", "lee@example.com", "Visit www.best-casino.example for a 200% bonus today!!!"),
    ("Zoe", "zoe@example.com", "Great article, thank you."),
    ("Nora", "nora@example.com", "I disagree with the author: the parks need the money more."),
    (
        "Paul",
        "paul@example.com",
        "Another pointless article from this paper. Who edits this garbage?",
    ),
    ("Ines", "ines@example.com", "The council should publish these numbers before the vote."),
    (
        "Yusuf",
        "yusuf@travel.example",
        "Cheap flights and hotels at travel-deals.example, book today",
    ),
    (
        "Hana",
        "hana@example.com",
        "My library card is the best thing I own. Keep it open on Sundays.",
    ),
    ("Walt", "walt@example.com", "What a load of rubbish, the reporter clearly did no research."),
]
APPROVED = {3, 10, 16, 19}


def _demo(server: GunicornServer, client: redis.Redis) -> None:
    """A morning's comments on a news site, scored by the real model (POST /v1/score)."""
    now = time.time()
    site = "https://news.example/2026/12/city-budget"
    scored = requests.post(
        server.url("/v1/score"), json={"comments": [{"text": t} for _, _, t in DEMO]}, timeout=30
    ).json()["items"]
    version = requests.get(server.url("/v1/model"), timeout=5).json()["version"]
    for i, ((name, email, text), result) in enumerate(zip(DEMO, scored, strict=True)):
        status = CommentStatus.PENDING  # as if the site held everything the model doubts
        if result["status"] == "rejected":
            status = CommentStatus.REJECTED
        elif i in APPROVED:
            status = CommentStatus.APPROVED
        # the same commenters wrote before
        if i in (6, 15):
            for j in range(3):
                seed_comment(
                    client,
                    "An earlier remark on another article",
                    name=name,
                    email=email,
                    status=CommentStatus.REJECTED if j else CommentStatus.APPROVED,
                    spam=0.02,
                    toxicity=0.97 if j else 0.1,
                    created_at=now - 86400 * (j + 1),
                    thread="/2026/11/other",
                )
        seed_comment(
            client,
            text,
            name=name,
            email=email,
            status=status,
            spam=result["scores"]["spam"],
            toxicity=result["scores"]["toxicity"],
            reasons=result["reasons"],
            created_at=now - 3600 + i * 150,
            thread="/2026/12/city-budget",
            external_id=str(1000 + i),
            model_version=version,
            thread_title="City budget: libraries lose, parks gain",
            permalink=site,
            **({"parent_id": "1000"} if i == 6 else {}),
        )


@pytest.mark.parametrize("size", ["1366x768", "1920x1080"])
def test_screenshots(
    chromium: Any, demo_server: GunicornServer, redis_client: redis.Redis, size: str
) -> None:
    out = Path(os.environ.get("MODQ_SCREENSHOTS") or ARTIFACTS)
    out.mkdir(parents=True, exist_ok=True)
    _demo(demo_server, redis_client)
    width, height = (int(n) for n in size.split("x"))
    page = open_page(chromium, demo_server, {"width": width, "height": height})
    sign_in(page)
    for _ in range(10):  # to the reply, which shows its parent and its commenter's history
        if page.locator("li.comment.current .parent").count():
            break
        page.keyboard.press("j")
    page.screenshot(path=str(out / f"moderate-compact-{size}.png"))
    assert visible_lines(page) >= 8
    page.goto("/moderate?density=full")
    page.wait_for_load_state("load")
    page.screenshot(path=str(out / f"moderate-full-{size}.png"))
    page.goto("/moderate?tab=rejected&density=compact")
    page.wait_for_load_state("load")
    page.screenshot(path=str(out / f"moderate-rejected-{size}.png"))
    for name in ("compact", "full", "rejected"):
        assert (out / f"moderate-{name}-{size}.png").stat().st_size > 10_000
    page.goto("/moderate?density=compact")
    page.context.close()
