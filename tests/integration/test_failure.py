"""Redis stops: storing answers 503 with Retry-After, /readyz 503, nothing 500; then recovery."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from service.runtime.redis_server import RedisServer
from tests.integration.gunicorn_support import GunicornServer


@pytest.fixture
def served(own_redis: RedisServer, tmp_path: Path) -> Iterator[GunicornServer]:
    server = GunicornServer(tmp_path / "gunicorn", own_redis.url, workers=2)
    server.start()
    yield server
    server.stop()


def assert_unavailable(response: requests.Response) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "unavailable"
    assert "Traceback" not in response.text


def test_redis_down_gives_503_then_service_returns_by_itself(
    served: GunicornServer, own_redis: RedisServer
) -> None:
    before = served.post_comment()
    assert before.status_code == 201
    location = before.headers["Location"]

    own_redis.kill()
    for _ in range(3):  # every worker, every pooled connection
        assert_unavailable(served.post_comment())
        assert_unavailable(requests.get(served.url(location), timeout=10))
        assert_unavailable(requests.get(served.url("/readyz"), timeout=10))
    assert requests.get(served.url("/healthz"), timeout=10).status_code == 200
    scored = requests.post(served.url("/v1/score"), json={"comments": [{"text": "hi"}]}, timeout=10)
    assert scored.status_code == 200  # scoring needs no Redis

    own_redis.start()  # same port, same append-only file
    for _ in range(4):
        assert requests.get(served.url("/readyz"), timeout=10).status_code == 200
        after = served.post_comment()
        assert after.status_code == 201
    # What the client was told is stored survived the crash.
    assert requests.get(served.url(location), timeout=10).status_code == 200
    assert '"status": 500' not in served.log_text()


def test_concurrent_posts_while_redis_dies_lose_nothing_they_confirmed(
    served: GunicornServer, own_redis: RedisServer
) -> None:
    """Writes of concurrent requests share Redis round trips (a group commit): when
    Redis dies under them, each request gets 201 or 503, never 500, and every
    comment answered 201 is there after the restart."""
    answers: list[requests.Response] = []
    lock = threading.Lock()
    stop = threading.Event()

    def post_until_stopped(worker: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            response = served.post_comment({"text": f"Comment {n} from client {worker}, thanks."})
            with lock:
                answers.append(response)

    clients = [threading.Thread(target=post_until_stopped, args=(i,)) for i in range(12)]
    for client in clients:
        client.start()
    time.sleep(1.5)
    own_redis.kill()  # mid-traffic: writes in flight fail together
    time.sleep(1.0)
    own_redis.start()  # same port, same append-only file
    time.sleep(1.5)
    stop.set()
    for client in clients:
        client.join(30)
    confirmed = [a.json()["id"] for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code != 201]
    assert refused and len(confirmed) > 20
    for response in refused:
        assert_unavailable(response)
    for comment_id in confirmed:
        assert requests.get(served.url(f"/v1/comments/{comment_id}"), timeout=10).status_code == 200
    assert '"status": 500' not in served.log_text()


def test_unexpected_error_is_a_json_500_without_traceback(redis_server: RedisServer) -> None:
    from service.http.app import create_app
    from service.moderation.model_holder import ModelHolder
    from service.settings import Settings
    from tests.fake_model import FakeModel

    class BrokenModel(FakeModel):
        def score(self, comments):  # type: ignore[no-untyped-def]
            raise ZeroDivisionError("boom")

    app = create_app(
        # A live Redis: the intake asks it whether any site exists before it scores.
        Settings(redis_url=redis_server.url),
        models=ModelHolder(BrokenModel()),  # type: ignore[arg-type]
    )
    response = app.test_client().post(
        "/v1/comments", json={"name": "A", "email": "a@example.org", "text": "hi"}
    )
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "boom" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_worker_starts_without_redis_and_serves_once_it_is_up(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    own_redis.kill()  # a worker connects as it starts; Redis not there must not stop it
    server = GunicornServer(tmp_path / "gunicorn", own_redis.url, workers=2)
    try:
        server.start()
        server.wait_for_workers(2)
        assert_unavailable(server.post_comment())
        own_redis.start()
        assert server.post_comment().status_code == 201
    finally:
        server.stop()
