"""HTTP benchmark: POST /v1/comments on the real stack against a bare-Flask ceiling.

Beside the native intake, the same gunicorn answers Akismet's comment-check
(``/1.1/comment-check``, form-encoded as Akismet clients send it, the same
comments): its row shows what the protocol translation costs. The bench's Redis
has no site, so every key is accepted (open mode); a worker remembers that for a
second (service.sites.cache), as it remembers a site's key.

Starts a private redis-server (append-only, fsync always, as shipped) and
gunicorn with modq's settings, drives each with wrk at a fixed number of
connections for a bounded time (after a short warm-up) with realistic invented
comments that a wrk Lua script rotates, and the same load against bench/ceiling.py
on the same gunicorn settings. Both are served at once and measured in turns,
ROUNDS runs each; each reports its median run. Prints requests/s and p50/p99
for both and the ratio of the medians; writes ``<out_dir>/http.json``:
``{"intake": {"rps", "p50_ms", "p99_ms"}, "ceiling": {...}, "ratio", "connections",
"seconds", "rounds", "balanced", "akismet": {"rps", "p50_ms", "p99_ms"}}``
(``seconds``: one measured run).
Only 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from classifier.paths import encoders_dir
from service.runtime.redis_server import RedisServer

CONNECTIONS = 16
SECONDS = 5  # per measured run
ROUNDS = 3  # ceiling and intake take turns, run after run; each reports its median run
WARMUP_SECONDS = 2
BALANCE_ATTEMPTS = 8  # measured runs per app until both workers get their share
BALANCED_SHARE = 0.5  # a worker doing under half its fair share of the CPU: unbalanced
WRK_THREADS = 1  # one client thread is plenty at these rates and leaves the cores to gunicorn
ROOT = Path(__file__).resolve().parents[1]
# Programs this section runs: ``python -m bench`` checks them before starting anything.
REQUIRES = ("wrk",)

_GREETINGS = ["Great piece.", "Thanks for writing this.", "Interesting read.", "Hmm.", "Well,"]
_BODIES = [
    "I have been following this story for a while and the new figures on housing costs "
    "finally explain why rents in our town went up so quickly last year.",
    "The recipe worked well, although I needed ten more minutes in the oven. Next time "
    "I will try it with less sugar.",
    "I disagree with the conclusion: the survey only asked people in two cities, so it "
    "says little about the rest of the country.",
    "Could you share the source for the chart in the third paragraph? I would like to "
    "read the full report.",
    "My grandmother lived on that street in the sixties; it is good to see the old "
    "bakery still open.",
    "The update broke my setup too. Rolling back to the previous version fixed it for now.",
    "Nice photos! Which lens did you use for the night shots near the harbour?",
    "Our school tried the same approach with reading groups and it helped the younger "
    "children most.",
]
_SPAM = [
    "Best prices on replica watches, visit http://cheap-watches.example and "
    "www.discount-watches.example today!!!",
    "Earn $5000 a week working from home, click here http://easy-money.example",
    "Cheap pills without prescription, fast shipping, order now at http://pills.example",
]
_TOXIC = [
    "This is the dumbest article I have ever read, the author is an idiot.",
    "Shut up, nobody cares about your stupid opinion, you moron.",
]
_NAMES = ["Ada", "Grace H.", "Linus", "Margaret", "Ken T.", "Barbara", "sam_42", "Dr. Who"]


def invented_comments(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Comments like a news site's: mostly ordinary, about 15% spam, 10% abusive."""
    rng = random.Random(seed)
    comments = []
    for index in range(count):
        roll = rng.random()
        if roll < 0.15:
            text = rng.choice(_SPAM)
        elif roll < 0.25:
            text = rng.choice(_TOXIC)
        else:
            text = f"{rng.choice(_GREETINGS)} {rng.choice(_BODIES)}"
        name = rng.choice(_NAMES)
        comment = {
            "name": name,
            "email": f"{name.split()[0].lower().strip('.')}{index}@example.org",
            "text": text,
            "thread": f"/news/{rng.randint(1, 50)}",
        }
        if rng.random() < 0.2:
            comment["url"] = f"https://blog{index}.example"
        comments.append(comment)
    return comments


