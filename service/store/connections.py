"""One Redis connection kept for one caller that never runs twice at once.

redis-py's pipeline takes a connection from the pool for each call: a lock, a
fork check, a poll of the socket to see that no stale reply waits on it, a retry
wrapper, then the pipeline's own bookkeeping. Under the HTTP bench that was about
a third of the CPU the comment writes cost, the socket calls being the rest. The
intake's writes already go through one leader at a time (``service.concurrency.batching``), so
they can keep a connection of their own and only pack, send and read.

What the pool's path gave is kept: the connection is made in the process that uses
it (gunicorn forks after loading the app), its health check runs as the pool's
does (a PING after ``health_check_interval`` idle seconds), a connection or
error drops the socket and the commands are sent once more on a new one (the
client's ``Retry`` of one retry does the same; a timeout drops the socket and is
raised at once, so a hung Redis costs one ``MODQ_REDIS_TIMEOUT_MS``, not two), and
an error reply takes its command's place among the replies without failing the others.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import redis
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from service.settings import DEFAULT_REDIS_TIMEOUT_MS

Command = Sequence[Any]


class DedicatedConnection:
    """A connection of the client's pool settings, for one caller at a time."""

    def __init__(self, client: redis.Redis) -> None:
        self._pool = client.connection_pool
        self._connection: Any = None
        self._pid = 0

    def execute_many(self, commands: Sequence[Command]) -> list[Any]:
        """Send the commands in one write and read their replies, in order; an error
        reply (``ResponseError``) is returned in its command's place. A connection
        error is raised when a second connection fails too; a timeout at once."""
        try:
            return self._round_trip(commands)
        except RedisTimeoutError:
            raise  # _round_trip dropped the socket; waiting again would double the cost
        except RedisConnectionError:
            self._drop()
            return self._round_trip(commands)  # a new connection, as the client's Retry

    def _round_trip(self, commands: Sequence[Command]) -> list[Any]:
        connection = self._current()
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            replies: list[Any] = []
            for _command in commands:
                try:
                    replies.append(connection.read_response())
                except ResponseError as error:  # the other replies still follow
                    replies.append(error)
            return replies
        except BaseException:
            # A reply left unread would be taken for the next command's.
            self._drop()
            raise

    def _current(self) -> Any:
        pid = os.getpid()
        if self._connection is None or self._pid != pid:
            # Never the parent's socket after a fork: a new connection in this process.
            self._connection = self._pool.connection_class(**self._pool.connection_kwargs)
            self._pid = pid
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.disconnect()
        self._connection = None


def create_redis_client(url: str, timeout_ms: int = DEFAULT_REDIS_TIMEOUT_MS) -> redis.Redis:
    """A pooled client with short timeouts, so a dead or hung Redis gives a quick 503.

    One quick retry on a connection error: after a Redis restart the first command
    on a pooled connection fails, and the retry reconnects; more retries would only
    make a dead Redis slower to report. A timeout (a hung Redis) is not retried: it
    costs ``timeout_ms`` (MODQ_REDIS_TIMEOUT_MS) once.
    """
    timeout = timeout_ms / 1000.0
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=min(1.0, timeout),
        health_check_interval=15,
        retry=Retry(
            ExponentialBackoff(cap=0.05, base=0.01),
            retries=1,
            supported_errors=(redis.ConnectionError,),
        ),
    )
