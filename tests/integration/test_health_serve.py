"""`modq serve` with MODQ_REDIS_URL unset: embedded Redis, gunicorn, and no orphan on exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.http import children_of
from service.runtime.redis_server import free_port
from tests.integration.gunicorn_support import ROOT


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Serve:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        env.update(
            {"MODQ_DATA_DIR": str(data_dir), "MODQ_PORT": str(self.port), "MODQ_WORKERS": "1"}
        )
        self.log = open(data_dir / "serve.log", "wb")  # noqa: SIM115
        # Its own session, as a terminal would run it: Ctrl-C goes to the whole group.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli.main", "serve"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.data_dir / "serve.log").read_text()
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/readyz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("modq serve did not become ready")

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    running = Serve(tmp_path)
    yield running
    running.close()


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_serve_starts_embedded_redis_and_leaves_no_orphan(serve: Serve, how: str) -> None:
    serve.wait_ready()
    answer = requests.post(
        f"http://127.0.0.1:{serve.port}/v1/comments",
        json={"name": "Ada", "email": "ada@example.org", "text": "Hello there"},
        timeout=10,
    )
    assert answer.status_code == 201
    redis_pid = int((serve.data_dir / "redis" / "redis.pid").read_text())
    gunicorn_pids = set(children_of(serve.process.pid)) - {redis_pid}
    workers = {w for g in gunicorn_pids for w in children_of(g)}
    assert alive(redis_pid) and gunicorn_pids and workers

    if how == "ctrl-c":
        os.killpg(serve.process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    else:
        serve.process.send_signal(signal.SIGTERM)  # a process manager stopping modq
    assert serve.process.wait(60) == 0 or how == "ctrl-c"

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(
        alive(p) for p in {redis_pid} | gunicorn_pids | workers
    ):
        time.sleep(0.1)
    assert not alive(redis_pid), "embedded Redis left running"
    assert not any(alive(p) for p in gunicorn_pids | workers), "gunicorn left running"
    log = (serve.data_dir / "serve.log").read_text(errors="replace")
    assert "Traceback" not in log and "SystemExit" not in log, log[-3000:]
    aof = list((serve.data_dir / "redis").rglob("*.aof"))
    assert aof, "the embedded Redis keeps an append-only file under $MODQ_DATA_DIR/redis"


def test_serve_refuses_a_port_in_use_at_once_and_starts_nothing(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
        env.update({"MODQ_DATA_DIR": str(tmp_path), "MODQ_PORT": str(port)})
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "service.cli.main", "serve"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert time.monotonic() - started < 20  # not gunicorn's five retries after loading
    assert not (tmp_path / "redis" / "redis.pid").exists()  # no Redis started for nothing
