"""``modq models list|promote|rollback|prune``: the model registry from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from classifier import load_model
from classifier.model import ModelError
from classifier.promotion import list_models, promote, prune, prune_plan, rollback
from classifier.registry import RegistryError
from service.settings import Settings

models_dir_option = click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The model registry (default: MODQ_MODELS_DIR, else $MODQ_DATA_DIR/models).",
)


def resolve_models_dir(models_dir: Path | None) -> Path:
    """The registry directory: the option, else the settings'."""
    return models_dir if models_dir is not None else Settings.from_env().resolved_models_dir


@click.group("models")
def models_group() -> None:
    """List the trained models, promote one, roll back."""


@models_group.command("list")
@models_dir_option
def list_command(models_dir: Path | None) -> None:
    """Every model: version, created, training rows, moderator labels, ROC-AUC; * is current."""
    root = resolve_models_dir(models_dir)
    infos = list_models(root)
    if not infos:
        click.echo(f"no trained models in {root} (the shipped default model is in use)")
        return
    header = f"  {'version':<28} {'created':<20} {'rows':>7} {'labels':>6} {'spam':>6} {'toxic':>6}"
    click.echo(header)
    for info in infos:
        metrics = info.key_metrics()
        click.echo(
            f"{'*' if info.current else ' '} {info.version:<28} {info.created_at[:19]:<20} "
            f"{info.data_rows:>7} {info.moderator_labels:>6} "
            f"{_auc(metrics.get('spam')):>6} {_auc(metrics.get('toxicity')):>6}"
        )
    if not any(info.current for info in infos):
        click.echo("(none is current: the shipped default model is in use)")


@models_group.command("promote")
@click.argument("version")
@models_dir_option
def promote_command(version: str, models_dir: Path | None) -> None:
    """Make VERSION the model in use; running services switch to it within seconds."""
    root = resolve_models_dir(models_dir)
    try:
        load_model(root / version)  # refuse a model the service could not load
        previous = promote(version, root)
    except (RegistryError, ModelError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"promoted {version} (was {previous or 'the shipped default'})")


@models_group.command("rollback")
@models_dir_option
def rollback_command(models_dir: Path | None) -> None:
    """Make the model that was in use before the last promotion current again."""
    root = resolve_models_dir(models_dir)
    try:
        left, now = rollback(root)
    except RegistryError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"rolled back from {left} to {now or 'the shipped default'}")


@models_group.command("prune")
@click.option(
    "--keep",
    "newest",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="How many of the newest models to keep besides the protected ones.",
)
@click.option("--yes", is_flag=True, help="Delete; without it, only show what would go.")
@models_dir_option
def prune_command(newest: int, yes: bool, models_dir: Path | None) -> None:
    """Delete old models: keeps the current one, every one a rollback can reach, the base
    of each kept adapted model, and the --keep newest. Shows the plan unless --yes."""
    root = resolve_models_dir(models_dir)
    plan = prune(root, newest) if yes else prune_plan(root, newest)
    for version, why in plan.keep.items():
        click.echo(f"keep    {version}  ({why})")
    for version in plan.delete:
        click.echo(f"{'deleted' if yes else 'delete '} {version}")
    if not yes and plan.delete:
        click.echo(f"dry run: {len(plan.delete)} model(s) would be deleted; add --yes to delete")
    elif not plan.delete:
        click.echo("nothing to delete")


def _auc(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"
