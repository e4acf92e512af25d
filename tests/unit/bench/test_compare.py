"""``python -m bench.compare``: another revision checked out and built beside this one,
and the paired summary of alternating rounds."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

compare = importlib.import_module("bench.compare")


def run(rps: float, cpu: float, p99: float) -> dict[str, Any]:
    return {"rps": rps, "cpu_ms_per_request": cpu, "redis_cpu_ms_per_request": 0.1, "p99_ms": p99}


def test_the_summary_takes_medians_of_each_rounds_ratio() -> None:
    rounds = [
        {"revision": run(100, 1.9, 40), "tree": run(120, 1.4, 30)},
        {"revision": run(50, 3.9, 90), "tree": run(55, 3.4, 80)},  # a slow spell hits both
        {"revision": run(100, 1.9, 50), "tree": run(90, 2.1, 70)},
    ]
    summary = compare.paired_summary(rounds)
    assert summary["rps_ratio"] == 1.1  # median of 1.2, 1.1, 0.9
    assert summary["cpu_ratio"] == 0.875  # median of 0.75, 0.875, 1.1
    assert summary["rounds_tree_ahead"] == 2
    assert summary["p99_ms"] == {"tree": 70.0, "revision": 50.0}


@pytest.mark.parametrize("argv", [[], ["HEAD", "x"], ["HEAD", "3", "4"]])
def test_bad_arguments_print_the_usage(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert compare.main(argv) == 2
    assert "usage: python -m bench.compare REV [ROUNDS]" in capsys.readouterr().out


@pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("gcc") is None, reason="needs git and gcc"
)
def test_a_revision_is_checked_out_built_and_removed() -> None:
    root = Path(compare.http.ROOT)
    if subprocess.run(["git", "rev-parse"], cwd=root, capture_output=True).returncode:
        pytest.skip("not a git checkout")
    with compare.worktree("HEAD") as tree:
        assert (tree / "service" / "wsgi.py").exists()
        assert compare.build_hashing(tree)
        assert list((tree / "classifier").glob("_hashing*.so"))
    assert not tree.exists()
    listed = subprocess.run(["git", "worktree", "list"], cwd=root, capture_output=True, text=True)
    assert str(tree) not in listed.stdout
