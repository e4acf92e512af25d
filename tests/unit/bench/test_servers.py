"""``make bench`` checks for wrk before starting anything and stops every server it started."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import http

bench_main = importlib.import_module("bench.__main__")
bench_classifier = importlib.import_module("bench.classifier")
ROOT = Path(__file__).resolve().parents[3]


def fake_wrk(directory: Path, body: str) -> dict[str, str]:
    """An environment whose PATH finds a ``wrk`` that runs ``body`` (a shell script)."""
    directory.mkdir(parents=True, exist_ok=True)
    wrk = directory / "wrk"
    wrk.write_text(f"#!/bin/sh\n{body}\n")
    wrk.chmod(0o755)
    return {**os.environ, "PATH": f"{directory}{os.pathsep}{os.environ['PATH']}"}


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if stat[0] != "Z":
                parents[int(entry.name)] = int(stat[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_without_wrk_nothing_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[Path] = []
    monkeypatch.setenv("MODQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(bench_classifier, "run", lambda out_dir: ran.append(out_dir) or {})

    def no_process(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"started {args}")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    assert bench_main.main(["classifier", "http"]) == 2
    assert ran == []
    out = capsys.readouterr().out
    assert "the http section needs wrk" in out
    assert "apt-get install wrk" in out
    assert "python -m bench classifier" in out


@pytest.mark.slow
def test_a_failing_wrk_stops_the_servers_it_started(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", fake_wrk(tmp_path / "bin", "exit 1")["PATH"])
    started: list[subprocess.Popen[bytes]] = []
    real_serve = http.serve

    def recording_serve(*args: object, **kwargs: object) -> tuple[subprocess.Popen[bytes], str]:
        process, base = real_serve(*args, **kwargs)  # type: ignore[arg-type]
        started.append(process)
        return process, base

    monkeypatch.setattr(http, "serve", recording_serve)
    before = descendants(os.getpid())  # a private Redis of other tests may be running
    with pytest.raises(subprocess.CalledProcessError):
        http.run(tmp_path / "out")
    assert started, "the ceiling was served before wrk ran"
    assert [process.poll() is not None for process in started] == [True] * len(started)
    assert descendants(os.getpid()) - before == set()


@pytest.mark.slow
def test_sigterm_stops_every_server(tmp_path: Path) -> None:
    marker = tmp_path / "wrk-started"
    env = fake_wrk(tmp_path / "bin", f"touch {marker}\nexec sleep 60")
    env["MODQ_DATA_DIR"] = str(tmp_path / "data")
    bench = subprocess.Popen(
        [sys.executable, "-m", "bench", "http"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180  # a loaded 2-core machine starts gunicorn slowly
        while not marker.exists() and time.monotonic() < deadline and bench.poll() is None:
            time.sleep(0.1)
        assert marker.exists(), "the HTTP section never ran wrk"
        servers = descendants(bench.pid)
        assert len(servers) >= 3  # redis-server, gunicorn and its worker(s), wrk
        bench.send_signal(signal.SIGTERM)
        assert bench.wait(timeout=120) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [pid for pid in servers if alive(pid)] == []
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()
