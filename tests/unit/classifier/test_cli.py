"""The classifier's commands: modq score and modq train."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import cli

from .conftest import TINY_CSV


def _write_input(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "name", "thread"])
        writer.writerow(["1", "Check out my channel http://bit.ly/x1, subscribe!!!", "Bob", "t1"])
        writer.writerow(["2", "you are a complete idiot", "", "t1"])
        writer.writerow(["3", 'a "quoted", multi\nline comment', "", "t2"])
    return path


def test_score_writes_every_input_column_plus_the_scores(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    source = _write_input(tmp_path / "in.csv")
    target = tmp_path / "out.csv"
    result = CliRunner().invoke(
        cli, ["score", "--model", str(tiny_model_dir), str(source), "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "text", "name", "thread", "spam_score", "toxicity_score"]
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert rows[2]["text"] == 'a "quoted", multi\nline comment'
    for row in rows:
        assert 0.0 <= float(row["spam_score"]) <= 1.0
        assert 0.0 <= float(row["toxicity_score"]) <= 1.0


def test_score_without_output_writes_csv_to_stdout(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = _write_input(tmp_path / "in.csv")
    result = CliRunner().invoke(cli, ["score", "--model", str(tiny_model_dir), str(source)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 3 and "spam_score" in rows[0]


def test_score_refuses_a_csv_without_text(tiny_model_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id,body\n1,hello\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["score", "--model", str(tiny_model_dir), str(source)])
    assert result.exit_code != 0
    assert "no 'text' column" in result.output


def test_train_writes_under_the_models_dir_and_marks_it_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import classifier.train as training

    from .conftest import TINY_RECIPE

    monkeypatch.setattr(training, "Recipe", lambda: TINY_RECIPE)
    models = tmp_path / "models"
    monkeypatch.setenv("MODQ_MODELS_DIR", str(models))
    result = CliRunner().invoke(cli, ["train", "--data", str(TINY_CSV)])
    assert result.exit_code == 0, result.output
    version = (models / "CURRENT").read_text().strip()
    assert (models / version / "model.skops").is_file()
    assert f"trained {version}" in result.output


def test_train_without_data_says_what_to_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["train"])
    assert result.exit_code != 0
    assert "--data" in result.output


def test_score_without_model_uses_the_pinned_model(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifier import load_model

    monkeypatch.setenv("MODQ_MODEL", str(tiny_model_dir))
    source = _write_input(tmp_path / "in.csv")
    result = CliRunner().invoke(cli, ["score", str(source)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    expected = load_model(tiny_model_dir).score([{"text": rows[1]["text"]}])[0]
    assert float(rows[1]["toxicity_score"]) == pytest.approx(expected.toxicity, abs=1e-6)
