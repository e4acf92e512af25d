"""What the intake script's indexes (automatic decisions, commenter history) cost.

Runs the comment-storing script of another revision and of this tree against one
private redis-server, 20,000 comments a round in pipelines of 500, alternating, and
prints per comment: the Python time to build the script call and Redis's own time
per EVALSHA (INFO commandstats), so that the rest of the machine's load cancels out
as far as it can.

    .venv/bin/python experiments/intake_indexes.py REV [ROUNDS]

Run on 2026-12-07 against `sites` (the tree before the indexes), twice: Redis
14.4 -> 24.5 and 15.1 -> 25.8 us per comment (medians of 4 and 3 rounds), Python
+2 to +7 us (noisy): about 12-17 us a comment, under 0.5 % of an intake request's CPU (about 3.5 ms at 550 requests/s
on 2 cores). `python -m bench.compare sites 12` could not resolve it: three runs gave
requests/s x0.867, x1.05, x0.993 and CPU per request x1.071, x0.999, x1.046, with
single rounds from x0.35 to x2.9.
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis

from service.domain import CommentStatus, new_comment_id
from service.runtime.redis_server import RedisServer
from service.store import comments as this_tree

N = 20_000


def _revision_store(rev: str, directory: Path) -> Any:
    source = subprocess.run(
        ["git", "show", f"{rev}:service/store/comments.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = directory / "store_revision.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("store_revision", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["store_revision"] = module
    spec.loader.exec_module(module)
    return module


def _comments(module: Any, offset: int) -> list[Any]:
    out = []
    for i in range(N):
        status = CommentStatus.APPROVED if i % 4 else CommentStatus.PENDING
        out.append(
            module.NewComment(
                id=new_comment_id(),
                created_at=time.time(),
                status=status,
                verdict=status,
                mode="enforce",
                fields={
                    "name": "Pat",
                    "email": f"pat{(i + offset) % 3000}@example.org",
                    "text": "A fine comment about the news " * 3,
                    "thread": f"/news/{i % 50}",
                },
                spam=0.1,
                toxicity=0.05,
                reasons=[],
                model_version="m",
            )
        )
    return out


def main() -> None:
    rev = sys.argv[1] if len(sys.argv) > 1 else "HEAD~1"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    results: dict[str, list[tuple[float, float]]] = {rev: [], "this tree": []}
    with tempfile.TemporaryDirectory() as tmp:
        other = _revision_store(rev, Path(tmp))
        server = RedisServer(Path(tmp) / "redis")
        server.start()
        try:
            client = redis.Redis.from_url(server.url, decode_responses=True)
            for rnd in range(rounds):
                for name, module in ((rev, other), ("this tree", this_tree)):
                    client.flushall()
                    store = module.CommentStore(client)
                    store.connect()
                    client.config_resetstat()
                    items = _comments(module, rnd)
                    started = time.perf_counter()
                    calls = [store._script_call(c) for c in items]
                    python_us = (time.perf_counter() - started) / N * 1e6
                    for i in range(0, N, 500):
                        replies = store._pipeline(calls[i : i + 500])
                        assert not any(isinstance(r, Exception) for r in replies)
                    redis_us = float(
                        client.info("commandstats")["cmdstat_evalsha"]["usec_per_call"]
                    )
                    results[name].append((python_us, redis_us))
        finally:
            server.stop()
    for name, rows in results.items():
        python_us = statistics.median(r[0] for r in rows)
        redis_us = statistics.median(r[1] for r in rows)
        print(f"{name:>12}: python {python_us:.1f} us, redis {redis_us:.1f} us per comment")


if __name__ == "__main__":
    main()
