"""``modq retrain`` and ``modq train --with-labels``: learn from the moderators' decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import redis

from classifier.adaptation import ANCHOR_WEIGHT
from classifier.cli import DEFAULT_DATA
from classifier.encoder import EncoderError
from service.learning.retrain import Method, retrain
from service.runtime.embedded import redis_client_for_cli
from service.settings import Settings, SettingsError

data_option = click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Base labeled CSV or folder of them (repeatable). Default: ../shared/datasets.",
)


@click.command("retrain")
@data_option
@click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The model registry (default: MODQ_MODELS_DIR, else $MODQ_DATA_DIR/models).",
)
@click.option(
    "--label-weight",
    type=click.FloatRange(min=0.0, min_open=True),
    default=None,
    help="--method joint: the labels' weight relative to one public source "
    "(default: MODQ_LABEL_WEIGHT).",
)
@click.option(
    "--method",
    type=click.Choice([m.value for m in Method]),
    default=Method.ADAPTER.value,
    show_default=True,
    help="adapter: fit the base model to the labels (seconds); "
    "joint: refit the base recipe on base data plus labels (minutes).",
)
@click.option(
    "--anchor-weight",
    type=click.FloatRange(min=0.0),
    default=ANCHOR_WEIGHT,
    show_default=True,
    help="--method adapter: how strongly public rows hold the adapted model to the base "
    "model, relative to the labels (0: not at all).",
)
@click.pass_context
def retrain_command(
    ctx: click.Context,
    data: tuple[Path, ...],
    models_dir: Path | None,
    label_weight: float | None,
    method: str,
    anchor_weight: float,
) -> None:
    """Train on the base data plus every moderator label; promote only if not worse.

    The last line is `promoted <version> (replacing <previous>): …` or
    `kept <version>: candidate <version> is …`: the model in use first.
    """
    run_retrain(
        ctx,
        data,
        models_dir=models_dir,
        label_weight=label_weight,
        method=Method(method),
        anchor_weight=anchor_weight,
    )


def run_retrain(
    ctx: click.Context,
    data: tuple[Path, ...],
    *,
    models_dir: Path | None = None,
    label_weight: float | None = None,
    method: Method = Method.ADAPTER,
    anchor_weight: float = ANCHOR_WEIGHT,
) -> None:
    """Shared by `modq retrain` and `modq train --with-labels`."""
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    changes: dict[str, Any] = {}
    if models_dir is not None:
        changes["models_dir"] = models_dir
    if label_weight is not None:
        changes["label_weight"] = label_weight
    settings = settings.with_overrides(**changes)
    paths = list(data) or [DEFAULT_DATA]
    if not data and not DEFAULT_DATA.is_dir():
        raise click.UsageError(f"no base data: pass --data PATH ({DEFAULT_DATA} does not exist)")

    def say(message: str) -> None:
        click.echo(message, err=True)

    options: dict[str, Any] = {
        "method": method,
        "anchor_weight": anchor_weight,
        "progress": say,
    }
    given = (ctx.obj or {}).get("redis") if isinstance(ctx.obj, dict) else None
    try:
        if given is not None:
            outcome = retrain(settings, given, paths, **options)
        else:
            with redis_client_for_cli(settings) as client:
                outcome = retrain(settings, client, paths, **options)
    except redis.RedisError as error:
        raise click.ClickException(f"Redis is not reachable: {error}") from None
    except EncoderError as error:  # MODQ_ENCODER names an encoder not built here
        raise click.ClickException(f"MODQ_ENCODER={settings.encoder.value}: {error}") from None
    click.echo(outcome.line)


def _train_with_labels(original: click.Command) -> click.Command:
    """The core's `train` command plus `--with-labels` (which runs the retrain instead)."""
    with_labels = click.Option(
        ["--with-labels"],
        is_flag=True,
        help="Also learn from every moderator label in Redis, and promote only if the "
        "candidate beats the current model (same as `modq retrain`).",
    )

    @click.pass_context
    def callback(ctx: click.Context, with_labels: bool, **kwargs: Any) -> Any:
        if with_labels:
            if kwargs.get("no_promote"):
                raise click.UsageError("--with-labels decides promotion itself; drop --no-promote")
            return run_retrain(ctx, tuple(kwargs.get("data") or ()), models_dir=kwargs.get("out"))
        return ctx.invoke(original, **kwargs)

    return click.Command(
        name=original.name,
        callback=callback,
        params=[*original.params, with_labels],
        help=original.help,
        short_help=original.short_help,
    )


def register(cli: click.Group) -> None:
    """Add `retrain`, and `--with-labels` to the classifier's `train` command."""
    cli.add_command(retrain_command)
    original = cli.commands.get("train")
    # The root group is a module-level object: build it twice, wrap `train` once.
    if original is not None and not any(p.name == "with_labels" for p in original.params):
        cli.add_command(_train_with_labels(original))
