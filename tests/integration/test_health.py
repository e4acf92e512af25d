"""Operations endpoints: probes, the model, Prometheus metrics across workers."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from service.metrics import FLUSH_INTERVAL_S
from service.runtime.redis_server import RedisServer
from tests.integration.gunicorn_support import GunicornServer


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    if redis_server.process is None:
        redis_server.start()
    server = GunicornServer(
        tmp_path_factory.mktemp("gunicorn"),
        redis_server.url,
        {"MODQ_SPAM_REVIEW": "0", "MODQ_SPAM_REJECT": "1"},
        workers=2,
    )
    server.start()
    server.wait_for_workers(2)
    yield server
    server.stop()


def test_probes(two_workers: GunicornServer) -> None:
    assert requests.get(two_workers.url("/healthz"), timeout=10).json() == {"status": "ok"}
    ready = requests.get(two_workers.url("/readyz"), timeout=10)
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["model_version"]


def test_model_shows_the_thresholds_in_force(two_workers: GunicornServer) -> None:
    info = requests.get(two_workers.url("/v1/model"), timeout=10).json()
    assert info["version"]
    assert info["thresholds"]["spam"] == {"review": 0.0, "reject": 1.0}  # from MODQ_SPAM_*
    assert set(info["thresholds"]["toxicity"]) == {"review", "reject"}
    assert "metrics" in info


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_add_up_over_every_worker(two_workers: GunicornServer) -> None:
    response = requests.get(two_workers.url("/metrics"), timeout=10)
    assert response.headers["Content-Type"].startswith("text/plain")
    # Earlier requests of this module are in the files once every worker has flushed.
    time.sleep(3 * FLUSH_INTERVAL_S)
    before = two_workers.metrics_when(lambda _text: True)
    for _ in range(20):  # new connections: spread over both workers
        assert two_workers.post_comment(headers={"Connection": "close"}).status_code == 201
    endpoint = {"endpoint": "/v1/comments", "method": "POST", "status": "201"}

    def posted(text: str) -> float:
        return _sample(text, "modq_http_requests_total", **endpoint) - _sample(
            before, "modq_http_requests_total", **endpoint
        )

    # A scrape flushes its own worker; the other's updates follow within FLUSH_INTERVAL_S.
    after = two_workers.metrics_when(lambda text: posted(text) >= 20)
    assert posted(after) == pytest.approx(20)
    decided = _sample(after, "modq_decisions_total", status="pending") - _sample(
        before, "modq_decisions_total", status="pending"
    )
    assert decided == pytest.approx(20)
    assert _sample(after, "modq_comment_score_count", head="spam") >= 20
    assert _sample(after, "modq_http_request_duration_seconds_count", endpoint="/v1/comments") >= 20
    pids = {line for line in two_workers.log_text().splitlines() if "Booting worker" in line}
    assert len(pids) == 2
