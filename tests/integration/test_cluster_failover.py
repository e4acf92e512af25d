"""A master of the Redis Cluster killed (SIGKILL) under a stream of intake requests.

Its replica takes over (cluster node timeout 2 s) and no comment that was
acknowledged with 201 is lost: modq answers 201 only once a replica holds the
comment (WAIT 1, ``service.store.replication``). While the slot has no reachable
master, and while the promoted replica has no replica of its own, the intake
answers 503 with Retry-After; the killed node, started again as a supervisor
would, rejoins as a replica and 201s resume.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
import requests

from service.http.errors import REDIS_RETRY_AFTER_S
from service.store import keys
from tests.integration.conftest import APPROVE_ALL, CLUSTER_ENV
from tests.integration.gunicorn_support import GunicornServer
from tests.redis_cluster import LocalRedisCluster

CLIENTS = 4
MAX_REQUESTS = 3000  # bounded whatever happens
AFTER_REJOIN_S = 1.5  # keep posting this long once the killed node is back as a replica
# The promoted replica stays without a replica this long: WAIT 1 cannot be met (503s).
ALONE_S = 2.5


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[LocalRedisCluster]:
    """A cluster of this test alone: it kills one of its masters."""
    cluster = LocalRedisCluster(tmp_path / "cluster")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@dataclass
class Outcomes:
    """What the intake answered, and when (monotonic seconds)."""

    created: list[tuple[float, str]] = field(default_factory=list)
    unavailable: list[tuple[float, str | None]] = field(default_factory=list)
    other: list[tuple[float, int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0


def post_until(server: GunicornServer, stop: threading.Event, out: Outcomes, n: int) -> None:
    session = requests.Session()
    i = 0
    while not stop.is_set():
        with out.lock:
            if out.sent >= MAX_REQUESTS:
                return
            out.sent += 1
        i += 1
        try:
            response = session.post(
                server.url("/v1/comments"),
                json={"name": "Ada", "email": "ada@example.org", "text": f"Comment {n}-{i}"},
                timeout=15,
            )
        except requests.RequestException as error:
            with out.lock:
                out.other.append((time.monotonic(), 0, repr(error)))
            continue
        now = time.monotonic()
        with out.lock:
            if response.status_code == 201:
                out.created.append((now, response.json()["id"]))
            elif response.status_code == 503:
                out.unavailable.append((now, response.headers.get("Retry-After")))
                time.sleep(0.05)
            else:
                out.other.append((now, response.status_code, response.text[:200]))


@pytest.mark.slow
def test_a_killed_master_loses_no_acknowledged_comment(
    tmp_path: Path, own_cluster: LocalRedisCluster
) -> None:
    server = GunicornServer(
        tmp_path / "gunicorn",
        own_cluster.url,
        {**CLUSTER_ENV, **APPROVE_ALL, "MODQ_REDIS_WAIT_TIMEOUT_MS": "1000"},
        workers=2,
    )
    server.start()
    stop = threading.Event()
    out = Outcomes()
    threads = [
        threading.Thread(target=post_until, args=(server, stop, out, n)) for n in range(CLIENTS)
    ]
    try:
        victim = own_cluster.master_of(keys.comment("x"))
        others = {n.port for n in own_cluster.nodes} - {victim.port}
        for thread in threads:
            thread.start()
        wait_for(lambda: len(out.created) >= 50)  # the intake is in full swing

        killed_at = time.monotonic()
        victim.kill()
        promoted_at = wait_for(lambda: own_cluster.master_of(keys.comment("x")).port in others)
        time.sleep(ALONE_S)
        # the old master's comeback, as a supervisor restarts a crashed process
        victim.start()
        own_cluster.wait_healthy(30)
        rejoined_at = time.monotonic()
        time.sleep(AFTER_REJOIN_S)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    try:
        assert out.other == []  # only 201 or 503, never a 500 or a dropped connection
        assert all(retry == str(REDIS_RETRY_AFTER_S) for _, retry in out.unavailable)
        assert promoted_at - killed_at < 10
        # with no replica to hold them, comments are refused, not acknowledged
        assert any(promoted_at < at < rejoined_at for at, _ in out.unavailable)
        assert victim.info("replication")["role"] == "slave"  # it came back as a replica
        assert any(at > rejoined_at for at, _ in out.created)  # writes resumed
        # every acknowledged comment is there, through the service and in Redis
        for _, comment_id in out.created:
            response = get_retrying(server.url(f"/v1/comments/{comment_id}"))
            assert response.status_code == 200, (comment_id, response.text)
        report = (
            f"{len(out.created)} acknowledged, {len(out.unavailable)} answered 503; "
            f"replica promoted {promoted_at - killed_at:.1f} s after the kill; "
            f"first 503 {first_after(out.unavailable, killed_at)}, "
            f"first 201 after the rejoin {first_after(out.created, rejoined_at)}"
        )
        print(report)
        print(timeline(out, killed_at))
    finally:
        server.stop()


def wait_for(ready: object, timeout: float = 15.0) -> float:
    """The monotonic time at which ``ready()`` first held (polled every 50 ms)."""
    assert callable(ready)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if ready():
                return time.monotonic()
        except (redis.RedisError, RuntimeError):  # a node answering mid-failover
            pass
        time.sleep(0.05)
    raise AssertionError(f"not ready in {timeout} s")


def get_retrying(url: str, timeout: float = 10.0) -> requests.Response:
    """GET that waits out a 503 while the service's client reads the new slot table."""
    deadline = time.monotonic() + timeout
    while True:
        response = requests.get(url, timeout=10)
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def first_after(events: list, since: float) -> str:  # type: ignore[type-arg]
    later = [at for at, *_ in events if at >= since]
    return f"+{min(later) - since:.2f} s" if later else "none"


def timeline(out: Outcomes, since: float) -> str:
    """201s and 503s per half second from ``since`` (for the test's -s output)."""
    bins: dict[int, list[int]] = {}
    for at, _ in out.created:
        bins.setdefault(math.floor((at - since) * 2), [0, 0])[0] += 1
    for at, _ in out.unavailable:
        bins.setdefault(math.floor((at - since) * 2), [0, 0])[1] += 1
    return " ".join(f"{b / 2:+.1f}s:{c}/{u}" for b, (c, u) in sorted(bins.items()))
