"""The classifier's part of the ``modq`` command: ``train`` and ``score``.

``cli`` is a click group; ``service.cli.main`` adds the service's commands to it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import IO

import click

from classifier.paths import models_dir

DEFAULT_DATA = Path("../shared/datasets")
SCORE_BATCH = 1000


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """modq: self-hosted comment moderation (spam and toxicity scores, review queue)."""


@cli.command()
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Labeled CSV or folder of them (repeatable). Default: ../shared/datasets.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Models directory to write <version>/ into (default: MODQ_MODELS_DIR or var/models).",
)
@click.option("--no-promote", is_flag=True, help="Do not mark the new model current.")
@click.option("--seed", type=int, default=None, help="Split seed (default: fixed).")
def train(data: tuple[Path, ...], out: Path | None, no_promote: bool, seed: int | None) -> None:
    """Train a new model on labeled CSVs and mark it current."""
    from classifier.promotion import promote
    from classifier.train import DEFAULT_SEED
    from classifier.train import train as run_training

    paths = list(data)
    if not paths:
        if not DEFAULT_DATA.is_dir():
            raise click.UsageError(
                f"no training data: pass --data PATH (a labeled CSV or a folder of them); "
                f"the default {DEFAULT_DATA} does not exist here"
            )
        paths = [DEFAULT_DATA]
    target = out if out is not None else models_dir()
    model = run_training(
        paths,
        target,
        seed=DEFAULT_SEED if seed is None else seed,
        progress=lambda message: click.echo(message, err=True),
    )
    assert model.directory is not None
    if no_promote:
        click.echo(f"trained {model.version} in {model.directory} (not promoted)")
    else:
        promote(model.version, target)
        click.echo(f"trained {model.version} in {model.directory}, marked current")


@cli.command()
@click.option(
    "--model",
    "model_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Model directory (default: the model the service would use: MODQ_MODEL, else the "
    "current model of the registry, else the shipped default).",
)
@click.argument("in_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Output CSV (default: standard output).",
)
def score(model_dir: Path | None, in_csv: Path, output: Path | None) -> None:
    """Score a CSV with a text column: write every column plus spam_score and toxicity_score."""
    from classifier.model import load_model
    from classifier.paths import pinned_model_dir

    model = load_model(model_dir if model_dir is not None else pinned_model_dir())
    with in_csv.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        if "text" not in columns:
            raise click.UsageError(f"{in_csv} has no 'text' column")
        rows = list(reader)
    out_columns = columns + [c for c in ("spam_score", "toxicity_score") if c not in columns]
    sink: IO[str]
    sink = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.DictWriter(sink, fieldnames=out_columns, extrasaction="ignore")
        writer.writeheader()
        with click.progressbar(
            length=len(rows), label="scoring", file=sys.stderr, show_pos=True
        ) as bar:
            for start in range(0, len(rows), SCORE_BATCH):
                batch = rows[start : start + SCORE_BATCH]
                comments = [
                    {k: (r.get(k) or "") for k in ("text", "name", "email", "url")} for r in batch
                ]
                for row, scores in zip(batch, model.score(comments), strict=True):
                    row["spam_score"] = f"{scores.spam:.6f}"
                    row["toxicity_score"] = f"{scores.toxicity:.6f}"
                    writer.writerow(row)
                bar.update(len(batch))
    finally:
        if output:
            sink.close()


def main() -> None:
    """Entry point of the ``modq`` console script (until service.cli.main takes it over)."""
    cli()


from classifier.evaluate_cli import evaluate  # noqa: E402  (owned by the evaluation part)

cli.add_command(evaluate)
