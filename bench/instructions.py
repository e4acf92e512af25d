"""Instructions per request through gunicorn, intake and ceiling: a ratio no noise moves.

On a shared 2-core machine the HTTP section's ratio moves by 10-20 % from run to
run. valgrind's callgrind counts the instructions a process executes, which no
other process can change. This section serves each app (modq's intake and the
HTTP section's bare-Flask ceiling) with modq's gunicorn settings and one worker
under callgrind, posts WARMUP and then WARMUP + REQUESTS of the HTTP section's
invented comments one after another on one keep-alive connection, and takes
the worker's difference between the two runs: its instructions for REQUESTS
requests (start-up and warm-up cancel out). Writes ``instructions.json``:
``{"intake_per_request", "ceiling_per_request", "ratio", "requests"}``, where
``ratio`` is ceiling/intake instructions, what the requests/s ratio would be
if every instruction cost the same time.

Not in the default ``make bench``: it takes several minutes (each app starts
twice under valgrind, about fifty times slower than normal).
``python -m bench instructions``
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

from bench.http import invented_comments, serve, stop
from service.runtime.redis_server import RedisServer

WARMUP = 20
REQUESTS = 300
APPS = {"intake": "service.wsgi:app", "ceiling": "bench.ceiling:app"}
# Programs this section runs: ``python -m bench`` checks them before starting anything.
REQUIRES = ("valgrind",)
_TOTAL = re.compile(r"^(?:summary|totals): (\d+)", re.MULTILINE)


def worker_instructions(app: str, posts: int, env: dict[str, str], work: Path) -> int:
    """The gunicorn worker's instructions after start-up and ``posts`` POSTs."""
    work.mkdir(parents=True)
    prefix = [
        "valgrind",
        "--tool=callgrind",
        "--trace-children=yes",
        f"--callgrind-out-file={work}/callgrind.%p",
    ]
    run_env = {**env, "MODQ_DATA_DIR": str(work / "data")}
    # Under valgrind a worker runs some fifty times slower: gunicorn must neither take it
    # for hung (its heartbeat) nor kill it while it exits (callgrind writes its file then).
    patience = ["--timeout", "900", "--graceful-timeout", "600"]
    process, base = serve(
        app,
        run_env,
        work / "gunicorn.log",
        prefix=prefix,
        gunicorn_args=patience,
        start_seconds=900,
    )
    try:
        with requests.Session() as session:
            for comment in invented_comments(posts):
                response = session.post(base + "/v1/comments", json=comment, timeout=120)
                response.raise_for_status()
    finally:
        stop(process, timeout=900)
    # The master's file is named by its pid; the worker's is the other one.
    workers = [f for f in work.glob("callgrind.*") if f.name != f"callgrind.{process.pid}"]
    if len(workers) != 1:
        raise RuntimeError(f"expected one worker's callgrind file in {work}, found {workers}")
    found = _TOTAL.search(workers[0].read_text(errors="replace"))
    if found is None:
        raise RuntimeError(f"no instruction total in {workers[0]}")
    return int(found.group(1))


def measure(requests_count: int = REQUESTS) -> dict[str, Any]:
    """Per-request instructions of both apps (four valgrind runs, two at a time)."""
    with tempfile.TemporaryDirectory(prefix="modq-instructions-") as tmp:
        work = Path(tmp)
        with RedisServer(work / "redis") as redis_server:
            env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
            env.update(
                {
                    "MODQ_REDIS_URL": redis_server.url,
                    "MODQ_WORKERS": "1",
                    "MODQ_LOG_LEVEL": "WARNING",
                    "MODQ_RATE_LIMIT": "off",
                    "MODQ_SITE_RATE_LIMIT": "off",
                    "OMP_NUM_THREADS": "1",
                    "PYTHONHASHSEED": "0",
                }
            )
            serving = ("MODQ_WORKER_CLASS", "MODQ_BATCH_MAX", "MODQ_BATCH_WAIT_MS")
            for name in ("MODQ_MODEL", "MODQ_MODELS_DIR", *serving):
                if name in os.environ:
                    env[name] = os.environ[name]
            runs = {
                (name, posts): (app, posts, env, work / f"{name}-{posts}")
                for name, app in APPS.items()
                for posts in (WARMUP, WARMUP + requests_count)
            }
            with ThreadPoolExecutor(max_workers=2) as pool:
                futures = {key: pool.submit(worker_instructions, *a) for key, a in runs.items()}
                totals = {key: future.result() for key, future in futures.items()}
    last = WARMUP + requests_count
    per_request = {
        name: round((totals[(name, last)] - totals[(name, WARMUP)]) / requests_count)
        for name in APPS
    }
    return {
        "intake_per_request": per_request["intake"],
        "ceiling_per_request": per_request["ceiling"],
        "ratio": round(per_request["ceiling"] / per_request["intake"], 3),
        "requests": requests_count,
    }


def run(out_dir: Path) -> dict[str, Any]:
    """Measure, print, and write ``out_dir/instructions.json``."""
    result = measure()
    print(
        f"POST /v1/comments through gunicorn (one worker, callgrind), {result['requests']} "
        "requests after a warm-up:"
    )
    print(f"  intake   {result['intake_per_request'] / 1e6:.3f} M instructions per request")
    print(f"  ceiling  {result['ceiling_per_request'] / 1e6:.3f} M instructions per request")
    print(f"  ratio    {result['ratio']} (ceiling/intake instructions)")
    (out_dir / "instructions.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"  wrote {out_dir / 'instructions.json'}")
    return result
