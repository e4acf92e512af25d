"""``modq queue stats|export-labels``: the review queue from the command line."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import redis

from service.queue.review import ReviewQueue
from service.queue.stats import age_text, read_stats
from service.runtime.embedded import redis_client_for_cli
from service.settings import Settings, SettingsError
from service.store import keys
from service.store.decision_log import read_labels, read_labels_everywhere, write_labels_csv


@contextlib.contextmanager
def _redis(ctx: click.Context) -> Iterator[redis.Redis]:
    """The Redis the service uses (MODQ_REDIS_URL, else the embedded one); tests pass their own."""
    given = (ctx.obj or {}).get("redis") if isinstance(ctx.obj, dict) else None
    if given is not None:
        yield given
        return
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    try:
        with redis_client_for_cli(settings) as client:
            yield client
    except redis.RedisError as error:
        raise click.ClickException(f"Redis is not reachable: {error}") from None


@click.group("queue")
def queue_group() -> None:
    """The review queue: statistics and the moderators' labels."""


@queue_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print the stats as JSON.")
@click.option("--site", default=keys.DEFAULT_NAMESPACE, show_default=True, help="Which site.")
@click.pass_context
def stats_command(ctx: click.Context, as_json: bool, site: str) -> None:
    """Queue depth, oldest age, leases and recent decisions (of one site)."""
    with _redis(ctx) as client:
        stats = read_stats(ReviewQueue(client, namespace=site))
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    lines: list[tuple[str, Any]] = [
        ("pending", stats["depth"]),
        ("unclaimed", stats["available"]),
        ("leased", stats["leased"]),
        ("oldest", age_text(stats["oldest_age_s"]) if stats["depth"] else "-"),
        ("decided last hour", stats["decided_last_hour"]),
    ]
    for name, count in stats["decided_last_hour_by_moderator"].items():
        lines.append((f"  by {name}", count))
    for window, tally in stats["agreement"].items():
        shown = "-" if tally["rate"] is None else f"{tally['rate']:.0%} of {tally['decisions']}"
        lines.append((f"model agreed, {window.replace('_', ' ')}", shown))
    width = max(len(name) for name, _ in lines)
    for name, value in lines:
        click.echo(f"{name:<{width}}  {value}")


@queue_group.command("export-labels")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="CSV file to write (- for standard output).",
)
@click.option("--site", default=None, help="Only this site's labels (default: every site's).")
@click.pass_context
def export_labels_command(ctx: click.Context, output: Path, site: str | None) -> None:
    """Write every moderator label as labeled-data CSV (e-mail column: the domain only)."""
    with _redis(ctx) as client:
        rows = read_labels(client, site) if site else read_labels_everywhere(client)
    if str(output) == "-":
        write_labels_csv(rows, sys.stdout)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        count = write_labels_csv(rows, handle)
    partial.replace(output)
    click.echo(f"wrote {count} labels to {output}", err=True)
