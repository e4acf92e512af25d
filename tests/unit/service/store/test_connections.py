"""The writes' own Redis connection: replies in order, errors in place, a lost
connection replaced, never a socket shared across a fork."""

from __future__ import annotations

import os

import pytest
import redis

from service.store.connections import DedicatedConnection


def test_replies_come_back_in_order_with_an_error_in_its_place(
    redis_client: redis.Redis,
) -> None:
    redis_client.hset("h", "f", "v")
    replies = DedicatedConnection(redis_client).execute_many(
        [("SET", "a", "1"), ("INCR", "h"), ("GET", "a")]
    )
    assert replies[0] == "OK"  # raw replies: no response callbacks
    assert isinstance(replies[1], redis.ResponseError)  # WRONGTYPE
    assert replies[2] == "1"  # decoded as the client's other connections decode


def test_a_killed_connection_is_replaced_and_the_commands_sent_again(
    redis_client: redis.Redis,
) -> None:
    connection = DedicatedConnection(redis_client)
    assert connection.execute_many([("CLIENT", "SETNAME", "writes")]) == ["OK"]
    killed = redis_client.client_kill_filter(_type=None, skipme=True)
    assert killed >= 1  # as a restarted Redis drops every connection
    assert connection.execute_many([("SET", "k", "v"), ("GET", "k")])[1] == "v"


def test_a_dead_redis_raises_a_connection_error(redis_client: redis.Redis) -> None:
    dead = redis.Redis(port=1, socket_connect_timeout=0.2, decode_responses=True)
    with pytest.raises(redis.ConnectionError):
        DedicatedConnection(dead).execute_many([("PING",)])


def test_a_forked_child_opens_its_own_connection(redis_client: redis.Redis) -> None:
    connection = DedicatedConnection(redis_client)
    connection.execute_many([("CLIENT", "SETNAME", "parent")])
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child names its connection: if it were the parent's, it would rename it
        try:
            ok = connection.execute_many([("CLIENT", "SETNAME", "child")]) == ["OK"]
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1) == b"1"
    assert connection.execute_many([("CLIENT", "GETNAME")]) == ["parent"]
