"""A real gunicorn serving modq on a free port of 127.0.0.1, for integration tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
# The WSGI app the tests serve: the real service with its default model.
APP = "service.wsgi:app"


class GunicornServer:
    """gunicorn with modq's config, its own data directory and log file."""

    def __init__(
        self,
        directory: Path,
        redis_url: str,
        env: dict[str, str] | None = None,
        *,
        app: str = APP,
        workers: int = 1,
    ) -> None:
        self.directory = directory
        # gunicorn gets a socket already listening on a port of ours (fd://): no race with
        # another process picking the same "free" port between our check and its bind.
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = int(self.listener.getsockname()[1])
        self.log_path = directory / "gunicorn.log"
        self.app = app
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("MODQ_") and k != "PROMETHEUS_MULTIPROC_DIR"
        }
        self.env.update(
            {
                "MODQ_REDIS_URL": redis_url,
                "MODQ_HOST": "127.0.0.1",
                "MODQ_PORT": str(self.port),
                "MODQ_WORKERS": str(workers),
                "MODQ_THREADS": "4",
                "MODQ_DATA_DIR": str(directory / "data"),
                "MODQ_LOG_LEVEL": "INFO",
                # The tests post thousands of comments from 127.0.0.1; the rate limit
                # tests set their own limits.
                "MODQ_RATE_LIMIT": "off",
                "MODQ_SITE_RATE_LIMIT": "off",
                "MODQ_AUTH_RATE_LIMIT": "off",
                # A shared 2-core test machine's fsync can stall past the default 500 ms;
                # the tests of the timeout itself set their own.
                "MODQ_REDIS_TIMEOUT_MS": "2000",
            }
        )
        self.env.update(env or {})
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def start(self, timeout: float = 60.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it for its lifetime
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:service.runtime.gunicorn_config",
                "--bind",
                f"fd://{self.listener.fileno()}",
                self.app,
            ],
            pass_fds=[self.listener.fileno()],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log_text()[-3000:]}")
            try:
                if requests.get(self.url("/healthz"), timeout=1).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or busy loading
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer in {timeout}s:\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        self.listener.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_workers(self, count: int, timeout: float = 30.0) -> None:
        """Until ``count`` workers have booted: /healthz answers as soon as the first does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log_text().count("Booting worker") >= count:
                return
            time.sleep(0.1)
        tail = self.log_text()[-3000:]
        raise RuntimeError(f"{count} workers did not boot in {timeout}s:\n{tail}")

    def metrics_when(self, ready: Callable[[str], bool], timeout: float = 10.0) -> str:
        """The /metrics text once ``ready`` holds for it: each worker applies its requests'
        metrics every ``service.metrics.FLUSH_INTERVAL_S``, the scraped one at once."""
        deadline = time.monotonic() + timeout
        while True:
            text = requests.get(self.url("/metrics"), timeout=10).text
            if ready(text) or time.monotonic() > deadline:
                return text
            time.sleep(0.05)

    def post_comment(self, body: dict[str, Any] | None = None, **kwargs: Any) -> requests.Response:
        """POST /v1/comments with a valid JSON comment, updated by ``body``."""
        comment = {"name": "Ada", "email": "ada@example.org", "text": "Thanks, a clear article."}
        comment.update(body or {})
        return requests.post(self.url("/v1/comments"), json=comment, timeout=10, **kwargs)
