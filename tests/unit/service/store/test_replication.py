"""WAIT after writes: a comment or a decision is acknowledged only once replicas hold it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.exceptions import SlotNotCoveredError

from service.concurrency.batching import Batcher
from service.http.app import create_app
from service.moderation.model_holder import ModelHolder
from service.queue.review import Decision, ReviewQueue
from service.runtime.redis_server import RedisServer
from service.settings import Settings
from service.store import keys
from service.store.comments import CommentStore
from service.store.connections import create_redis_client
from service.store.replication import Durability, NotReplicatedError
from tests.fake_model import FakeModel
from tests.unit.service.store.test_comments import comment

ONE_REPLICA = Durability(replicas=1, timeout_ms=50)
# WAIT returns as soon as the replica has the writes: a long timeout costs nothing here
# and keeps a loaded machine from failing the test.
PATIENT = Durability(replicas=1, timeout_ms=10_000)


@pytest.fixture
def replicated(own_redis: RedisServer, tmp_path: Path) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    """A client of a master of this test alone, and one of its replica (link up)."""
    replica = RedisServer(tmp_path / "replica")
    replica.start()
    master_client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    replica_client = redis.Redis.from_url(replica.url, decode_responses=True)
    replica_client.replicaof(own_redis.host, own_redis.port)
    deadline = time.monotonic() + 10
    while replica_client.info("replication").get("master_link_status") != "up":
        assert time.monotonic() < deadline, "the replica did not sync"
        time.sleep(0.05)
    yield master_client, replica_client
    master_client.close()
    replica_client.close()
    replica.kill()


def test_short_wait_turns_successes_into_errors() -> None:
    failed = redis.ResponseError("NOSCRIPT")
    assert ONE_REPLICA.settle(["ok", failed], 1) == ["ok", failed]
    settled = ONE_REPLICA.settle(["ok", failed], 0)
    assert isinstance(settled[0], NotReplicatedError) and settled[1] is failed
    assert Durability().wait_command() is None


@pytest.mark.parametrize("batched", [False, True])
def test_a_comment_no_replica_holds_is_not_acknowledged(
    redis_client: redis.Redis, batched: bool
) -> None:
    store = CommentStore(redis_client, Batcher(max_batch=4) if batched else None, ONE_REPLICA)
    new = comment()
    with pytest.raises(NotReplicatedError, match="0 of 1 replicas"):
        store.save(new)
    # the master keeps it: a retried post with its external_id would find it
    assert redis_client.hget(keys.comment(new.id), "status") == "pending"


@pytest.mark.parametrize("batched", [False, True])
def test_an_acknowledged_comment_is_on_the_replica(
    replicated: tuple[redis.Redis, redis.Redis], batched: bool
) -> None:
    master, replica = replicated
    store = CommentStore(master, Batcher(max_batch=4) if batched else None, PATIENT)
    saved = store.save(comment())
    assert replica.hget(keys.comment(saved.id), "status") == "pending"  # no waiting needed


def test_a_decision_is_acknowledged_once_the_replica_holds_it(
    replicated: tuple[redis.Redis, redis.Redis], redis_client: redis.Redis
) -> None:
    master, replica = replicated
    saved = CommentStore(master).save(comment())
    ReviewQueue(master, durability=PATIENT).decide(saved.id, "alice", Decision.APPROVE)
    assert replica.hget(keys.comment(saved.id), "status") == "approved"
    assert replica.xlen(keys.decisions()) == 1
    # without a replica the same decision is refused (and its feed entry stays on the master)
    alone = CommentStore(redis_client).save(comment())
    with pytest.raises(NotReplicatedError):
        ReviewQueue(redis_client, durability=ONE_REPLICA).decide(
            alone.id, "alice", Decision.APPROVE
        )


def test_intake_answers_503_with_retry_after_when_no_replica_holds_the_comment(
    redis_client: redis.Redis,
) -> None:
    settings = Settings(
        secret_key="s" * 64, secret_key_generated=False, redis_wait_replicas=1,
        redis_wait_timeout_ms=50,
    )  # fmt: skip
    app = create_app(settings, models=ModelHolder(FakeModel()), redis_client=redis_client)  # type: ignore[arg-type]
    response = app.test_client().post(
        "/v1/comments", json={"name": "Ada", "email": "ada@example.org", "text": "Hello there"}
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] and response.json["error"]["code"] == "unavailable"  # type: ignore[index]


def test_a_cluster_without_a_master_for_a_slot_answers_503(
    redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(secret_key="s" * 64, secret_key_generated=False)
    app = create_app(settings, models=ModelHolder(FakeModel()), redis_client=redis_client)  # type: ignore[arg-type]

    def no_master(*_args: object) -> None:
        raise SlotNotCoveredError("Slot 4242 is not covered by the cluster.")

    monkeypatch.setattr(redis_client, "hgetall", no_master)
    response = app.test_client().get("/v1/comments/01kb2v5s3j6q8m0w4h9x7c2r1t")
    assert response.status_code == 503 and response.headers["Retry-After"]


def test_no_cluster_node_answering_stops_start_up_with_a_clear_message() -> None:
    with pytest.raises(
        RuntimeError, match=re.escape("no Redis Cluster node answered at redis://127.0.0.1:1/0")
    ):
        create_redis_client("redis://127.0.0.1:1/0", cluster=True)
