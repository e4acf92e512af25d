"""Two versions of the intake, served at once and measured in turns: what a change is worth.

On a shared 2-core machine one HTTP run moves by 10-30 % with whatever else runs,
more than most single changes are worth; two runs made minutes apart compare
the machine's moods, not the code. This serves the working tree's intake and
the intake of another revision (a temporary git worktree, its compiled hashing
built for it) on modq's gunicorn settings against one private Redis, and
measures them in alternating rounds (the order flips each round), so a slow
spell of the machine falls on both. Per round it takes the ratio of the two;
it reports the median ratio of requests/s and of CPU per request (workers plus
Redis), and each side's median p99. Writes ``<out_dir>/compare.json``.

    python -m bench.compare REV [ROUNDS]     # e.g. python -m bench.compare HEAD~3 10
    python -m bench.compare REV ROUNDS --site  # with a site: every request sends its key
    python -m bench.compare REV ROUNDS --webhook  # a webhook endpoint whose receiver sleeps

``--site`` adds a site to the shared Redis and sends its key with every comment
(``Authorization: Bearer``): the working tree checks it, a revision from before
sites ignores the header, so the ratio is the cost of the key check.

``--webhook`` adds a webhook endpoint for every event (so the working tree's intake
writes each new comment's event too) whose receiver answers after 2 s, and runs
`modq webhooks worker` beside both for the whole measurement: the ratio is what
webhooks cost the intake while a site's receiver is slow.

Only 127.0.0.1; about 12 s per round.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import http
from service.runtime.redis_server import RedisServer

ROUNDS = 10
SECONDS = 4  # per measured run
# Built outside the revision's tree: its setup.py may need a newer setuptools than this
# environment's, and only the extension module is wanted.
_BUILD = (
    "import sys\n"
    "from setuptools import Extension, setup\n"
    "setup(name='hashing', script_args=['build_ext', '--inplace'],\n"
    "      ext_modules=[Extension('_hashing', [sys.argv[1]],\n"
    "                             extra_compile_args=['-O2', '-ffp-contract=off'])])\n"
)


@contextlib.contextmanager
def worktree(revision: str) -> Iterator[Path]:
    """A detached git worktree of ``revision``, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="modq-compare-"))
    tree = parent / "tree"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(tree), revision],
        cwd=http.ROOT,
        check=True,
        capture_output=True,
    )
    try:
        yield tree
    finally:
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)],
            cwd=http.ROOT,
            check=False,
            capture_output=True,
        )
        shutil.rmtree(parent, ignore_errors=True)


def build_hashing(tree: Path) -> bool:
    """Build ``tree``'s classifier/_hashing.c into its tree; False if it has none."""
    source = tree / "classifier" / "_hashing.c"
    if not source.exists():
        return False
    with tempfile.TemporaryDirectory(prefix="modq-compare-build-") as build:
        subprocess.run(
            [sys.executable, "-c", _BUILD, str(source.resolve())],
            cwd=build,
            check=True,
            capture_output=True,
        )
        for built in Path(build).glob("_hashing*.so"):
            shutil.copy2(built, tree / "classifier" / built.name)
            return True
    raise RuntimeError(f"building {source} produced no module")


