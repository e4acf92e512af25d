"""Promote and roll back under load: every gunicorn worker switches models, no request fails."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from classifier.promotion import promote
from classifier.train import train
from service.cli.models import models_group
from service.runtime.redis_server import RedisServer
from tests.integration.gunicorn_support import GunicornServer
from tests.integration.retrain_support import write_base_csv

WORKERS = 3
HOLD_ALL = {
    "MODQ_SPAM_REVIEW": "0",
    "MODQ_SPAM_REJECT": "1",
    "MODQ_TOXICITY_REVIEW": "1",
    "MODQ_TOXICITY_REJECT": "1",
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A models directory with two models (the second a relabeled copy of the first), v1 current."""
    root = tmp_path_factory.mktemp("reload")
    models = root / "models"
    first = train([write_base_csv(root / "base.csv")], models).version
    second = f"{first}-b"
    shutil.copytree(models / first, models / second)
    card_path = models / second / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["version"] = second
    card_path.write_text(json.dumps(card), encoding="utf-8")
    promote(first, models)
    return models, first, second


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,
    registry: tuple[Path, str, str],
) -> Iterator[GunicornServer]:
    if redis_server.process is None:
        redis_server.start()
    models, _, _ = registry
    gunicorn = GunicornServer(
        tmp_path_factory.mktemp("gunicorn"),
        redis_server.url,
        {"MODQ_MODELS_DIR": str(models), "MODQ_MODEL_RELOAD_SECONDS": "0.2", **HOLD_ALL},
        app="service.wsgi:app",
        workers=WORKERS,
    )
    gunicorn.start()
    gunicorn.wait_for_workers(WORKERS)
    yield gunicorn
    gunicorn.stop()


class Load:
    """Threads that score comments and read /v1/model without pause, recording every answer."""

    def __init__(self, server: GunicornServer, threads: int = 4) -> None:
        self.server = server
        self.stop = threading.Event()
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]

    def run(self) -> None:
        session = requests.Session()
        body = {"comments": [{"text": "you are a clown #1"}, {"text": "nice article"}]}
        while not self.stop.is_set():
            try:
                scored = session.post(self.server.url("/v1/score"), json=body, timeout=10)
                info = session.get(self.server.url("/v1/model"), timeout=10)
                with self.lock:
                    self.statuses[scored.status_code] += 1
                    self.statuses[info.status_code] += 1
            except requests.RequestException as error:
                with self.lock:
                    self.errors.append(repr(error))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def wait_for_version(server: GunicornServer, version: str, timeout: float = 30.0) -> None:
    """Until many answers in a row (from every worker, in all likelihood) report ``version``."""
    deadline = time.monotonic() + timeout
    in_a_row = 0
    seen: Counter[str] = Counter()
    while time.monotonic() < deadline:
        reported = requests.get(server.url("/v1/model"), timeout=10).json()["version"]
        seen[reported] += 1
        in_a_row = in_a_row + 1 if reported == version else 0
        if in_a_row >= 10 * WORKERS:
            return
        time.sleep(0.01)
    raise AssertionError(f"/v1/model did not settle on {version}: saw {dict(seen)}")


@pytest.mark.slow
def test_promote_and_rollback_switch_every_worker_under_load(
    server: GunicornServer, registry: tuple[Path, str, str]
) -> None:
    models, first, second = registry
    wait_for_version(server, first)
    runner = CliRunner()
    with Load(server) as load:
        time.sleep(0.5)
        promoted = runner.invoke(models_group, ["promote", second, "--models-dir", str(models)])
        assert promoted.exit_code == 0, promoted.output
        assert f"promoted {second} (was {first})" in promoted.output
        wait_for_version(server, second)

        comment = server.post_comment({"text": "scored after the promotion"}).json()
        assert comment["model_version"] == second

        rolled = runner.invoke(models_group, ["rollback", "--models-dir", str(models)])
        assert rolled.exit_code == 0, rolled.output
        assert f"rolled back from {second} to {first}" in rolled.output
        wait_for_version(server, first)
        time.sleep(0.5)
    assert load.errors == []
    assert set(load.statuses) == {200}, load.statuses
    assert sum(load.statuses.values()) > 50
    assert "now serving" in server.log_text()


def test_models_list_marks_the_current_one(registry: tuple[Path, str, str]) -> None:
    models, first, second = registry
    result = CliRunner().invoke(models_group, ["list", "--models-dir", str(models)])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines()[1:]]
    assert ["*", first] in [row[:2] for row in rows]
    assert [second] in [row[:1] for row in rows]
