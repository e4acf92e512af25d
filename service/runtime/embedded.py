"""The embedded Redis: a real redis-server under ``$MODQ_DATA_DIR/redis`` for one machine.

When ``MODQ_REDIS_URL`` is unset, `modq serve` and the CLI's commands that need
Redis use the redis-server recorded in ``<data_dir>/redis/redis.port`` and
``redis.pid`` if it still answers, else start one there (append-only file on).
Whoever starts it stops it when done; a second command meanwhile reuses it.
A file lock makes two commands starting at once agree on one server.

Other CLI commands get their client with::

    with redis_client_for_cli(settings) as client:
        ...
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from service.runtime.redis_server import RedisServer
from service.runtime.supervisor import RedisSupervisor
from service.settings import Settings

PORT_FILE = "redis.port"
PID_FILE = "redis.pid"
LOCK_FILE = ".lock"


@dataclass
class EmbeddedRedis:
    """A Redis URL and, if this process started the server, the server to stop."""

    url: str
    server: RedisServer | None
    supervisor: RedisSupervisor | None = None

    @property
    def started_here(self) -> bool:
        """Whether stopping is this process's job."""
        return self.server is not None

    def stop(self) -> None:
        """Stop the server if this process started it (SIGTERM: the AOF is flushed)."""
        if self.supervisor is not None:
            self.supervisor.stop()  # first: a stop on purpose is not a crash to undo
            self.supervisor = None
        if self.server is not None:
            self.server.stop()
            (self.server.directory / PORT_FILE).unlink(missing_ok=True)
            self.server = None

    def supervise(self, on_restart: Callable[[int, int | None, float], None]) -> None:
        """Restart the server whenever it dies, until ``stop`` (only if started here)."""
        if self.server is not None and self.supervisor is None:
            self.supervisor = RedisSupervisor(self.server, on_restart)
            self.supervisor.start()


def running_embedded_url(directory: Path) -> str | None:
    """The URL of a live embedded Redis recorded in ``directory``, else None."""
    try:
        port = int((directory / PORT_FILE).read_text().strip())
        pid = int((directory / PID_FILE).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by someone else; PING decides
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=1.0)
    try:
        return url if client.ping() else None
    except redis.RedisError:
        return None
    finally:
        client.close()


def ensure_embedded_redis(directory: Path) -> EmbeddedRedis:
    """Reuse the embedded Redis in ``directory`` if it runs, else start it."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_FILE, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        url = running_embedded_url(directory)
        if url is not None:
            return EmbeddedRedis(url=url, server=None)
        server = RedisServer(directory, new_session=True)
        server.start()
        (directory / PORT_FILE).write_text(f"{server.port}\n")
        return EmbeddedRedis(url=server.url, server=server)


def redis_url_for_cli(redis_url: str | None, redis_dir: Path) -> tuple[str, EmbeddedRedis | None]:
    """MODQ_REDIS_URL if set, else the embedded Redis's URL (started if needed)."""
    if redis_url is not None:
        return redis_url, None
    embedded = ensure_embedded_redis(redis_dir)
    return embedded.url, embedded


@contextlib.contextmanager
def redis_client_for_cli(settings: Settings) -> Iterator[redis.Redis]:
    """A Redis client the way the service gets one; stops an embedded Redis it started."""
    from service.store.connections import create_redis_client

    url, embedded = redis_url_for_cli(settings.redis_url, settings.redis_dir)
    client = create_redis_client(url, settings.redis_timeout_ms)
    try:
        yield client
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()
