"""modq against a real Redis Cluster: 3 masters, 1 replica each, private processes on loopback.

The intake, the queue (claim, release, lease expiry, decide), the decision feed
and the labels through a real gunicorn with MODQ_REDIS_CLUSTER=true; namespaces
spread over the masters; and a master killed under a stream of intake requests
(``test_cluster_failover.py``).
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests

from service.domain import new_comment_id
from service.queue.review import Decision, RejectReason, ReviewQueue
from service.store import keys
from service.store.decision_log import read_decisions, read_labels
from service.store.replication import Durability
from tests.integration.conftest import CLUSTER_ENV, HOLD_ALL, RedisTarget
from tests.integration.gunicorn_support import ROOT, GunicornServer
from tests.redis_cluster import LocalRedisCluster

ALICE = "alice-token-0123456789"
BOB = "bob-token-0123456789ab"
MODERATORS = {"MODQ_MODERATOR_TOKENS": f"alice:{ALICE},bob:{BOB}"}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def cluster_server(
    tmp_path_factory: pytest.TempPathFactory, redis_cluster: LocalRedisCluster
) -> Iterator[GunicornServer]:
    """gunicorn holding every comment for review, on the cluster, with short leases."""
    redis_cluster.wait_healthy()
    server = GunicornServer(
        tmp_path_factory.mktemp("gunicorn"),
        redis_cluster.url,
        {**CLUSTER_ENV, **HOLD_ALL, **MODERATORS, "MODQ_LEASE_SECONDS": "2"},
    )
    server.start()
    yield server
    server.stop()


def post(server: GunicornServer, text: str, **fields: str) -> str:
    response = server.post_comment({"text": text, **fields})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "pending"
    return str(response.json()["id"])


def test_intake_queue_feed_and_labels_through_gunicorn(
    cluster_server: GunicornServer, cluster_client: redis.Redis, tmp_path: Path
) -> None:
    first = post(cluster_server, "Is this offer real? Tell me more.", external_id="c-1")
    second = post(cluster_server, "Cheap pills, best price anywhere.")
    third = post(cluster_server, "I liked the second part best.")
    # a retried post (same thread and external id) returns the stored comment
    again = cluster_server.post_comment({"text": "resent", "external_id": "c-1"})
    assert again.status_code == 200 and again.json()["id"] == first
    read = requests.get(cluster_server.url(f"/v1/comments/{second}"), timeout=5)
    assert read.status_code == 200 and read.json()["status"] == "pending"
    pending = cluster_client.zrange(keys.queue_pending(), 0, -1)
    assert pending == [first, second, third]

    claim = requests.post(
        cluster_server.url("/v1/queue/claim"), json={"limit": 2}, headers=auth(ALICE), timeout=5
    )
    assert claim.status_code == 200
    assert [item["id"] for item in claim.json()["items"]] == [first, second]
    # bob cannot decide alice's lease; alice gives one back, and bob claims it
    blocked = requests.post(
        cluster_server.url(f"/v1/queue/{first}/decision"),
        json={"decision": "approve"},
        headers=auth(BOB),
        timeout=5,
    )
    assert blocked.status_code == 409
    released = requests.post(
        cluster_server.url(f"/v1/queue/{first}/release"), headers=auth(ALICE), timeout=5
    )
    assert released.status_code == 200
    bobs = requests.post(
        cluster_server.url("/v1/queue/claim"), json={"limit": 1}, headers=auth(BOB), timeout=5
    )
    assert [item["id"] for item in bobs.json()["items"]] == [first]

    decided = requests.post(
        cluster_server.url(f"/v1/queue/{first}/decision"),
        json={"decision": "approve"},
        headers=auth(BOB),
        timeout=5,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    rejected = requests.post(
        cluster_server.url(f"/v1/queue/{second}/decision"),
        json={"decision": "reject", "reason": "spam"},
        headers=auth(ALICE),
        timeout=5,
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"

    # alice's lease on nothing else; a lease of bob's on the third expires (2 s) and is swept
    requests.post(
        cluster_server.url("/v1/queue/claim"), json={"limit": 1}, headers=auth(BOB), timeout=5
    )
    assert cluster_client.zscore(keys.queue_leases(), third) is not None
    time.sleep(2.1)
    listing = requests.get(cluster_server.url("/v1/queue"), headers=auth(ALICE), timeout=5)
    assert [(i["id"], i.get("leased_by")) for i in listing.json()["items"]] == [(third, None)]
    assert cluster_client.zcard(keys.queue_leases()) == 0

    feed = requests.get(cluster_server.url("/v1/decisions?after=0"), timeout=5).json()
    assert [(i["id"], i["status"], i["external_id"]) for i in feed["items"]] == [
        (first, "approved", "c-1"),
        (second, "rejected", None),
    ]
    after = requests.get(cluster_server.url(f"/v1/decisions?after={feed['next']}"), timeout=5)
    assert after.json()["items"] == []
    stats = requests.get(cluster_server.url("/v1/queue/stats"), headers=auth(ALICE), timeout=5)
    assert stats.json()["depth"] == 1 and stats.json()["decided_last_hour"] == 2

    # the labels, through the CLI the way an operator exports them from the cluster
    out = tmp_path / "labels.csv"
    exported = subprocess.run(
        [sys.executable, "-m", "service.cli.main", "queue", "export-labels", "--output", str(out)],
        cwd=ROOT,
        env={**cluster_server.env, "MODQ_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert exported.returncode == 0, exported.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["id"], r["spam"], r["source"]) for r in rows] == [
        (first, "0", "moderator"),
        (second, "1", "moderator"),
    ]


def test_every_key_of_a_namespace_is_in_one_slot(
    cluster_server: GunicornServer, cluster_client: redis.Redis
) -> None:
    post(cluster_server, "One more to look at.", external_id="slot-1", thread="/t/1")
    stored = list(cluster_client.scan_iter(match="modq:*", count=1000))
    assert stored
    slots = {cluster_client.keyslot(key) for key in stored}  # type: ignore[attr-defined]
    assert slots == {cluster_client.keyslot(keys.queue_pending())}  # type: ignore[attr-defined]


NAMESPACES = [f"site-{i}" for i in range(9)]


def test_namespaces_spread_over_the_masters_and_keep_apart(
    cluster_client: redis.Redis, redis_cluster: LocalRedisCluster
) -> None:
    masters = {ns: redis_cluster.master_of(keys.queue_pending(ns)).port for ns in NAMESPACES}
    assert len(set(masters.values())) == 3, masters  # every master holds some namespace
    replicated = Durability(replicas=1, timeout_ms=10_000)
    for ns in NAMESPACES:
        comment_id = seed_in(cluster_client, ns, f"A comment of {ns}")
        queue = ReviewQueue(cluster_client, namespace=ns, durability=replicated)
        claimed = queue.claim("alice", 5)
        assert [item.id for item in claimed.items] == [comment_id]
        queue.decide(comment_id, "alice", Decision.REJECT, RejectReason.SPAM)
    for ns in NAMESPACES:
        feed = read_decisions(cluster_client, None, 10, namespace=ns)
        assert len(feed.items) == 1 and feed.items[0]["status"] == "rejected"
        assert [row["text"] for row in read_labels(cluster_client, ns)] == [f"A comment of {ns}"]
        assert cluster_client.zcard(keys.queue_pending(ns)) == 0


def seed_in(client: redis.Redis, namespace: str, text: str) -> str:
    """A pending comment in ``namespace``, in one MULTI/EXEC (one slot: the cluster runs it)."""
    created = time.time()
    comment_id = new_comment_id(int(created * 1000))
    pipe = client.pipeline(transaction=True)
    pipe.hset(
        keys.comment(comment_id, namespace),
        mapping={"id": comment_id, "status": "pending", "text": text, "name": "Pat",
                 "created_at": f"{created:.6f}", "spam": "0.9", "toxicity": "0.1"},
    )  # fmt: skip
    pipe.zadd(keys.queue_pending(namespace), {comment_id: created})
    pipe.execute()
    return comment_id


def test_the_same_check_runs_on_either_target(
    target_holding_server: GunicornServer, redis_target: RedisTarget
) -> None:
    """How a test runs against both the single Redis and the cluster (see conftest)."""
    comment_id = post(target_holding_server, f"Stored in the {redis_target.name} target.")
    client = redis_target.client()
    try:
        assert client.hget(keys.comment(comment_id), "status") == "pending"
        assert client.zscore(keys.queue_pending(), comment_id) is not None
    finally:
        client.close()
