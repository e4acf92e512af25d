"""Writes to a Redis Cluster sent per master in one round trip, WAIT included.

redis-py's cluster pipeline sends each master's commands on one connection, but
it re-sends a redirected or failed command on its own, through another
connection, where a WAIT after it would count nothing. Here each master gets its
commands and the WAIT on one connection of its pool; a command that did not run
there (MOVED after a failover, TRYAGAIN, CLUSTERDOWN, the master unreachable)
is sent again, with the WAIT, once the slot table is read anew, until
``retry_seconds`` have passed. A replica takes 3-5 s to replace a killed master
(node timeout 2 s), so the default waits that long before the caller answers 503.

A command whose master could not be reached was never sent, and is sent again.
One sent on a connection that then failed may have run: it is sent again only
when the caller says it may run twice (``idempotent``: the comment script writes
the same id's fields again; a decision may not, and its caller answers 503).
An ``ASK`` redirection (a slot being migrated) is followed once with ``ASKING``
on the node it names.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import redis
from redis.cluster import ClusterNode, RedisCluster
from redis.exceptions import (
    AskError,
    ClusterDownError,
    MovedError,
    RedisClusterException,
    RedisError,
    ResponseError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.store.replication import Command, Durability

# Replies after which the command did not run where it was sent: safe to send again.
_NOT_RUN = (MovedError, TryAgainError, ClusterDownError)


class _NotSent(Exception):
    """No connection to the master: nothing was sent, so anything may be sent again."""

    def __init__(self, error: RedisError) -> None:
        super().__init__(str(error))
        self.error = error


class ClusterWrites:
    """Send (routing key, command) pairs to the masters that own the keys' slots."""

    def __init__(
        self,
        client: RedisCluster,
        durability: Durability,
        retry_seconds: float = 6.0,
        sleep: Callable[[float], None] = time.sleep,
        *,
        idempotent: bool = True,
    ) -> None:
        self.client = client
        self.durability = durability
        self.retry_seconds = retry_seconds
        self.idempotent = idempotent
        self._sleep = sleep

    def execute_many(self, calls: Sequence[tuple[str, Command]]) -> list[Any]:
        """Each command's reply in order; an error reply (or the last failure of a
        command that never ran) takes its command's place."""
        replies: list[Any] = [None] * len(calls)
        todo = list(range(len(calls)))
        deadline = time.monotonic() + self.retry_seconds
        delay = 0.05
        while True:
            groups, again = self._by_master(calls, todo, replies)
            for node, indices in groups:
                try:
                    answered = self._round_trip(node, [calls[i][1] for i in indices])
                except _NotSent as unsent:
                    for i in indices:
                        replies[i] = unsent.error
                    again += indices
                    continue
                except (RedisConnectionError, RedisTimeoutError) as error:
                    for i in indices:
                        replies[i] = error
                    if self.idempotent:
                        again += indices
                    continue
                for i, reply in zip(indices, answered, strict=True):
                    if isinstance(reply, AskError) and not isinstance(reply, MovedError):
                        reply = self._asking(reply, calls[i][1])
                    replies[i] = reply
                    if isinstance(reply, _NOT_RUN):
                        again.append(i)
            if not again or time.monotonic() + delay > deadline:
                return replies
            self._sleep(delay)
            delay = min(delay * 2, 0.5)
            self._refresh()
            todo = sorted(again)

    def _by_master(
        self, calls: Sequence[tuple[str, Command]], todo: list[int], replies: list[Any]
    ) -> tuple[list[tuple[ClusterNode, list[int]]], list[int]]:
        """The calls grouped by the master of their slot, and those of slots without one."""
        nodes: dict[str, ClusterNode] = {}
        groups: dict[str, list[int]] = defaultdict(list)
        uncovered: list[int] = []
        for i in todo:
            try:
                node = self.client.nodes_manager.get_node_from_slot(
                    self.client.keyslot(calls[i][0])
                )
            except RedisClusterException as error:  # slot not covered: failed over half-way
                replies[i] = ClusterDownError(str(error))
                uncovered.append(i)
                continue
            nodes[node.name] = node
            groups[node.name].append(i)
        return [(nodes[name], indices) for name, indices in groups.items()], uncovered

    def _round_trip(self, node: ClusterNode, commands: list[Command]) -> list[Any]:
        """Send the commands and the WAIT on one connection; the commands' replies."""
        wait = self.durability.wait_command()
        sent = [*commands, wait] if wait is not None else commands
        pool = self.client.get_redis_connection(node).connection_pool
        try:
            connection = pool.get_connection()
        except (RedisConnectionError, RedisTimeoutError) as error:
            raise _NotSent(error) from error
        try:
            connection.send_packed_command(connection.pack_commands(sent))
            replies: list[Any] = []
            for _command in sent:
                try:
                    replies.append(connection.read_response())
                except ResponseError as error:  # the other replies still follow
                    replies.append(error)
        except BaseException:
            connection.disconnect()  # a reply left unread would be taken for the next's
            raise
        finally:
            pool.release(connection)
        if wait is None:
            return replies
        return self.durability.settle(replies[:-1], replies[-1])

    def _asking(self, redirect: AskError, command: Command) -> Any:
        node = self.client.get_node(host=redirect.host, port=redirect.port)
        if node is None:
            return redirect
        try:
            _asked, reply = self._round_trip(node, [("ASKING",), command])
        except _NotSent as unsent:
            return unsent.error
        except RedisError as error:
            return error
        return reply

    def _refresh(self) -> None:
        """Read the slot table anew (a replica may own the slots now)."""
        # No node answering yet is no error here: the next round tries again.
        with contextlib.suppress(RedisError, RedisClusterException):
            self.client.nodes_manager.initialize()


def write_replicated(
    client: redis.Redis,
    durability: Durability,
    calls: Sequence[tuple[str, Command]],
    *,
    idempotent: bool = True,
) -> list[Any]:
    """Run (routing key, command) pairs, then WAIT as ``durability`` asks: one connection
    per master (a cluster's, through ``ClusterWrites``), replies in order, errors in place."""
    cluster: Any = client
    if isinstance(cluster, RedisCluster):
        return ClusterWrites(cluster, durability, idempotent=idempotent).execute_many(calls)
    wait = durability.wait_command()
    # A pipeline of a single Redis holds one connection: the WAIT counts these writes.
    pipe = client.pipeline(transaction=False)
    for _key, command in calls:
        pipe.execute_command(*command)
    if wait is not None:
        pipe.execute_command(*wait)
    replies = list(pipe.execute(raise_on_error=False))
    return replies if wait is None else durability.settle(replies[:-1], replies[-1])
