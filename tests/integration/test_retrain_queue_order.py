"""Learn where it counts: the `uncertain` order hands out what the model is least sure of."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask.testing import FlaskClient

from service.http.app import create_app
from service.moderation.model_holder import ModelHolder
from service.runtime.redis_server import RedisServer
from service.settings import Settings
from tests.fake_model import FakeModel
from tests.integration.conftest import NO_LIMITS

TOKEN = "alice-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# FakeModel: "deal" -> spam 0.6 and "stupid" -> toxicity 0.6 (unsure); "viagra" -> spam 0.97.
TEXTS = {
    "plain": "Thanks for the article.",
    "sure_spam": "viagra for sale",
    "unsure_spam": "a good deal on tickets",
    "unsure_toxic": "what a stupid referee call",
}


@pytest.fixture
def client(
    tmp_path: Path, redis_server: RedisServer, redis_client: redis.Redis
) -> Iterator[FlaskClient]:
    settings = Settings.from_env(
        {
            "MODQ_REDIS_URL": redis_server.url,
            "MODQ_DATA_DIR": str(tmp_path),
            "MODQ_MODERATOR_TOKENS": f"alice:{TOKEN}",
            "MODQ_SPAM_REVIEW": "0",
            "MODQ_SPAM_REJECT": "1",
            "MODQ_TOXICITY_REVIEW": "1",
            "MODQ_TOXICITY_REJECT": "1",
            **NO_LIMITS,
        }
    )
    holder = ModelHolder(FakeModel())  # type: ignore[arg-type]
    app = create_app(settings, models=holder, redis_client=redis_client)
    with app.test_client() as test_client:
        yield test_client


def post_all(client: FlaskClient) -> dict[str, str]:
    ids = {}
    for name, text in TEXTS.items():
        answer = client.post(
            "/v1/comments", json={"name": "A", "email": "a@example.org", "text": text}
        )
        assert answer.get_json()["status"] == "pending"
        ids[answer.get_json()["id"]] = name
    return ids


def test_uncertain_sort_lists_least_sure_first(client: FlaskClient) -> None:
    names = post_all(client)
    listed = client.get("/v1/queue?sort=uncertain", headers=AUTH).get_json()["items"]
    order = [names[item["id"]] for item in listed]
    assert set(order[:2]) == {"unsure_spam", "unsure_toxic"}
    assert order[2:] == ["sure_spam", "plain"]


def test_claim_in_uncertain_order_leases_the_unsure_ones(client: FlaskClient) -> None:
    names = post_all(client)
    claimed = client.post("/v1/queue/claim", json={"limit": 2, "sort": "uncertain"}, headers=AUTH)
    assert {names[item["id"]] for item in claimed.get_json()["items"]} == {
        "unsure_spam",
        "unsure_toxic",
    }
