"""Coral's external moderation phase, with requests built as coralproject/talk builds them.

``phases/external.ts`` builds the request object; ``services/fetch/fetch.ts``
(generateFetchOptions) sends ``JSON.stringify(request, null, 2)`` with Content-Type
application/json and ``X-Coral-Signature``; ``models/settings/signingSecret/helpers.ts``
(generateSignatures) signs with each active secret: ``sha256=<hex HMAC-SHA256>``
keyed by the secret string itself, joined by ",".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask.testing import FlaskClient

from service.http.app import create_app
from service.moderation.model_holder import ModelHolder
from service.settings import Mode, Settings, Thresholds
from service.sites import SiteRegistry
from tests.fake_model import FakeModel

SECRET = "empsec_" + "ab" * 34
OLD_SECRET = "empsec_" + "cd" * 34
THRESHOLDS = Thresholds(spam_review=0.5, spam_reject=0.9, toxicity_review=0.5, toxicity_reject=0.9)


def coral_request(body: str, role: str = "COMMENTER", action: str = "NEW") -> dict[str, Any]:
    """ExternalModerationRequest, field for field as processPhase fills it."""
    return {
        "action": action,
        "comment": {"body": body, "parentID": None},
        "author": {"id": "5f1c2a9e-1d2b-4c3d-9e8f-0a1b2c3d4e5f", "role": role},
        "story": {"id": "story-1", "url": "https://news.example/2026/12/07/story"},
        "site": {"id": "site-1"},
        "tenantID": "tenant-1",
        "tenantDomain": "comments.news.example",
    }


def coral_signature(secrets: list[str], body: str) -> str:
    """generateSignatures: one sha256=<hex> per active secret, joined by commas."""
    return ",".join(
        "sha256=" + hmac.new(s.encode(), body.encode(), hashlib.sha256).hexdigest() for s in secrets
    )


def post(
    client: FlaskClient, data: dict[str, Any], secrets: list[str] | None = None, site: str = "news"
) -> Any:
    body = json.dumps(data, indent=2, ensure_ascii=False)  # JSON.stringify(data, null, 2)
    return client.post(
        f"/v1/integrations/coral?site={site}",
        data=body.encode(),
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Coral Moderation/8.0.0",
            "X-Coral-Signature": coral_signature(secrets or [SECRET], body),
        },
    )


def _client(redis_client: redis.Redis, **settings: Any) -> FlaskClient:
    app = create_app(
        Settings(thresholds=THRESHOLDS, **settings),
        models=ModelHolder(FakeModel()),  # type: ignore[arg-type]
        redis_client=redis_client,
    )
    return app.test_client()


@pytest.fixture
def client(redis_client: redis.Redis) -> Iterator[FlaskClient]:
    SiteRegistry(redis_client).add("news", coral_secret=SECRET)
    yield _client(redis_client)


def test_a_clean_comment_is_approved(client: FlaskClient) -> None:
    answer = post(client, coral_request("<p>Thanks for the careful reporting.</p>"))
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "APPROVED", "actions": []}


def test_spam_is_rejected_and_flagged(client: FlaskClient) -> None:
    answer = post(client, coral_request("Cheap viagra and casino deals here"))
    assert answer.get_json() == {
        "status": "REJECTED",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}],
    }


def test_a_doubtful_toxic_comment_goes_to_coral_premod(client: FlaskClient) -> None:
    answer = post(client, coral_request("That is a stupid take", action="EDIT"))
    assert answer.get_json() == {
        "status": "PREMOD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
    }


def test_staff_are_approved(client: FlaskClient) -> None:
    answer = post(client, coral_request("casino casino", role="STAFF"))
    assert answer.get_json()["status"] == "APPROVED"


def test_either_signature_works_while_coral_rotates(client: FlaskClient) -> None:
    answer = post(client, coral_request("Fine."), secrets=[OLD_SECRET, SECRET])
    assert answer.status_code == 200


def test_a_wrong_or_missing_signature_is_401(client: FlaskClient) -> None:
    assert post(client, coral_request("Fine."), secrets=[OLD_SECRET]).status_code == 401
    answer = client.post("/v1/integrations/coral?site=news", json=coral_request("Fine."))
    assert answer.status_code == 401
    assert answer.get_json()["error"]["code"] == "invalid_signature"


def test_an_unknown_site_is_404(client: FlaskClient) -> None:
    answer = post(client, coral_request("Fine."), site="elsewhere")
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "unknown_site"


def test_a_signed_body_of_the_wrong_shape_is_422(client: FlaskClient) -> None:
    answer = post(client, {"action": "DELETE"})
    assert answer.status_code == 422
    assert "comment" in answer.get_json()["error"]["fields"]


def test_nothing_is_stored(client: FlaskClient, redis_client: redis.Redis) -> None:
    post(client, coral_request("Cheap viagra"))
    assert [k for k in redis_client.scan_iter("modq:{*}:comment:*")] == []


def test_shadow_mode_gives_no_decision(redis_client: redis.Redis) -> None:
    SiteRegistry(redis_client).add("news", coral_secret=SECRET)
    answer = post(_client(redis_client, mode=Mode.SHADOW), coral_request("casino viagra"))
    assert answer.status_code == 204


def test_it_answers_well_inside_coral_s_200_ms(client: FlaskClient) -> None:
    post(client, coral_request("warm up"))
    started = time.perf_counter()
    for _ in range(20):
        post(client, coral_request("Another ordinary comment about the story."))
    assert (time.perf_counter() - started) / 20 < 0.1
