"""``modq sites add|list|rotate|remove|set``: the websites that may use this modq, and their keys.

Changes take effect on the next request of a running service (keys are looked up in
Redis per request); no restart.
"""

from __future__ import annotations

import json

import click

from service.cli.queue import _redis
from service.errors import ModqError
from service.sites import DEFAULT_GRACE_SECONDS, UNCHANGED, SiteRegistry

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> int:
    """Seconds in ``90``, ``90s``, ``15m``, ``24h`` or ``7d``."""
    value = text.strip().lower()
    unit = value[-1:] if value[-1:] in _UNITS else "s"
    number = value[:-1] if value[-1:] in _UNITS else value
    if not number.isdigit():
        raise click.BadParameter(f"{text!r} is not a duration like 3600, 90s, 15m, 24h or 7d")
    return int(number) * _UNITS[unit]


def _fail(error: ModqError) -> click.ClickException:
    return click.ClickException(error.message)


@click.group("sites")
def sites_group() -> None:
    """The sites that post comments, each with its key and its own queue, feed and labels."""


@sites_group.command("add")
@click.argument("name")
@click.option("--url", default=None, help="The site's address (http:// or https://).")
@click.option("--coral-secret", default=None, help="The signing secret of its Coral webhook.")
@click.option("--json", "as_json", is_flag=True, help='Print {"site": NAME, "key": KEY}.')
@click.pass_context
def add_command(
    ctx: click.Context, name: str, url: str | None, coral_secret: str | None, as_json: bool
) -> None:
    """Create a site and print its key: the only time it is shown (only a hash is kept)."""
    with _redis(ctx) as client:
        try:
            key = SiteRegistry(client).add(name, url=url, coral_secret=coral_secret)
        except ModqError as error:
            raise _fail(error) from None
    if as_json:
        click.echo(json.dumps({"site": name, "key": key}))
        return
    click.echo(key)
    click.echo(
        f"site {name!r} added; its key is above, shown this once. The site sends it as "
        "`Authorization: Bearer <key>`.",
        err=True,
    )


@sites_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the sites as JSON.")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Every site, with its URL (keys are never shown again)."""
    with _redis(ctx) as client:
        sites = SiteRegistry(client).list()
    if as_json:
        rows = [
            {"site": s.name, "url": s.url, "coral_secret_set": s.coral_secret is not None}
            for s in sites
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    if not sites:
        click.echo("no sites: modq is open to anyone who reaches it (loopback only)", err=True)
        return
    width = max(len(s.name) for s in sites)
    for site in sites:
        coral = "  (coral secret set)" if site.coral_secret else ""
        click.echo(f"{site.name:<{width}}  {site.url or '-'}{coral}")


@sites_group.command("rotate")
@click.argument("name")
@click.option(
    "--grace",
    default=f"{DEFAULT_GRACE_SECONDS // 3600}h",
    show_default=True,
    help="How long the old key keeps working (3600, 90s, 15m, 24h, 7d; 0: stop it now).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"site": NAME, "key": KEY}.')
@click.pass_context
def rotate_command(ctx: click.Context, name: str, grace: str, as_json: bool) -> None:
    """Give a site a new key; the old one keeps working for the grace period."""
    seconds = parse_duration(grace)
    with _redis(ctx) as client:
        try:
            key = SiteRegistry(client).rotate(name, grace_seconds=seconds)
        except ModqError as error:
            raise _fail(error) from None
    if as_json:
        click.echo(json.dumps({"site": name, "key": key}))
        return
    click.echo(key)
    click.echo(f"site {name!r}: new key above; the old one works {seconds} s more", err=True)


@sites_group.command("remove")
@click.argument("name")
@click.pass_context
def remove_command(ctx: click.Context, name: str) -> None:
    """Delete a site and every key it had (its stored comments stay)."""
    with _redis(ctx) as client:
        registry = SiteRegistry(client)
        try:
            registry.remove(name)
        except ModqError as error:
            raise _fail(error) from None
        left = registry.any()
    click.echo(f"site {name!r} removed; its keys no longer work", err=True)
    if not left:
        click.echo(
            "no site is left: the website endpoints are open again without a key, and "
            "`modq serve` will listen only on a loopback address",
            err=True,
        )


@sites_group.command("set")
@click.argument("name")
@click.option("--url", default=None, help='A new address ("" clears it).')
@click.option("--coral-secret", default=None, help='A new Coral secret ("" clears it).')
@click.pass_context
def set_command(ctx: click.Context, name: str, url: str | None, coral_secret: str | None) -> None:
    """Change a site's URL or Coral secret (its key stays)."""
    with _redis(ctx) as client:
        try:
            site = SiteRegistry(client).set(
                name,
                url=UNCHANGED if url is None else url,
                coral_secret=UNCHANGED if coral_secret is None else coral_secret,
            )
        except ModqError as error:
            raise _fail(error) from None
    coral = "set" if site.coral_secret else "not set"
    click.echo(f"site {site.name!r}: url {site.url or '-'}, coral secret {coral}", err=True)


commands = [sites_group]
