"""ClusterWrites against the private Redis Cluster: what is sent again, and what is not."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import SlotNotCoveredError

from service.store import cluster_writes
from service.store.cluster_writes import ClusterWrites
from service.store.replication import Durability

KEY = "modq:{default}:probe"
PATIENT = Durability(replicas=1, timeout_ms=10_000)


def writes(client: redis.Redis, *, idempotent: bool = True) -> ClusterWrites:
    return ClusterWrites(client, PATIENT, sleep=lambda _s: None, idempotent=idempotent)  # type: ignore[arg-type]


def test_writes_reach_the_master_and_a_replica(cluster_client: redis.Redis) -> None:
    replies = writes(cluster_client).execute_many(
        [(KEY, ("SET", KEY, "1")), ("modq:{other}:probe", ("INCR", "modq:{other}:probe"))]
    )
    assert replies == ["OK", 1]
    assert cluster_client.get(KEY) == "1"


def test_a_slot_without_a_master_is_tried_again(
    cluster_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager: Any = cluster_client.nodes_manager  # type: ignore[attr-defined]
    real = manager.get_node_from_slot
    calls = {"n": 0}

    def mid_failover(slot: int, *args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise SlotNotCoveredError(f"Slot {slot} is not covered by the cluster.")
        return real(slot, *args)

    monkeypatch.setattr(manager, "get_node_from_slot", mid_failover)
    assert writes(cluster_client).execute_many([(KEY, ("SET", KEY, "2"))]) == ["OK"]


def test_a_decision_is_sent_again_only_if_it_never_left(
    cluster_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = writes(cluster_client, idempotent=False)
    real = sender._round_trip
    failures: list[Exception] = [
        cluster_writes._NotSent(RedisConnectionError("refused")),
        RedisConnectionError("reset after sending"),
    ]

    def flaky(node: Any, commands: Any) -> list[Any]:
        if failures:
            raise failures.pop(0)
        return real(node, commands)

    monkeypatch.setattr(sender, "_round_trip", flaky)
    # not sent: tried again; sent and then lost: reported, not sent twice
    reply = sender.execute_many([(KEY, ("INCR", KEY))])
    assert isinstance(reply[0], RedisConnectionError)
    assert cluster_client.get(KEY) is None
    assert sender.execute_many([(KEY, ("INCR", KEY))]) == [1]