def paired_summary(rounds: list[dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """Median per-round ratios (working tree / revision) and each side's median p99."""

    def cpu(run: dict[str, Any]) -> float:
        return float(run["cpu_ms_per_request"] + run["redis_cpu_ms_per_request"])

    rps = [r["tree"]["rps"] / r["revision"]["rps"] for r in rounds]
    cost = [cpu(r["tree"]) / cpu(r["revision"]) for r in rounds]
    return {
        "rps_ratio": round(statistics.median(rps), 3),
        "cpu_ratio": round(statistics.median(cost), 3),
        "rounds_tree_ahead": sum(1 for x in rps if x > 1),
        "p99_ms": {
            side: round(statistics.median(r[side]["p99_ms"] for r in rounds), 1)
            for side in ("tree", "revision")
        },
        "round_rps_ratios": [round(x, 3) for x in rps],
    }


def compare(
    revision: str, rounds: int, out_dir: Path, site: bool = False, webhook: bool = False
) -> dict[str, Any]:
    """Serve both, measure ``rounds`` alternating rounds, print and write the summary."""
    http.wrk_path()  # before any checkout or server
    http.SECONDS = SECONDS
    comments = http.invented_comments(500)
    with worktree(revision) as tree, tempfile.TemporaryDirectory(prefix="modq-bench-") as tmp:
        compiled = build_hashing(tree)
        work = Path(tmp)
        script = work / "comments.lua"
        env = http.bench_environment(work)
        with RedisServer(work / "redis") as redis_server:
            headers = {"Authorization": f"Bearer {_add_site(redis_server.url)}"} if site else {}
            http.wrk_script([json.dumps(c) for c in comments], script, headers)
            env["MODQ_REDIS_URL"] = redis_server.url
            redis_pid = redis_server.process.pid if redis_server.process else None
            served: dict[str, http.Served] = {}
            hooks = (
                _slow_webhook(redis_server.url, "bench" if site else "default", work)
                if webhook
                else None
            )
            try:
                for side, root in (("revision", tree), ("tree", http.ROOT)):
                    served[side] = http.Served(
                        "service.wsgi:app", env, script, work / f"{side}.log", root=root
                    )
                measured: list[dict[str, dict[str, Any]]] = []
                for number in range(rounds):
                    order = ["revision", "tree"] if number % 2 == 0 else ["tree", "revision"]
                    runs = {side: served[side].measure(script, redis_pid) for side in order}
                    measured.append(runs)
                    old, new = runs["revision"], runs["tree"]
                    print(
                        f"  round {number + 1}: {revision} {old['rps']:.0f} req/s "
                        f"(p99 {old['p99_ms']:.0f} ms), working tree {new['rps']:.0f} req/s "
                        f"(p99 {new['p99_ms']:.0f} ms): x{new['rps'] / old['rps']:.3f}"
                    )
            finally:
                for one in served.values():
                    one.stop()
                if hooks is not None:
                    hooks.close()
    summary: dict[str, Any] = {
        "revision": revision,
        "revision_compiled_hashing": compiled,
        "rounds": rounds,
        "site_key": site,
        "slow_webhook": webhook,
    }
    summary.update(paired_summary(measured))
    print(
        f"working tree against {revision}, {rounds} alternating rounds of {SECONDS} s "
        f"(16 connections): requests/s x{summary['rps_ratio']} (median of the rounds' "
        f"ratios; ahead in {summary['rounds_tree_ahead']} of {rounds}), CPU per request "
        f"x{summary['cpu_ratio']}, p99 {summary['p99_ms']['tree']} ms against "
        f"{summary['p99_ms']['revision']} ms"
    )
    if not compiled:
        print(f"  ({revision} has no classifier/_hashing.c: it hashes with numpy)")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "compare.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _add_site(redis_url: str) -> str:
    """A site in the bench's Redis; its key."""
    import redis

    from service.sites import SiteRegistry

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return SiteRegistry(client).add("bench")
    finally:
        client.close()


class _SlowWebhook:
    """A receiver that answers after 2 s, its endpoint, and a delivery worker."""

    def __init__(self, redis_url: str, namespace: str, work: Path) -> None:
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        import redis

        from service.integrations.webhooks.endpoints import EndpointRegistry

        class Slow(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length") or 0))
                time.sleep(2)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        EndpointRegistry(client, namespace).add(url)
        client.close()
        env = dict(os.environ, MODQ_REDIS_URL=redis_url, MODQ_LOG_LEVEL="WARNING")
        with open(work / "webhooks.log", "ab") as log:
            self.worker = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from service.cli.main import main; main()",
                    "webhooks",
                    "worker",
                ],
                env=env,
                stdout=log,
                stderr=log,
                cwd=http.ROOT,
            )

    def close(self) -> None:
        self.worker.terminate()
        self.worker.wait(30)
        self.server.shutdown()
        self.server.server_close()


def _slow_webhook(redis_url: str, namespace: str, work: Path) -> _SlowWebhook:
    return _SlowWebhook(redis_url, namespace, work)


def main(argv: list[str]) -> int:
    """``python -m bench.compare REV [ROUNDS] [--site] [--webhook]``."""
    site = "--site" in argv
    webhook = "--webhook" in argv
    argv = [arg for arg in argv if arg not in ("--site", "--webhook")]
    if not argv or len(argv) > 2 or (len(argv) == 2 and not argv[1].isdigit()):
        print("usage: python -m bench.compare REV [ROUNDS] [--site] [--webhook]")
        return 2
    from bench.__main__ import out_dir

    rounds = int(argv[1]) if len(argv) == 2 else ROUNDS
    compare(argv[0], rounds, out_dir(), site=site, webhook=webhook)
    return 0


if __name__ == "__main__":
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"
    sys.exit(main(sys.argv[1:]))
