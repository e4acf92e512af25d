"""What the rate limits cost the intake: CPU per request with them on and off.

Two intake apps on one private Redis, the same code, one with ``MODQ_RATE_LIMIT``
(two limits, as the default ``10/minute;100/hour``, set high enough that the bench's
one address is never limited), one without. They take turns, round after round,
one request after another in this thread (as ``bench.inprocess``). Counted per
request: this thread's CPU (``time.thread_time``) and Redis's (its process's user
and system time from /proc), since a limit is one more script run in Redis.

    python -m bench.rate_limits [ROUNDS]
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

from bench.inprocess import WARMUP, WSGIApp, _apps, _call, _requests

ROUNDS = 8
REQUESTS = 400
LIMITS = "1000000/minute;100000000/hour"


def _redis_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _round(app: WSGIApp, requests: list[Any], redis_pid: int) -> tuple[float, float]:
    """(app CPU ms, Redis CPU ms) per request."""
    redis_before, started = _redis_cpu_s(redis_pid), time.thread_time()
    for environ, body in requests:
        _call(app, environ, body)
    app_ms = (time.thread_time() - started) * 1000 / len(requests)
    return app_ms, (_redis_cpu_s(redis_pid) - redis_before) * 1000 / len(requests)


def measure(rounds: int = ROUNDS) -> dict[str, Any]:
    """Median over rounds of each app's CPU per request, and the ratios."""
    from service.http.app import create_app
    from service.runtime.redis_server import RedisServer
    from service.settings import Settings

    with tempfile.TemporaryDirectory(prefix="modq-bench-") as tmp:
        work = Path(tmp)
        with RedisServer(work / "redis") as server, _apps(work, server.url) as (off, _):
            assert server.process is not None
            on = create_app(Settings.from_env().with_overrides(rate_limit=LIMITS))
            warm = _requests(WARMUP)
            for app in (off, on):
                statuses = {_call(app, environ, body) for environ, body in warm}
                if statuses != {"201 CREATED"}:
                    raise RuntimeError(f"the warm-up requests were answered {statuses}")
            timed = _requests(WARMUP + REQUESTS)[WARMUP:]
            results: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
            for number in range(rounds):
                order = (
                    [("off", off), ("on", on)] if number % 2 == 0 else [("on", on), ("off", off)]
                )
                for name, app in order:
                    results[name].append(_round(app, timed, server.process.pid))
    summary: dict[str, Any] = {"limits": LIMITS, "requests": REQUESTS, "rounds": rounds}
    for name, values in results.items():
        summary[name] = {
            "app_cpu_ms": round(statistics.median(v[0] for v in values), 4),
            "redis_cpu_ms": round(statistics.median(v[1] for v in values), 4),
        }
    app_ratio = [on[0] / off[0] for on, off in zip(results["on"], results["off"], strict=True)]
    total_ratio = [
        (on[0] + on[1]) / (off[0] + off[1])
        for on, off in zip(results["on"], results["off"], strict=True)
    ]
    summary["app_cpu_ratio"] = round(statistics.median(app_ratio), 3)
    summary["total_cpu_ratio"] = round(statistics.median(total_ratio), 3)
    return summary


if __name__ == "__main__":
    result = measure(int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS)
    print(json.dumps(result, indent=2))
