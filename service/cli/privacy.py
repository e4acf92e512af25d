"""``modq privacy erase|export|sweep``: a commenter's data on request, and retention.

Like ``modq queue …``, these use the embedded Redis of ``$MODQ_DATA_DIR`` when
``MODQ_REDIS_URL`` is unset.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from service.cli.queue import _redis
from service.privacy import Person, erase_person, export_person, sweep_retention
from service.settings import Settings, SettingsError


def _person(
    email: str | None, ip: str | None, site: str | None, external_author: str | None
) -> Person:
    try:
        return Person(email=email, ip=ip, external_author=external_author, site=site)
    except ValueError as error:
        raise click.UsageError(str(error)) from None


_WHO = [
    click.option("--email", default=None, help="The commenter's e-mail address."),
    click.option("--ip", default=None, help="The commenter's IP address."),
    click.option("--site", default=None, help="Only this site's comments (default: every site)."),
    click.option("--external-author", default=None, help="The site's own id of the commenter."),
]


F = TypeVar("F", bound=Callable[..., Any])


def _who(command: F) -> F:
    for option in reversed(_WHO):
        command = option(command)
    return command


@click.group("privacy")
def privacy_group() -> None:
    """Erase or export one commenter's data; strip old comments of IP, user agent, e-mail."""


@privacy_group.command("erase")
@_who
@click.pass_context
def erase_command(
    ctx: click.Context,
    email: str | None,
    ip: str | None,
    site: str | None,
    external_author: str | None,
) -> None:
    """Remove a commenter's personal fields from every comment and label; print what changed."""
    person = _person(email, ip, site, external_author)
    with _redis(ctx) as client:
        report = erase_person(client, person)
    click.echo(json.dumps(report.to_dict(), indent=2))


@privacy_group.command("export")
@_who
@click.pass_context
def export_command(
    ctx: click.Context,
    email: str | None,
    ip: str | None,
    site: str | None,
    external_author: str | None,
) -> None:
    """Print, as JSON, everything modq holds about a commenter."""
    person = _person(email, ip, site, external_author)
    with _redis(ctx) as client:
        found = export_person(client, person)
    click.echo(json.dumps(found, indent=2, ensure_ascii=False))


@privacy_group.command("sweep")
@click.option("--days", type=int, default=None, help="Override MODQ_RETENTION_DAYS.")
@click.pass_context
def sweep_command(ctx: click.Context, days: int | None) -> None:
    """Strip IP, user agent, referrer and e-mail from decided comments older than the limit."""
    if days is None:
        try:
            days = Settings.from_env().retention_days
        except SettingsError as error:
            raise click.ClickException(str(error)) from None
    if days is None:
        raise click.ClickException("MODQ_RETENTION_DAYS is off; pass --days to sweep anyway")
    with _redis(ctx) as client:
        report = sweep_retention(client, days)
    click.echo(
        f"{report.scanned} comments scanned, {report.stripped} stripped of ip, user agent, "
        f"referrer and e-mail (decided, older than {days} days)"
    )
