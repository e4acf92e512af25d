"""``modq evaluate``: measure a model on labeled CSVs, beside alt-profanity-check.

Which rows count: a file the model was trained on (its sha256 is in the model
card) is evaluated on the held-out **test** split only, reproduced with the
trainer's split function and the card's seed; any other file is evaluated on
all of its rows. ``--split all`` / ``--split held-out`` force one behaviour.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from classifier.data import LabeledComment, find_csv_files, load_labeled, read_labeled_csv
from classifier.evaluate import format_table, head_metrics
from classifier.evaluation_sets import Pool, score_pool

CONVERSATION_SET = "conversation as spam negatives (toxicity rows)"


def _row(r: LabeledComment) -> dict[str, str]:
    return {
        "text": r.text,
        "name": r.name,
        "email": r.email,
        "url": r.url,
        "spam": "" if r.spam is None else str(r.spam),
        "toxic": "" if r.toxic is None else str(r.toxic),
        "source": r.source,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _set_name(path: Path) -> str:
    return path.parent.name if path.name == "data.csv" else path.name


def heldout_test_rows(
    card: dict[str, Any], trained_files: Sequence[Path]
) -> tuple[list[LabeledComment], str]:
    """The test-split rows of ``trained_files``, split as the trainer did; and how."""
    from classifier.train import DEFAULT_SEED, split_dataset

    seed = int(card.get("seed", DEFAULT_SEED))
    # Reproduce the trainer exactly when every training file is still there unchanged
    # (de-duplication across files decides which copy of a text survives).
    card_files = [Path(str(d.get("path", ""))) for d in card.get("data", [])]
    complete = bool(card_files) and all(
        p.is_file() and _sha256(p) == d.get("sha256")
        for p, d in zip(card_files, card.get("data", []), strict=True)
    )
    source_files = card_files if complete else list(trained_files)
    rows, _ = load_labeled(source_files)
    wanted = {str(p.resolve()) for p in trained_files}
    test = [r for r in split_dataset(rows, seed=seed).test if str(Path(r.file).resolve()) in wanted]
    how = (
        f"the trainer's test split (seed {seed}) of all {len(card_files)} training files"
        if complete
        else f"the test split (seed {seed}) of the given files only (training files not all "
        "found unchanged; cross-file de-duplication may differ slightly)"
    )
    if card.get("moderator_labels"):
        how += (
            f"; the model also learned {card['moderator_labels']} moderator labels not split here"
        )
    return test, how


def build_pool(card: dict[str, Any], paths: Sequence[Path], split: str) -> tuple[Pool, list[str]]:
    """The evaluation pool for ``paths`` and notes saying which rows were used."""
    files = find_csv_files(paths)
    trained_shas = {str(d.get("sha256")) for d in card.get("data", [])}
    if split == "held-out":
        trained = files
    elif split == "all":
        trained = []
    else:
        trained = [f for f in files if _sha256(f) in trained_shas]
    fresh = [f for f in files if f not in trained]
    pool = Pool()
    notes: list[str] = []
    if trained:
        test, how = heldout_test_rows(card, trained)
        by_file: dict[str, list[LabeledComment]] = {}
        for r in test:
            by_file.setdefault(str(Path(r.file).resolve()), []).append(r)
        for f in trained:
            rows = by_file.get(str(f.resolve()), [])
            pool.add(f"held-out {_set_name(f)}", [_row(r) for r in rows])
        conversation = [
            _row(r) | {"spam": "0", "toxic": ""}
            for r in test
            if r.spam is None and r.toxic is not None
        ]
        if conversation:
            pool.add(CONVERSATION_SET, conversation, split_sources=False)
        notes.append(
            f"HELD-OUT ONLY: {len(trained)} file(s) the model was trained on are evaluated on "
            f"{how}: {len(test)} rows never used for fitting, calibration or thresholds."
        )
    for f in fresh:
        rows, _ = read_labeled_csv(f)
        pool.add(_set_name(f), [_row(r) for r in rows])
    if fresh:
        notes.append(
            f"ALL ROWS: {len(fresh)} file(s) not in the model's training data are evaluated "
            "on every row."
        )
    if len(files) > 1:
        labeled_sets = [name for name in pool.sets if name != CONVERSATION_SET and "·" not in name]
        everything = sorted({i for name in labeled_sets for i in pool.sets[name]})
        pool.sets["all files"] = everything
    return pool, notes


@click.command()
@click.option(
    "--model",
    "model_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Model directory (default: the model the service would use).",
)
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Labeled CSV or folder of them (repeatable).",
)
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--split",
    type=click.Choice(["auto", "held-out", "all"]),
    default="auto",
    show_default=True,
    help="auto: held-out test split for files the model was trained on, all rows otherwise.",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Write report.html with ROC, precision-recall and calibration plots here.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write every metric as JSON.",
)
@click.option("--no-peer", is_flag=True, help="Do not score with alt-profanity-check.")
@click.option(
    "--loso",
    is_flag=True,
    help="Leave-one-source-out instead: per toxicity source (and YouTube video) fit a model "
    "on the other data with the trainer's recipe and test on it (slow: one fit each).",
)
@click.option(
    "--only",
    default="",
    help="With --loso: comma-separated held-out sources or videos to run (default: all).",
)
def evaluate(
    model_dir: Path | None,
    data: tuple[Path, ...],
    files: tuple[Path, ...],
    split: str,
    report_dir: Path | None,
    json_path: Path | None,
    no_peer: bool,
    loso: bool,
    only: str,
) -> None:
    """Evaluate a model on labeled CSVs: ROC-AUC, AP, ECE, P/R/F1 at its thresholds."""
    from classifier import load_model, peer

    paths = [*files, *data]
    if not paths:
        raise click.UsageError("pass labeled CSV files or --data PATH (a CSV or a folder)")
    if loso:
        _run_loso(paths, only, with_peer=not no_peer and peer.is_available(), json_path=json_path)
        return
    model = load_model(model_dir)
    with_peer = not no_peer and peer.is_available()
    pool, notes = build_pool(model.card, paths, split)
    if not no_peer and not with_peer:
        notes.append(f"{peer.NAME} is not installed: no side-by-side rows.")
    if with_peer:
        notes.append(
            f"{peer.NAME} {peer.version()} rows use its own default threshold 0.5. Its training "
            "data included Davidson et al. and Wikipedia talk comments: not unseen for it."
        )
    click.echo(f"model {model.version}; {len(pool.rows)} rows to score", err=True)
    with click.progressbar(length=len(pool.rows), label="scoring", file=sys.stderr) as bar:
        done = 0

        def advance(n: int, _total: int) -> None:
            nonlocal done
            bar.update(n - done)
            done = n

        scored = score_pool(model, pool, with_peer=with_peer, progress=advance)
    rows = [head_metrics(s) for s in scored]
    click.echo(f"model {model.version}")
    for note in notes:
        click.echo(note)
    click.echo(format_table(rows))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        payload = {"model": model.version, "notes": notes, "rows": [r.as_dict() for r in rows]}
        json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_path}")
    if report_dir is not None:
        from classifier.report import write_report

        path = write_report(scored, report_dir, title=f"modq {model.version}", notes=notes)
        click.echo(f"wrote {path}")


def _run_loso(paths: Sequence[Path], only: str, *, with_peer: bool, json_path: Path | None) -> None:
    from classifier.loso import format_loso, results_json, run_loso
    from classifier.train import DEFAULT_SEED

    rows, _ = load_labeled(paths)
    results = run_loso(
        rows,
        seed=DEFAULT_SEED,
        only=[o.strip() for o in only.split(",") if o.strip()],
        with_peer=with_peer,
        say=lambda m: click.echo(m, err=True),
    )
    click.echo(
        "Leave-one-source-out: each row is a model fitted (trainer's split and recipe, seed "
        f"{DEFAULT_SEED}) without that source, scored on all of that source's labeled rows."
    )
    click.echo(format_loso(results))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(results_json(results), indent=2) + "\n", encoding="utf-8")
        click.echo(f"wrote {json_path}")
