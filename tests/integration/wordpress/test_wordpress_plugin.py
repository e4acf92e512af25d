"""The WordPress plugin in a real WordPress (Debian's package, PHP, MariaDB) against a real modq.

modq holds every comment for review and rejects those with a banned word; its webhook
worker delivers decisions to the plugin's REST route.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests

from service.integrations.webhooks.endpoints import EndpointRegistry
from service.runtime.redis_server import RedisServer
from service.sites import SiteRegistry
from service.store.decision_log import read_label_records
from tests.integration.conftest import HOLD_ALL
from tests.integration.gunicorn_support import GunicornServer
from tests.integration.wordpress.wordpress_support import WordPress, missing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None, reason=str(missing())),
]

MODERATOR = ("mod", "moderator-token-0123456789")
WORKER_ENV = {
    "MODQ_WEBHOOK_POLL_SECONDS": "0.05",
    "MODQ_WEBHOOK_RETRY_SCHEDULE": "0.5,1,2,5",
    "MODQ_WEBHOOK_TIMEOUT": "10",
}


@dataclass
class Stack:
    """modq (gunicorn + webhook worker) and a WordPress using the plugin."""

    modq: GunicornServer
    redis: redis.Redis
    wordpress: WordPress
    site_key: str

    def site_get(self, path: str) -> requests.Response:
        return requests.get(
            self.modq.url(path), headers={"Authorization": f"Bearer {self.site_key}"}, timeout=10
        )

    def modq_get(self, path: str) -> requests.Response:
        return requests.get(
            self.modq.url(path), headers={"Authorization": f"Bearer {MODERATOR[1]}"}, timeout=10
        )

    def decide(self, modq_id: str, decision: str) -> None:
        answer = requests.post(
            self.modq.url(f"/v1/queue/{modq_id}/decision"),
            json={"decision": decision},
            headers={"Authorization": f"Bearer {MODERATOR[1]}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("wordpress")
    redis_server = RedisServer(base / "redis")
    redis_server.start()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    env = {
        **HOLD_ALL,
        **WORKER_ENV,
        "MODQ_BANNED_WORDS": "casino",
        # every commenter of a php -S WordPress is 127.0.0.1: no per-address limit here
        "MODQ_RATE_LIMIT": "off",
        "MODQ_MODERATOR_TOKENS": f"{MODERATOR[0]}:{MODERATOR[1]}",
    }
    modq = GunicornServer(base / "modq", redis_server.url, env)
    modq.start()
    with open(base / "worker.log", "ab") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from service.cli.main import main; main()",
                "webhooks",
                "worker",
            ],
            env=modq.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    wordpress = WordPress(base / "wp")
    try:
        wordpress.setup(["modq/modq.php"])
        site_key = SiteRegistry(client).add("blog", url=wordpress.url)
        webhook = f"{wordpress.url}/?rest_route=/modq/v1/webhook"
        _, secret = EndpointRegistry(client, "blog").add(webhook)
        wordpress.set_option("modq_url", modq.base_url)
        wordpress.set_option("modq_site_key", site_key)
        wordpress.set_option("modq_webhook_secret", secret)
        wordpress.set_option("modq_outage_policy", "hold")
        yield Stack(modq, client, wordpress, site_key)
    finally:
        wordpress.teardown()
        worker.terminate()
        worker.wait(15)
        modq.stop()
        client.close()
        redis_server.stop()


@dataclass
class Bridged:
    """A second WordPress: Debian's Akismet plugin, sent to modq by the bridge."""

    wordpress: WordPress
    key: str


@pytest.fixture(scope="module")
def bridged(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridged]:
    key = SiteRegistry(stack.redis).add("akismet-blog")
    wordpress = WordPress(tmp_path_factory.mktemp("akismet-wp"))
    bridge = Path(__file__).parents[3] / "integrations/wordpress/modq-akismet-bridge.php"
    try:
        wordpress.setup(["akismet/akismet.php"], {"modq-akismet-bridge.php": bridge.read_text()})
        webhook = f"{wordpress.url}/?rest_route=/modq-akismet/v1/webhook"
        _, secret = EndpointRegistry(stack.redis, "akismet-blog").add(webhook)
        wordpress.set_option("wordpress_api_key", key)
        wordpress.set_option("modq_akismet_url", stack.modq.base_url)
        wordpress.set_option("modq_akismet_webhook_secret", secret)
        yield Bridged(wordpress, key)
    finally:
        wordpress.teardown()


