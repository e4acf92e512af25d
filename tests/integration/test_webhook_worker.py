"""The webhook worker as `modq serve` runs it: a process, killed and restarted mid-delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from service.integrations.webhooks.endpoints import EndpointRegistry
from service.integrations.webhooks.events import EventType
from service.integrations.webhooks.outbox import Outbox
from service.runtime.redis_server import RedisServer
from tests.integration.webhook_support import Received, Receiver, store_comment, verify

pytestmark = pytest.mark.slow


def _worker(redis_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
    env.update(
        MODQ_REDIS_URL=redis_url,
        MODQ_WEBHOOK_TIMEOUT="1",  # a claim lasts 2 x 1 + 5 s
        MODQ_WEBHOOK_POLL_SECONDS="0.05",
        MODQ_WEBHOOK_RETRY_SCHEDULE="0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2",
    )
    with open(log, "ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from service.cli.main import main; main()",
                "webhooks",
                "worker",
            ],
            env=env,
            stdout=out,
            stderr=out,
        )


@pytest.fixture
def client(own_redis: RedisServer) -> Iterator[redis.Redis]:
    c = redis.Redis.from_url(own_redis.url, decode_responses=True)
    yield c
    c.close()


def test_killed_mid_delivery_and_restarted_every_event_arrives(
    client: redis.Redis, own_redis: RedisServer, tmp_path: Path
) -> None:
    receiver = Receiver(answer=lambda _: (204, {}, 0.8)).start()
    _, secret = EndpointRegistry(client).add(receiver.url, (EventType.CREATED,))
    ids = [store_comment(client) for _ in range(6)]
    worker = _worker(own_redis.url, tmp_path / "worker.log")
    try:
        receiver.wait_for(lambda got: len(got) >= 1, timeout=20)
        os.kill(worker.pid, signal.SIGKILL)  # the claims it held are left to expire
        worker.wait()
        receiver.answer = lambda _: (204, {}, 0.0)
        worker = _worker(own_redis.url, tmp_path / "worker.log")

        def all_ids(got: list[Received]) -> bool:
            return {r.event["data"]["id"] for r in got} >= set(ids)

        receiver.wait_for(all_ids, timeout=30)
        for received in receiver.received:
            verify(received, secret)
        # the first worker's claims run out (2 x 1 + 5 s), the second sends them again
        deadline = time.monotonic() + 30
        while Outbox(client).pending_count() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert Outbox(client).pending_count() == 0, (tmp_path / "worker.log").read_text()
        assert len(receiver.received) > len(ids)  # at least once: some came twice
    finally:
        worker.terminate()
        worker.wait(15)
        receiver.stop()


def test_a_redis_restart_under_the_worker_loses_nothing(
    client: redis.Redis, own_redis: RedisServer, tmp_path: Path
) -> None:
    answers = iter([500] * 3)
    receiver = Receiver(answer=lambda _: (next(answers, 204), {}, 0.0)).start()
    EndpointRegistry(client).add(receiver.url, (EventType.CREATED,))
    ids = [store_comment(client) for _ in range(4)]
    worker = _worker(own_redis.url, tmp_path / "worker.log")
    try:
        receiver.wait_for(lambda got: len(got) >= 2, timeout=20)
        own_redis.restart()  # the append-only file brings every queued message back
        more = [store_comment(client) for _ in range(2)]
        receiver.wait_for(
            lambda got: {r.event["data"]["id"] for r in got} >= set(ids + more), timeout=30
        )
        assert worker.poll() is None  # the worker rode out the restart
    finally:
        worker.terminate()
        worker.wait(15)
        receiver.stop()
