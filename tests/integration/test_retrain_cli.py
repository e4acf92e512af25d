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


def test_retrain_with_an_encoder_not_built_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifier.encoder import get_encoder
    from service.learning.retrain import retrain_with_records

    def labels_read(settings: Any, client: Any, paths: Any, **options: Any) -> Any:
        return retrain_with_records(settings, [], paths, **options)  # no Redis needed

    monkeypatch.setattr(retrain_commands, "retrain", labels_read)
    monkeypatch.setenv("MODQ_ENCODER", "minilm")
    monkeypatch.setenv("MODQ_DATA_DIR", str(tmp_path))
    get_encoder.cache_clear()
    try:
        result = CliRunner().invoke(
            service_cli.build_cli(), ["retrain", "--data", str(tmp_path)], obj={"redis": object()}
        )
    finally:
        get_encoder.cache_clear()
    assert result.exit_code == 1, result.output
    assert "MODQ_ENCODER=minilm" in result.output and "make encoder-minilm" in result.output