def test_a_comment_posted_in_wordpress_reaches_modq_and_is_held(stack: Stack) -> None:
    wp = stack.wordpress
    comment_id = wp.post_comment("A thoughtful comment about the post.")
    assert wp.comment_status(comment_id) == "0"
    modq_id = wp.meta(comment_id, "modq_id")
    assert modq_id and wp.meta(comment_id, "modq_status") == "pending"
    queued = stack.modq_get("/v1/queue").json()["items"]
    mine = next(item for item in queued if item["id"] == modq_id)
    assert mine["external_id"] == str(comment_id)
    assert mine["text"] == "A thoughtful comment about the post."
    assert mine["thread"].startswith(wp.url) and mine["thread"].endswith("/hello-world/")


def test_a_moderators_approval_in_modq_publishes_it_in_wordpress(stack: Stack) -> None:
    wp = stack.wordpress
    comment_id = wp.post_comment("Waiting for a moderator.")
    stack.decide(wp.meta(comment_id, "modq_id"), "approve")
    wp.wait_for_status(comment_id, "1")
    assert wp.meta(comment_id, "modq_status") == "approved"


def test_a_rejected_comment_is_spam_and_the_comments_screen_shows_why(stack: Stack) -> None:
    wp = stack.wordpress
    comment_id = wp.post_comment("Visit my casino now")
    assert wp.comment_status(comment_id) == "spam"
    assert json.loads(wp.meta(comment_id, "modq_reasons"))[0]["code"] == "banned_word"
    page = wp.admin_session().get(f"{wp.url}/wp-admin/edit-comments.php?comment_status=spam")
    assert 'class="modq-status">rejected<' in page.text
    assert wp.meta(comment_id, "modq_id") in page.text


