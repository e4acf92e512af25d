"""The intake on a single Redis and on a Redis Cluster, served at once and measured in turns.

Three gunicorns of this tree (modq's serving settings, as ``bench.http``):
- ``single``: one private redis-server (append-only file, ``appendfsync always``),
  no WAIT: modq's default set-up;
- ``cluster``: a private Redis Cluster of 3 masters with 1 replica each (every
  node ``appendfsync always``) with ``MODQ_REDIS_CLUSTER=true`` and its default
  ``MODQ_REDIS_WAIT_REPLICAS=1``: each comment acknowledged once a replica holds it;
- ``cluster-nowait``: the same cluster with ``MODQ_REDIS_WAIT_REPLICAS=0``, to tell
  the cost of the cluster client from the cost of the WAIT.

First, one comment write at a time through modq's ``CommentStore`` on each side
(``WRITES`` of them, the sides taking turns): the latency a write's WAIT adds,
without HTTP. Then wrk drives ``POST /v1/comments`` at 16 connections, rounds
alternate the order; it prints each side's median requests/s, p99 and workers'
CPU per request, and writes ``<out_dir>/cluster.json``. Every comment goes to the
namespace ``default``, so one master takes all the writes, as one busy site would.
``ROUNDS`` 0: the write latencies only.

    python -m bench.cluster [ROUNDS]

Only 127.0.0.1; about 15 s per round plus 20 s to start.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import http
from service.domain import CommentStatus, new_comment_id
from service.runtime.redis_server import RedisServer
from service.store.comments import CommentStore, NewComment
from service.store.replication import Durability
from tests.redis_cluster import LocalRedisCluster

ROUNDS = 3
SECONDS = 4
WRITES = 3000


def write_latency(urls: dict[str, tuple[str, bool, Durability]]) -> dict[str, Any]:
    """Median and p99 of one CommentStore.save on each side, in microseconds."""
    from service.store.connections import create_redis_client

    stores = {
        side: CommentStore(create_redis_client(url, cluster=cluster), None, durability)
        for side, (url, cluster, durability) in urls.items()
    }
    took: dict[str, list[float]] = {side: [] for side in stores}
    for number in range(WRITES):
        for side, store in stores.items():
            comment = _comment(number)
            start = time.perf_counter()
            store.save(comment)
            took[side].append((time.perf_counter() - start) * 1e6)
    result = {}
    for side, samples in took.items():
        samples.sort()
        result[side] = {
            "median_us": round(statistics.median(samples)),
            "p99_us": round(samples[int(len(samples) * 0.99)]),
        }
        stores[side].client.close()
    print(
        f"one write at a time, {WRITES} each: "
        + "; ".join(
            f"{s} median {r['median_us']} us, p99 {r['p99_us']} us" for s, r in result.items()
        )
    )
    return result


def _comment(number: int) -> NewComment:
    created = time.time()
    return NewComment(
        id=new_comment_id(int(created * 1000)),
        created_at=created,
        status=CommentStatus.PENDING,
        verdict=CommentStatus.PENDING,
        mode="enforce",
        fields={"name": "Ada", "email": "ada@example.org", "text": f"Comment {number}"},
        spam=0.5,
        toxicity=0.1,
        reasons=[],
        model_version="bench",
    )


def run(rounds: int, out_dir: Path) -> dict[str, Any]:
    """Serve the three sides, measure ``rounds`` rounds, print and write the summary."""
    http.SECONDS = SECONDS
    comments = http.invented_comments(500)
    with tempfile.TemporaryDirectory(prefix="modq-bench-cluster-") as tmp:
        work = Path(tmp)
        script = work / "comments.lua"
        http.wrk_script([json.dumps(c) for c in comments], script)
        env = http.bench_environment(work)
        cluster = LocalRedisCluster(work / "cluster")
        served: dict[str, http.Served] = {}
        measured: list[dict[str, dict[str, Any]]] = []
        with RedisServer(work / "redis") as single:
            try:
                cluster.start()
                latency = write_latency(
                    {
                        "single": (single.url, False, Durability()),
                        "cluster": (cluster.url, True, Durability(1, 250)),
                        "cluster-nowait": (cluster.url, True, Durability()),
                    }
                )
                sides = {
                    "single": {"MODQ_REDIS_URL": single.url},
                    "cluster": {"MODQ_REDIS_URL": cluster.url, "MODQ_REDIS_CLUSTER": "true"},
                    "cluster-nowait": {
                        "MODQ_REDIS_URL": cluster.url,
                        "MODQ_REDIS_CLUSTER": "true",
                        "MODQ_REDIS_WAIT_REPLICAS": "0",
                    },
                }
                for side, extra in sides.items() if rounds else ():
                    served[side] = http.Served(
                        "service.wsgi:app", {**env, **extra}, script, work / f"{side}.log"
                    )
                for number in range(rounds):
                    order = list(sides) if number % 2 == 0 else list(reversed(sides))
                    runs = {side: served[side].measure(script, None) for side in order}
                    measured.append(runs)
                    print(
                        f"  round {number + 1}: "
                        + ", ".join(
                            f"{side} {runs[side]['rps']:.0f} req/s "
                            f"(p99 {runs[side]['p99_ms']:.1f} ms)"
                            for side in sides
                        )
                    )
            finally:
                for one in served.values():
                    one.stop()
                cluster.stop()
    summary: dict[str, Any] = {"rounds": rounds, "seconds": SECONDS, "connections": 16}
    summary["write_latency"] = latency
    for side in served if measured else ():
        side_runs = [r[side] for r in measured]
        summary[side] = {
            "rps": round(statistics.median(r["rps"] for r in side_runs), 1),
            "p99_ms": round(statistics.median(r["p99_ms"] for r in side_runs), 1),
            "cpu_ms_per_request": round(
                statistics.median(r["cpu_ms_per_request"] for r in side_runs), 3
            ),
            "non_2xx": sum(r["non_2xx"] for r in side_runs),
        }
    out_dir.mkdir(parents=True, exist_ok=True)
    if not measured:
        (out_dir / "cluster.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary
    summary["cluster_rps_ratio"] = round(
        statistics.median(r["cluster"]["rps"] / r["single"]["rps"] for r in measured), 3
    )
    print(
        f"{rounds} alternating rounds of {SECONDS} s (16 connections), medians: "
        + "; ".join(
            f"{side} {summary[side]['rps']} req/s, p99 {summary[side]['p99_ms']} ms"
            for side in served
        )
        + f"; cluster/single x{summary['cluster_rps_ratio']}"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "cluster.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def main(argv: list[str]) -> int:
    """``python -m bench.cluster [ROUNDS]``."""
    if len(argv) > 1 or (argv and not argv[0].isdigit()):
        print("usage: python -m bench.cluster [ROUNDS]")
        return 2
    from bench.__main__ import out_dir

    run(int(argv[0]) if argv else ROUNDS, out_dir())
    return 0


if __name__ == "__main__":
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    sys.exit(main(sys.argv[1:]))
