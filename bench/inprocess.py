"""modq's own CPU per request, without gunicorn, wrk or the other process on the cores.

The HTTP section measures the whole stack, and on a shared 2-core machine its
numbers move by 10-20 % from run to run. This section calls the two WSGI apps
(``service.wsgi:app`` and the bench's bare-Flask ceiling) directly, one request
after another in one thread, against a private Redis, and takes the CPU time of
this thread (``time.thread_time``: Redis's fsync wait is not counted). The two
apps take turns, round after round, and the best round of each is kept, so a
machine that slows down for a while slows both. Writes ``inprocess.json``:
``{"intake_cpu_ms", "ceiling_cpu_ms", "requests", "rounds"}``.

For a count that no other process can move, run a fixed number of intake
requests under valgrind's callgrind, twice, and subtract (the difference is the
instructions of N requests; start-up cancels out)::

    valgrind --tool=callgrind python -m bench.inprocess --intake-only 0
    valgrind --tool=callgrind python -m bench.inprocess --intake-only 300
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

REQUESTS = 400  # per round and app (the bench's 500 invented comments, in order)
WARMUP = 100
ROUNDS = 5

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _environ(body: bytes) -> dict[str, Any]:
    from werkzeug.test import EnvironBuilder

    environ: dict[str, Any] = EnvironBuilder(
        path="/v1/comments", method="POST", data=body, content_type="application/json"
    ).get_environ()
    return environ


def _call(app: WSGIApp, environ: dict[str, Any], body: bytes) -> str:
    environ = dict(environ, **{"wsgi.input": io.BytesIO(body)})
    status: list[str] = []
    for _chunk in app(environ, lambda s, headers, exc_info=None: status.append(s)):
        pass
    return status[0]


def _cpu_ms_per_request(app: WSGIApp, requests: list[tuple[dict[str, Any], bytes]]) -> float:
    started = time.thread_time()
    for environ, body in requests:
        _call(app, environ, body)
    return (time.thread_time() - started) * 1000 / len(requests)


@contextlib.contextmanager
def _apps(work: Path, redis_url: str) -> Iterator[tuple[WSGIApp, WSGIApp]]:
    """modq's app (built as gunicorn's ``service.wsgi`` builds it) and the ceiling; the
    environment is as it was afterwards."""
    saved = dict(os.environ)
    os.environ.update(
        {
            "MODQ_REDIS_URL": redis_url,
            "MODQ_DATA_DIR": str(work / "data"),
            "MODQ_LOG_LEVEL": "WARNING",
            "MODQ_RATE_LIMIT": os.environ.get("MODQ_RATE_LIMIT", "off"),
            "MODQ_SITE_RATE_LIMIT": os.environ.get("MODQ_SITE_RATE_LIMIT", "off"),
            "PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
        }
    )
    (work / "metrics").mkdir(parents=True, exist_ok=True)
    try:
        from bench.ceiling import app as ceiling
        from service.http.app import create_app

        yield create_app(), ceiling
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _served_apps() -> Iterator[tuple[WSGIApp, WSGIApp]]:
    """Both apps on a private Redis in a temporary directory."""
    from service.runtime.redis_server import RedisServer

    with tempfile.TemporaryDirectory(prefix="modq-bench-") as tmp:
        work = Path(tmp)
        with RedisServer(work / "redis") as redis_server, _apps(work, redis_server.url) as apps:
            yield apps


def _requests(count: int) -> list[tuple[dict[str, Any], bytes]]:
    from bench.http import invented_comments

    bodies = [json.dumps(c).encode() for c in invented_comments(500)]
    bodies = (bodies * (count // len(bodies) + 1))[:count]
    return [(_environ(body), body) for body in bodies]


def measure(rounds: int = ROUNDS, count: int = REQUESTS) -> dict[str, Any]:
    """Both apps' CPU per request, best of ``rounds`` alternating rounds."""
    with _served_apps() as (intake, ceiling):
        results = _rounds(intake, ceiling, rounds, count)
    return {
        "intake_cpu_ms": round(min(results["intake"]), 3),
        "ceiling_cpu_ms": round(min(results["ceiling"]), 3),
        "requests": count,
        "rounds": rounds,
        "all_rounds": {name: [round(x, 3) for x in values] for name, values in results.items()},
    }


def _rounds(intake: WSGIApp, ceiling: WSGIApp, rounds: int, count: int) -> dict[str, list[float]]:
    """Warm both apps up, then time them in turns."""
    warmup = _requests(WARMUP)
    for app in (intake, ceiling):
        statuses = {_call(app, environ, body) for environ, body in warmup}
        if statuses != {"201 CREATED"}:
            raise RuntimeError(f"the warm-up requests were answered {statuses}")
    timed = _requests(WARMUP + count)[WARMUP:]
    results: dict[str, list[float]] = {"intake": [], "ceiling": []}
    for _round in range(rounds):
        results["intake"].append(_cpu_ms_per_request(intake, timed))
        results["ceiling"].append(_cpu_ms_per_request(ceiling, timed))
    return results


def run(out_dir: Path) -> dict[str, Any]:
    """Measure, print, write ``out_dir/inprocess.json``."""
    result = measure()
    print(
        f"POST /v1/comments in-process (WSGI calls, one thread, private Redis), "
        f"{result['requests']} requests x {result['rounds']} alternating rounds, best round:"
    )
    print(f"  intake   {result['intake_cpu_ms']:.3f} ms CPU per request")
    print(f"  ceiling  {result['ceiling_cpu_ms']:.3f} ms CPU per request (bare Flask)")
    print(f"  modq's own work {result['intake_cpu_ms'] - result['ceiling_cpu_ms']:.3f} ms")
    (out_dir / "inprocess.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"  wrote {out_dir / 'inprocess.json'}")
    return result


def intake_only(count: int) -> None:
    """Warm up, then exactly ``count`` intake requests (for instruction counting)."""
    with _served_apps() as (intake, _ceiling):
        for environ, body in _requests(WARMUP + count):
            _call(intake, environ, body)


if __name__ == "__main__":
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    if len(sys.argv) == 3 and sys.argv[1] == "--intake-only":
        intake_only(int(sys.argv[2]))
    else:
        from bench.__main__ import out_dir

        target = out_dir()
        target.mkdir(parents=True, exist_ok=True)
        run(target)
