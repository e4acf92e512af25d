"""A soak: thousands of comments from concurrent keep-alive clients, with connections
opened and closed all along. Every acknowledged comment is stored, exactly once;
nothing answers outside 201; the workers' memory stays flat; the metrics add up."""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path

import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from bench.http import children_of, invented_comments
from service.runtime.redis_server import RedisServer
from service.store import keys
from tests.integration.gunicorn_support import GunicornServer

CLIENTS = 12
PER_CLIENT = 400  # 4,800 comments; about 10-20 s on a 2-core machine
WORKERS = 2


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def _total(exposition: str, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include ``labels``."""
    return sum(
        sample.value
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def _post_many(server: GunicornServer, seed: int, ids: list[str], statuses: Counter[int]) -> None:
    comments = invented_comments(PER_CLIENT, seed=seed)
    rng = random.Random(seed)
    session = requests.Session()
    for comment in comments:
        if rng.random() < 0.05:  # a client that hangs up now and then: new connections
            session.close()
            session = requests.Session()
        answer = session.post(server.url("/v1/comments"), json=comment, timeout=30)
        statuses[answer.status_code] += 1
        if answer.status_code == 201:
            ids.append(answer.json()["id"])
    session.close()


def _soak(server: GunicornServer, first_seed: int) -> tuple[list[str], Counter[int]]:
    ids: list[str] = []
    statuses: Counter[int] = Counter()
    clients = [
        threading.Thread(target=_post_many, args=(server, first_seed + n, ids, statuses))
        for n in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join(300)
    return ids, statuses


@pytest.mark.slow
def test_a_soak_stores_every_acknowledged_comment_once_with_flat_memory(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as redis_server:
        server = GunicornServer(tmp_path / "gunicorn", redis_server.url, workers=WORKERS)
        server.start()
        try:
            server.wait_for_workers(WORKERS)
            assert server.process is not None
            workers = children_of(server.process.pid)
            warm_ids, warm_statuses = _soak(server, first_seed=1000)  # caches, pools, arenas
            rss_after_warm_up = {pid: _rss_kib(pid) for pid in workers}
            ids, statuses = _soak(server, first_seed=2000)
            rss_after = {pid: _rss_kib(pid) for pid in workers}

            assert set(warm_statuses) == {201} and set(statuses) == {201}, statuses
            every_id = warm_ids + ids
            assert len(every_id) == 2 * CLIENTS * PER_CLIENT
            assert len(set(every_id)) == len(every_id)  # no id given twice
            client = redis.Redis.from_url(redis_server.url, decode_responses=True)
            pipe = client.pipeline(transaction=False)
            for comment_id in every_id:
                pipe.exists(keys.comment(comment_id))
            assert all(pipe.execute()), "an acknowledged comment is missing from Redis"
            stored = sum(1 for _ in client.scan_iter(keys.comment("*"), count=1000))
            assert stored == len(every_id)  # and nothing stored twice

            # The second soak, as long as the first, may not grow a worker by more than
            # a few MiB: a leak of even 1 KiB per comment would add 2.3 MiB per worker.
            for pid, before in rss_after_warm_up.items():
                assert rss_after[pid] - before < 4 * 1024, (pid, before, rss_after[pid])

            def posted(text: str) -> float:
                return _total(text, "modq_http_requests_total", endpoint="/v1/comments")

            exposition = server.metrics_when(lambda text: posted(text) >= len(every_id))
            assert posted(exposition) == len(every_id)
            assert _total(exposition, "modq_decisions_total") == len(every_id)
        finally:
            server.stop()