def akismet_form(comment: dict[str, str], index: int) -> str:
    """The comment as an Akismet client posts it to comment-check (form-encoded)."""
    fields = {
        "api_key": "0123456789abcdef0123456789abcdef01234567",
        "blog": "https://news.example",
        "user_ip": f"198.51.100.{index % 250 + 1}",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
        "permalink": f"https://news.example/2026/12/story-{index % 40}",
        "comment_type": "comment",
        "comment_author": comment["name"],
        "comment_author_email": comment["email"],
        "comment_content": comment["text"],
    }
    if comment.get("url"):
        fields["comment_author_url"] = comment["url"]
    return urlencode(fields)


def wrk_script(
    bodies: list[str],
    path: Path,
    headers: dict[str, str] | None = None,
    target: str = "/v1/comments",
    content_type: str = "application/json",
) -> None:
    """A wrk Lua script that rotates the bodies and prints a JSON summary at the end."""
    quoted = ",\n".join("[==[" + body + "]==]" for body in bodies)
    extra = "".join(
        f'wrk.headers["{name}"] = "{value}"\n' for name, value in (headers or {}).items()
    )
    path.write_text(
        f"""
local bodies = {{
{quoted}
}}
local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "{content_type}"
{extra}request = function()
  counter = counter + 1
  return wrk.format(nil, "{target}", nil, bodies[(counter % #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"non_2xx": %d, "socket_errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""
    )


def wrk_path() -> str:
    """The wrk program on PATH, or a RuntimeError saying how to install it."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk, or brew install wrk)")
    return wrk


def run_wrk(url: str, script: Path, seconds: int) -> dict[str, Any]:
    """One wrk run; its JSON summary."""
    wrk = wrk_path()
    command = [
        wrk,
        f"-t{WRK_THREADS}",
        f"-c{CONNECTIONS}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRKJSON "))
    result: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    return result