def test_a_forged_webhook_is_refused(stack: Stack) -> None:
    wp = stack.wordpress
    comment_id = wp.post_comment("Someone wants this approved.")
    forged = {
        "type": "comment.decided",
        "timestamp": "2026-12-07T00:00:00.000Z",
        "data": {
            "id": wp.meta(comment_id, "modq_id"),
            "external_id": str(comment_id),
            "status": "approved",
        },
    }
    answer = requests.post(
        f"{wp.url}/?rest_route=/modq/v1/webhook",
        json=forged,
        headers={
            "webhook-id": "msg_forged",
            "webhook-timestamp": str(int(time.time())),
            "webhook-signature": "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        },
        timeout=10,
    )
    assert answer.status_code == 401
    assert wp.comment_status(comment_id) == "0"


def test_a_modq_outage_holds_the_comment_and_wp_cron_sends_it_later(stack: Stack) -> None:
    wp = stack.wordpress
    wp.set_option("modq_url", "http://127.0.0.1:9")  # nothing listens there
    try:
        comment_id = wp.post_comment("Posted while modq is away.")
    finally:
        wp.set_option("modq_url", stack.modq.base_url)
    assert wp.comment_status(comment_id) == "0"
    assert wp.meta(comment_id, "_modq_unsent") and not wp.meta(comment_id, "modq_id")
    wp.run_cron()
    modq_id = wp.meta(comment_id, "modq_id")
    assert modq_id and not wp.meta(comment_id, "_modq_unsent")
    assert stack.site_get(f"/v1/comments/{modq_id}").json()["status"] == "pending"
    stack.decide(modq_id, "approve")
    wp.wait_for_status(comment_id, "1")


def test_the_plugin_is_gpl(stack: Stack) -> None:
    header = (Path(__file__).parents[3] / "integrations/wordpress/modq/modq.php").read_text()
    assert "License:           GPL-2.0-or-later" in header


def _admin_action(stack: Stack, comment_id: int, action: str, listing: str) -> None:
    """Click a row action of the comments screen (Spam, Not Spam) as the administrator."""
    wp = stack.wordpress
    session = wp.admin_session()
    page = session.get(f"{wp.url}/wp-admin/edit-comments.php?comment_status={listing}").text
    found = re.search(
        rf"comment\.php\?c={comment_id}&#038;action={action}&#038;_wpnonce=([0-9a-f]+)", page
    )
    assert found, f"no {action} link for comment {comment_id}"
    answer = session.get(
        f"{wp.url}/wp-admin/comment.php",
        params={"c": comment_id, "action": action, "_wpnonce": found.group(1)},
        allow_redirects=False,
    )
    assert answer.status_code == 302


def _label(stack: Stack, modq_id: str) -> dict[str, str]:
    labels = [r for r in read_label_records(stack.redis, "blog") if r["id"] == modq_id]
    assert labels, f"no label for {modq_id}"
    return labels[-1]


def test_not_spam_in_wordpress_becomes_a_modq_label(stack: Stack) -> None:
    wp = stack.wordpress
    comment_id = wp.post_comment("The casino of my home town closed, sadly.")
    assert wp.comment_status(comment_id) == "spam"
    modq_id = wp.meta(comment_id, "modq_id")
    _admin_action(stack, comment_id, "unspamcomment", "spam")
    label = _label(stack, modq_id)
    assert label["spam"] == "0"
    assert stack.site_get(f"/v1/comments/{modq_id}").json()["status"] == "approved"
    # modq's correction comes back as comment.corrected and publishes the comment
    wp.wait_for_status(comment_id, "1")


def test_spam_in_wordpress_becomes_a_modq_label(stack: Stack) -> None:
    wp = stack.wordpress
    comment_id = wp.post_comment("Buy followers cheap at my shop")
    modq_id = wp.meta(comment_id, "modq_id")
    _admin_action(stack, comment_id, "spamcomment", "moderated")
    assert _label(stack, modq_id)["spam"] == "1"
    assert stack.site_get(f"/v1/comments/{modq_id}").json()["status"] == "rejected"
    time.sleep(1)  # the correction's webhook changes nothing: the comment is spam already
    assert wp.comment_status(comment_id) == "spam"


def test_akismet_s_comment_check_reaches_modq_through_the_bridge(
    stack: Stack, bridged: Bridged
) -> None:
    wp = bridged.wordpress
    comment_id = wp.post_comment("Held by modq, filed as spam by Akismet until decided.")
    assert wp.meta(comment_id, "akismet_result") == "true"
    assert wp.comment_status(comment_id) == "spam"
    modq_id = wp.meta(comment_id, "modq_akismet_guid")
    assert modq_id
    answer = requests.get(
        stack.modq.url(f"/v1/comments/{modq_id}"),
        headers={"Authorization": f"Bearer {bridged.key}"},
        timeout=10,
    )
    assert answer.json()["status"] == "pending"


def test_a_later_approval_in_modq_reaches_the_akismet_site_by_webhook(
    stack: Stack, bridged: Bridged
) -> None:
    wp = bridged.wordpress
    comment_id = wp.post_comment("A fine comment that a moderator will approve.")
    stack.decide(wp.meta(comment_id, "modq_akismet_guid"), "approve")
    wp.wait_for_status(comment_id, "1")


def test_not_spam_in_akismet_s_wordpress_reaches_modq_as_submit_ham(
    stack: Stack, bridged: Bridged
) -> None:
    wp = bridged.wordpress
    comment_id = wp.post_comment("Akismet filed this as spam while modq held it.")
    modq_id = wp.meta(comment_id, "modq_akismet_guid")
    session = wp.admin_session()
    page = session.get(f"{wp.url}/wp-admin/edit-comments.php?comment_status=spam").text
    nonce = re.search(
        rf"comment\.php\?c={comment_id}&#038;action=unspamcomment&#038;_wpnonce=([0-9a-f]+)", page
    )
    assert nonce
    session.get(
        f"{wp.url}/wp-admin/comment.php",
        params={"c": comment_id, "action": "unspamcomment", "_wpnonce": nonce.group(1)},
        allow_redirects=False,
    )
    labels = [r for r in read_label_records(stack.redis, "akismet-blog") if r["id"] == modq_id]
    assert labels and labels[-1]["spam"] == "0"
