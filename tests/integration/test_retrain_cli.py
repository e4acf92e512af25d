"""`modq train --with-labels` and `make retrain` run the retrain; plain `modq train` does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from service.cli import main as service_cli
from service.cli import retrain as retrain_commands


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def fake_run(ctx: click.Context, data: tuple[Path, ...], **options: Any) -> None:
        seen.append({"data": data, **options})
        click.echo("kept fake: nothing to learn")

    monkeypatch.setattr(retrain_commands, "run_retrain", fake_run)
    return seen


def test_train_with_labels_runs_the_retrain(calls: list[dict[str, Any]], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        service_cli.build_cli(),
        ["train", "--with-labels", "--data", str(tmp_path), "--out", str(tmp_path / "m")],
    )
    assert result.exit_code == 0, result.output
    assert calls == [{"data": (tmp_path,), "models_dir": tmp_path / "m"}]
    assert result.stdout.strip().splitlines()[-1] == "kept fake: nothing to learn"


def test_with_labels_refuses_no_promote(calls: list[dict[str, Any]], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        service_cli.build_cli(), ["train", "--with-labels", "--no-promote", "--data", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--no-promote" in result.output
    assert calls == []


def test_makefile_retrain_uses_the_with_labels_path() -> None:
    makefile = Path(__file__).resolve().parents[2] / "Makefile"
    recipe = makefile.read_text(encoding="utf-8").split("\nretrain:", 1)[1].split("\n\n", 1)[0]
    assert "modq train --with-labels --data $(DATA)" in recipe
