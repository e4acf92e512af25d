"""`modq serve` restarts its embedded Redis when it dies; a hung Redis costs one timeout."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from service.runtime.redis_server import RedisServer
from tests.integration.gunicorn_support import GunicornServer
from tests.integration.test_health_serve import Serve, alive

COMMENT = {"name": "Ada", "email": "ada@example.org", "text": "Hello there"}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    running = Serve(tmp_path)
    yield running
    redis_pid = tmp_path / "redis" / "redis.pid"
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)  # stops the Redis it started too
        with contextlib.suppress(Exception):
            running.process.wait(30)
    running.close()
    with contextlib.suppress(OSError, ValueError):
        os.kill(int(redis_pid.read_text()), signal.SIGKILL)


def _redis_pid(serve: Serve) -> int:
    return int((serve.data_dir / "redis" / "redis.pid").read_text())


def test_a_crashed_embedded_redis_is_restarted_on_the_same_files(serve: Serve) -> None:
    serve.wait_ready()
    base = f"http://127.0.0.1:{serve.port}"
    stored = requests.post(f"{base}/v1/comments", json=COMMENT, timeout=10)
    assert stored.status_code == 201
    first = _redis_pid(serve)
    os.kill(first, signal.SIGKILL)
    killed_at = time.monotonic()
    while time.monotonic() - killed_at < 5:
        with contextlib.suppress(OSError, ValueError):
            if _redis_pid(serve) != first and alive(_redis_pid(serve)):
                break
        time.sleep(0.02)
    back_in = time.monotonic() - killed_at
    assert back_in < 1.0, f"restarted after {back_in:.2f} s"
    # every acknowledged comment is back (same AOF), and the intake works again
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        answer = requests.get(f"{base}/v1/comments/{stored.json()['id']}", timeout=5)
        if answer.status_code == 200:
            break
        time.sleep(0.05)
    assert answer.status_code == 200, answer.text
    assert requests.post(f"{base}/v1/comments", json=COMMENT, timeout=10).status_code == 201
    # the supervisor logs once the new server answers, which may be just after the intake does
    line = "embedded Redis exited (code -9); restarted on the same files"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        log = (serve.data_dir / "serve.log").read_text(errors="replace")
        if line in log:
            break
        time.sleep(0.05)
    assert line in log
    metrics = requests.get(f"{base}/metrics", timeout=10).text
    assert "modq_embedded_redis_restarts_total 1.0" in metrics, [
        line for line in metrics.splitlines() if "restarts" in line
    ]


def test_a_hung_redis_costs_one_timeout(tmp_path: Path, own_redis: RedisServer) -> None:
    server = GunicornServer(tmp_path / "gunicorn", own_redis.url, {"MODQ_REDIS_TIMEOUT_MS": "300"})
    server.start()
    try:
        assert server.post_comment().status_code == 201
        assert own_redis.process is not None
        os.kill(own_redis.process.pid, signal.SIGSTOP)  # hung: connections open, no replies
        try:
            # spread over more than the site registry's one-second memory: one of these
            # requests finds it due and must still pay one timeout, not two
            for _ in range(3):
                started = time.monotonic()
                answer = server.post_comment()
                took = time.monotonic() - started
                assert answer.status_code == 503
                assert "Retry-After" in answer.headers
                assert took < 0.3 + 0.25, f"{took:.2f} s"
                time.sleep(0.4)
        finally:
            os.kill(own_redis.process.pid, signal.SIGCONT)
        deadline = time.monotonic() + 5
        while server.post_comment().status_code != 201:
            assert time.monotonic() < deadline, "no recovery after the hang"
            time.sleep(0.1)
    finally:
        server.stop()
