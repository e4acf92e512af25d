"""``python -m bench`` runs its sections in order and skips one that does not exist yet."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

bench_main = importlib.import_module("bench.__main__")
bench_classifier = importlib.import_module("bench.classifier")


def test_a_missing_section_is_skipped_and_the_others_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ran: list[Path] = []
    monkeypatch.setenv("MODQ_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(bench_main, "SECTIONS", ("classifier", "not_written_yet"))
    monkeypatch.setattr(bench_classifier, "run", lambda out_dir: ran.append(out_dir) or {})
    assert bench_main.main([]) == 0
    assert ran == [tmp_path / "bench"]
    assert "not_written_yet: skipped" in capsys.readouterr().out


def test_an_unknown_section_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_main.main(["nonsense"]) == 2
    assert "unknown section" in capsys.readouterr().out


def test_invented_comments_are_varied_and_comment_sized() -> None:
    comments = bench_classifier.invented_comments(1000)
    texts = [c["text"] for c in comments]
    assert len(set(texts)) > 900
    assert 200 <= sum(map(len, texts)) / len(texts) <= 300
    assert 200 <= len(bench_classifier.SINGLE_COMMENT) <= 300


def test_the_in_process_section_measures_both_apps_on_real_requests() -> None:
    # its own process: the section builds modq's app from MODQ_* settings
    code = "import json; from bench.inprocess import measure; print(json.dumps(measure(1, 20)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["requests"] == 20
    assert 0 < result["ceiling_cpu_ms"] < result["intake_cpu_ms"]