def serve(
    app: str,
    env: dict[str, str],
    log: Path,
    *,
    prefix: Sequence[str] = (),
    gunicorn_args: Sequence[str] = (),
    start_seconds: float = 90,
    root: Path = ROOT,
) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn with modq's settings serving ``app``; its process and base URL.

    ``prefix`` runs gunicorn under another program and ``gunicorn_args`` adds to its
    settings (``bench.instructions``: valgrind, and patience with a slow worker).
    ``root``: the source tree served (``bench.compare``: another revision's).
    """
    # A socket already listening, handed to gunicorn (fd://): no port race with others.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        port = int(listener.getsockname()[1])
        child_env = {**env, "MODQ_PORT": str(port), "MODQ_HOST": "127.0.0.1"}
        if "MODQ_DATA_DIR" in child_env:
            share_encoders(Path(root, child_env["MODQ_DATA_DIR"]))
        command = [*prefix, sys.executable, "-m", "gunicorn"]
        command += ["-c", f"python:{gunicorn_config_module(root)}", *gunicorn_args]
        command += ["--bind", f"fd://{listener.fileno()}", app]
        with open(log, "wb") as out:
            process = subprocess.Popen(
                command,
                cwd=root,
                env=child_env,
                stdout=out,
                stderr=out,
                pass_fds=[listener.fileno()],
            )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, base, app, log, start_seconds)
    except BaseException:  # not started, or interrupted while starting: never left running
        stop(process, timeout=5)
        raise
    return process, base


def _wait_until_ready(
    process: subprocess.Popen[bytes], base: str, app: str, log: Path, start_seconds: float
) -> None:
    deadline = time.monotonic() + start_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn for {app} exited; see {log}")
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or busy loading
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn for {app} did not start; see {log}")


def gunicorn_config_module(root: Path) -> str:
    """modq's gunicorn settings module in the tree ``root`` (it moved in commit 2694383)."""
    if (root / "service" / "runtime" / "gunicorn_config.py").exists():
        return "service.runtime.gunicorn_config"
    return "service.gunicorn_config"


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop gunicorn gracefully (killed after ``timeout`` seconds)."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def context_switches(pids: list[int]) -> int:
    """Context switches so far (voluntary and not) of every thread of these processes."""
    total = 0
    for pid in pids:
        try:
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                status = (task / "status").read_text()
            except OSError:  # the thread has exited
                continue
            for line in status.splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
    return total


def batch_sizes(metrics_text: str, histogram: str = "modq_score_batch_size") -> float | None:
    """Mean of a batch-size histogram in modq's /metrics (None: not a modq app):
    comments per model call, or per Redis write with ``modq_store_batch_size``."""
    values: dict[str, float] = {}
    for line in metrics_text.splitlines():
        for name in (f"{histogram}_sum", f"{histogram}_count"):
            if line.startswith(name + " ") or line.startswith(name + "{"):
                values[name] = values.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    count = values.get(f"{histogram}_count", 0.0)
    return round(values[f"{histogram}_sum"] / count, 2) if count else None


def children_of(pid: int) -> list[int]:
    """Direct children of a process (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _shares(cpu: list[float]) -> list[float]:
    return [round(c / max(sum(cpu), 1e-9), 2) for c in cpu]


class Served:
    """One app under gunicorn, warmed up: its process, URL and worker pids."""

    def __init__(
        self, app: str, env: dict[str, str], script: Path, log: Path, root: Path = ROOT
    ) -> None:
        self.app = app
        self.owner = True  # it started its gunicorn: stop() stops it
        # a data directory of its own: gunicorn's config empties its metrics directory
        data_dir = Path(env["MODQ_DATA_DIR"]) / log.stem
        self.process, self.base = serve(
            app, {**env, "MODQ_DATA_DIR": str(data_dir)}, log, root=root
        )
        try:
            run_wrk(self.base, script, WARMUP_SECONDS)
        except BaseException:  # the caller never gets this object to stop: stop it here
            self.stop()
            raise
        self.workers = children_of(self.process.pid)
        self.runs: list[dict[str, Any]] = []

    @classmethod
    def beside(cls, other: Served, label: str, script: Path) -> Served:
        """Another load (``script``) on ``other``'s gunicorn, measured as a row of its own."""
        twin = cls.__new__(cls)
        twin.app, twin.process, twin.base = label, other.process, other.base
        twin.workers, twin.runs, twin.owner = other.workers, [], False
        run_wrk(twin.base, script, WARMUP_SECONDS)
        return twin

    def measure(self, script: Path, redis_pid: int | None) -> dict[str, Any]:
        """One measured run (again while one worker took every connection)."""
        redis_pids = [redis_pid] if redis_pid else []
        balanced = False
        for attempt in range(1, BALANCE_ATTEMPTS + 1):
            before = cpu_seconds(self.workers), cpu_seconds(redis_pids)
            each_before = [cpu_seconds([w]) for w in self.workers]
            switches_before = context_switches(self.workers)
            raw = run_wrk(self.base, script, SECONDS)
            after = cpu_seconds(self.workers), cpu_seconds(redis_pids)
            switches = context_switches(self.workers) - switches_before
            each = [cpu_seconds([w]) - b for w, b in zip(self.workers, each_before, strict=True)]
            # wrk's keep-alive connections stay with the worker that accepted them, and
            # now and then one worker accepts all 16: that run measures one core, not two.
            balanced = min(each) >= BALANCED_SHARE / len(self.workers) * sum(each)
            if balanced:
                break
            shares = _shares(each)
            print(f"  ({self.app}, try {attempt}: one worker took every connection: {shares})")
        seconds = raw["duration_us"] / 1e6
        count = max(1, raw["requests"])
        result = {
            "worker_cpu_shares": _shares(each),
            "attempts": attempt,
            "balanced": balanced,
            "cpu_ms_per_request": round((after[0] - before[0]) * 1000 / count, 3),
            "redis_cpu_ms_per_request": round((after[1] - before[1]) * 1000 / count, 3),
            # the workers' threads giving up the CPU: thread hand-offs, waits on I/O
            "context_switches_per_request": round(switches / count, 2),
            "rps": round(raw["requests"] / seconds, 1),
            "p50_ms": round(raw["p50_us"] / 1000, 2),
            "p99_ms": round(raw["p99_us"] / 1000, 2),
            "requests": raw["requests"],
            "non_2xx": raw["non_2xx"],
            "socket_errors": raw["socket_errors"],
        }
        self.runs.append(result)
        return result

    def summary(self) -> dict[str, Any]:
        """The median run (by requests/s), with every run's figures beside it."""
        ordered = sorted(self.runs, key=lambda r: r["rps"])
        median = dict(ordered[len(ordered) // 2])
        median["balanced"] = all(r["balanced"] for r in self.runs)
        median["runs"] = self.runs
        exposition = requests.get(self.base + "/metrics", timeout=5).text
        median["mean_score_batch"] = batch_sizes(exposition)
        median["mean_write_batch"] = batch_sizes(exposition, "modq_store_batch_size")
        return median

    def stop(self) -> None:
        """Stop its gunicorn (unless it measures beside another's)."""
        if self.owner:
            stop(self.process)


def bench_environment(work: Path) -> dict[str, str]:
    """The served apps' environment: this one without MODQ_* settings, except those that
    shape serving (workers, threads, model, batching), data under ``work``, one BLAS thread."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("MODQ_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        {
            "MODQ_DATA_DIR": str(work / "data"),
            "MODQ_LOG_LEVEL": "WARNING",
            # The bench posts from one address: no limits, unless set here (to measure them)
            "MODQ_RATE_LIMIT": "off",
            "MODQ_SITE_RATE_LIMIT": "off",
            "OMP_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
    )
    for name in (
        "MODQ_WORKERS",
        "MODQ_WORKER_CLASS",
        "MODQ_THREADS",
        "MODQ_MODEL",
        "MODQ_MODELS_DIR",
        "MODQ_BATCH_MAX",
        "MODQ_BATCH_WAIT_MS",
        "MODQ_RATE_LIMIT",
        "MODQ_SITE_RATE_LIMIT",
    ):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def share_encoders(data_dir: Path) -> None:
    """The encoders built here (make encoder-minilm), seen from a served app's data
    directory: a MODQ_MODEL adapted with one names it."""
    built, link = encoders_dir().resolve(), data_dir / "encoders"
    if built.is_dir() and not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(built, target_is_directory=True)


def run(out_dir: Path) -> dict[str, Any]:
    """Run both measurements, print them, write ``out_dir/http.json``."""
    wrk_path()  # before any server starts
    comments = invented_comments(500)
    with tempfile.TemporaryDirectory(prefix="modq-bench-") as tmp:
        work = Path(tmp)
        script = work / "comments.lua"
        wrk_script([json.dumps(c) for c in comments], script)
        akismet_script = work / "akismet.lua"
        wrk_script(
            [akismet_form(c, i) for i, c in enumerate(comments)],
            akismet_script,
            target="/1.1/comment-check",
            content_type="application/x-www-form-urlencoded",
        )
        env = bench_environment(work)
        with RedisServer(work / "redis") as redis_server:
            env["MODQ_REDIS_URL"] = redis_server.url
            logs = out_dir / "http-logs"
            logs.mkdir(parents=True, exist_ok=True)
            redis_pid = redis_server.process.pid if redis_server.process else None
            served: list[Served] = []
            try:
                # Both served at once and measured in turns: a machine that slows down
                # for a while slows both, and each reports its median run.
                for app, log in (("bench.ceiling:app", "ceiling"), ("service.wsgi:app", "intake")):
                    served.append(Served(app, env, script, logs / f"{log}.log"))
                served.append(Served.beside(served[1], "akismet", akismet_script))
                scripts = (script, script, akismet_script)
                for _round in range(ROUNDS):
                    for one, load in zip(served, scripts, strict=True):
                        one.measure(load, redis_pid)
                ceiling, intake, akismet = (one.summary() for one in served)
            finally:
                for one in served:
                    one.stop()
    round_ratios = [
        round(i["rps"] / c["rps"], 3) if c["rps"] else 0.0
        for c, i in zip(ceiling["runs"], intake["runs"], strict=True)
    ]
    summary = {
        "intake": {k: intake[k] for k in ("rps", "p50_ms", "p99_ms")},
        "ceiling": {k: ceiling[k] for k in ("rps", "p50_ms", "p99_ms")},
        "ratio": round(intake["rps"] / ceiling["rps"], 3) if ceiling["rps"] else 0.0,
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        # False: in every run one gunicorn worker held all connections (one core measured)
        "balanced": bool(intake["balanced"] and ceiling["balanced"]),
        "akismet": {k: akismet[k] for k in ("rps", "p50_ms", "p99_ms")},
    }
    print(
        f"POST /v1/comments, {CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS} s per app, "
        "in turns (wrk, 127.0.0.1); each app's median run (akismet: POST /1.1/comment-check"
        " on the intake's gunicorn):"
    )
    for name, result in (("intake", intake), ("akismet", akismet), ("ceiling", ceiling)):
        print(
            f"  {name:<8} {result['rps']:>9.1f} req/s   p50 {result['p50_ms']:>7.2f} ms   "
            f"p99 {result['p99_ms']:>7.2f} ms   ({result['requests']} requests, "
            f"{result['non_2xx']} non-2xx, {result['socket_errors']} socket errors)"
        )
        print(
            f"           CPU per request: gunicorn workers {result['cpu_ms_per_request']:.2f} ms, "
            f"redis {result['redis_cpu_ms_per_request']:.2f} ms; "
            f"{result['context_switches_per_request']:.1f} context switches; "
            f"workers' shares {'/'.join(f'{x:.2f}' for x in result['worker_cpu_shares'])}"
            + "".join(
                f"; {result[key]} {what}"
                for key, what in (
                    ("mean_score_batch", "comments per model call"),
                    ("mean_write_batch", "comments per Redis write"),
                )
                if result.get(key)
            )
        )
    cpu_ratio = ceiling["cpu_ms_per_request"] / max(intake["cpu_ms_per_request"], 1e-9)
    print(f"  CPU-cost ratio (ceiling/intake CPU per request) {cpu_ratio:.3f}: the ratio an idle")
    print("  machine would show; the measured ratio moves with whatever else runs here.")
    print(f"  ratio    {summary['ratio']:.3f} of the ceiling (medians; by round {round_ratios})")
    for name, result in (("intake", intake), ("akismet", akismet), ("ceiling", ceiling)):
        if not result["balanced"]:
            print(
                f"  WARNING: in a round of the {name}, all {BALANCE_ATTEMPTS} runs had one worker "
                "holding every connection: that round measures one core."
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "http.json").write_text(json.dumps(summary, indent=2) + "\n")
    details = {
        "intake": intake,
        "akismet": akismet,
        "ceiling": ceiling,
        "cpu_ratio": round(cpu_ratio, 3),
        "round_ratios": round_ratios,
    }
    (out_dir / "http-details.json").write_text(json.dumps(details, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    run(Path(os.environ.get("MODQ_DATA_DIR", "var")) / "bench")
