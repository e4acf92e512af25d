"""``modq evaluate`` on small fixture CSVs with a tiny model trained by the trainer."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import cli
from classifier.data import load_labeled
from classifier.model import save_model
from classifier.train import Recipe, fit_model, split_dataset

SEED = 7
GOOD = ["thanks for the article", "lovely photos", "when is the meeting", "the road needs work"]
TOXIC = ["you are an idiot", "shut up moron", "what a stupid jerk", "go away loser"]
SPAM = ["buy cheap pills now", "subscribe to my channel", "free money click here"]


def _write(path: Path, n: int, prefix: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["id", "text", "spam", "toxic", "source"])
        writer.writeheader()
        for i in range(n):
            kind = i % 3
            text = [GOOD, TOXIC, SPAM][kind][i % 3] + f" {prefix} {i}"
            spam = {0: "0", 1: "", 2: "1"}[kind]
            toxic = {0: "0", 1: "1", 2: ""}[kind]
            source = "forum" if i % 2 else "blog"
            writer.writerow(
                {"id": f"{prefix}{i}", "text": text, "spam": spam, "toxic": toxic, "source": source}
            )
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny model directory and the CSV it was trained on (card with sha256 and seed)."""
    root = tmp_path_factory.mktemp("evaluate")
    train_csv = _write(root / "train.csv", 240, "t")
    rows, files = load_labeled([train_csv])
    splits = split_dataset(rows, seed=SEED)
    model = fit_model(splits.train, splits.val, recipe=Recipe(n_features=2**12))
    model.card["seed"] = SEED
    model.card["data"] = [
        {"path": str(train_csv), "sha256": files[0].sha256, "rows": files[0].rows}
    ]
    save_model(model, root / "model")
    return root / "model", train_csv


def test_evaluate_prints_a_table_and_writes_a_report_for_a_new_csv(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    model_dir, _ = trained
    data = _write(tmp_path / "new.csv", 60, "n")
    report = tmp_path / "report"
    result = CliRunner().invoke(
        cli,
        ["evaluate", "--model", str(model_dir), str(data), "--report", str(report), "--no-peer"],
    )
    assert result.exit_code == 0, result.output
    assert "ALL ROWS" in result.stdout
    table = [line for line in result.stdout.splitlines() if line.split()[:2][-1:] != ["·"]]
    table = [line for line in table if line.startswith("new.csv ")]
    assert {line.split()[1] for line in table} == {"spam", "toxicity"}
    # 40 toxicity-labeled rows (kinds 0 and 1), 20 of them toxic
    assert any(line.split()[1:5] == ["toxicity", "modq", "40", "20"] for line in table)
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "new.csv" in page
    for png in report.glob("*.png"):
        assert f"src='{png.name}'" in page
    for head in ("spam", "toxicity"):
        for kind in ("roc", "pr", "calibration"):
            assert (report / f"new-csv-{head}-{kind}.png").is_file()


def test_evaluate_uses_only_the_held_out_split_of_training_data(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    model_dir, train_csv = trained
    rows, _ = load_labeled([train_csv])
    test_rows = split_dataset(rows, seed=SEED).test
    out = tmp_path / "metrics.json"
    result = CliRunner().invoke(
        cli,
        ["evaluate", "--model", str(model_dir), "--data", str(train_csv), "--json", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "HELD-OUT ONLY" in result.stdout
    metrics = json.loads(out.read_text(encoding="utf-8"))
    spam = next(
        r for r in metrics["rows"] if r["dataset"] == "held-out train.csv" and r["head"] == "spam"
    )
    assert spam["n"] == sum(r.spam is not None for r in test_rows)
    assert 0 < spam["n"] < 240


def test_evaluate_with_split_all_counts_every_row(trained: tuple[Path, Path]) -> None:
    model_dir, train_csv = trained
    result = CliRunner().invoke(
        cli,
        ["evaluate", "--model", str(model_dir), str(train_csv), "--split", "all", "--no-peer"],
    )
    assert result.exit_code == 0, result.output
    line = next(
        line
        for line in result.stdout.splitlines()
        if line.startswith("train.csv ") and " spam " in line
    )
    assert line.split()[3] == "160"  # kinds 0 and 2 carry a spam label
