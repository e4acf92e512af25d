"""``modq webhooks …``: a site's webhook endpoints, their deliveries, and the delivery worker."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import time
from collections.abc import Iterator
from types import FrameType

import click
import redis

from service.integrations.webhooks.endpoints import EndpointError, EndpointRegistry
from service.integrations.webhooks.events import parse_events
from service.integrations.webhooks.outbox import Outbox
from service.integrations.webhooks.worker import DeliveryWorker
from service.runtime.embedded import redis_client_for_cli
from service.settings import Settings, SettingsError
from service.sites import SiteRegistry
from service.store import keys


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@contextlib.contextmanager
def _redis(ctx: click.Context) -> Iterator[redis.Redis]:
    """The Redis the service uses (MODQ_REDIS_URL, else the embedded one); tests pass their own."""
    given = (ctx.obj or {}).get("redis") if isinstance(ctx.obj, dict) else None
    if given is not None:
        yield given
        return
    try:
        with redis_client_for_cli(_settings()) as client:
            yield client
    except redis.RedisError as error:
        raise click.ClickException(f"Redis is not reachable: {error}") from None


def site_namespace(client: redis.Redis, site: str | None) -> str:
    """The namespace of ``--site`` (it must name a site once any exists)."""
    registry = SiteRegistry(client)
    if site is None:
        if registry.any():
            raise click.UsageError("sites exist: name one with --site NAME")
        return keys.DEFAULT_NAMESPACE
    if registry.get(site) is None and not (site == keys.DEFAULT_NAMESPACE and not registry.any()):
        raise click.ClickException(f"no site {site!r} (see `modq sites list`)")
    return site


_SITE = click.option("--site", default=None, help="The site (default: the one namespace).")


@click.group("webhooks")
def webhooks_group() -> None:
    """Signed webhooks (Standard Webhooks) that push comment events to a site."""


@webhooks_group.command("add")
@_SITE
@click.argument("url")
@click.option(
    "--events",
    multiple=True,
    help="comment.created, comment.decided, comment.corrected (comma-separated; default all).",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "secret"} as JSON.')
@click.pass_context
def add_command(
    ctx: click.Context, site: str | None, url: str, events: tuple[str, ...], as_json: bool
) -> None:
    """Add an endpoint; prints its id and signing secret (shown once)."""
    try:
        chosen = parse_events(list(events))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--events") from None
    with _redis(ctx) as client:
        registry = EndpointRegistry(client, site_namespace(client, site))
        try:
            endpoint, secret = registry.add(url, chosen)
        except EndpointError as error:
            raise click.BadParameter(str(error), param_hint="URL") from None
    if as_json:
        click.echo(json.dumps({"id": endpoint.id, "secret": secret}))
        return
    click.echo(f"endpoint {endpoint.id} -> {url}")
    click.echo(f"events   {', '.join(e.value for e in chosen)}")
    click.echo(f"secret   {secret}   (shown once: give it to the receiver)")


@webhooks_group.command("list")
@_SITE
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_command(ctx: click.Context, site: str | None, as_json: bool) -> None:
    """Every endpoint of the site (never a secret)."""
    with _redis(ctx) as client:
        namespace = site_namespace(client, site)
        endpoints = [e.public() for e in EndpointRegistry(client, namespace).list()]
    if as_json:
        click.echo(json.dumps({"items": endpoints, "next": None}, indent=2))
        return
    if not endpoints:
        click.echo("no webhook endpoints")
    for e in endpoints:
        state = "disabled" if e["disabled"] else "enabled"
        click.echo(f"{e['id']}  {state:<8}  {e['url']}  {','.join(e['events'])}")


def _endpoint_command(name: str, help_text: str):  # type: ignore[no-untyped-def]
    def decorate(function):  # type: ignore[no-untyped-def]
        command = webhooks_group.command(name, help=help_text)(
            _SITE(click.argument("endpoint_id")(click.pass_context(function)))
        )
        return command

    return decorate


@_endpoint_command("remove", "Remove an endpoint and its failed messages.")
def remove_command(ctx: click.Context, site: str | None, endpoint_id: str) -> None:
    with _redis(ctx) as client:
        namespace = site_namespace(client, site)
        try:
            EndpointRegistry(client, namespace).remove(endpoint_id)
        except EndpointError as error:
            raise click.ClickException(str(error)) from None
        Outbox(client, namespace).purge_endpoint(endpoint_id)
    click.echo(f"removed {endpoint_id}")


@webhooks_group.command("rotate-secret")
@_SITE
@click.argument("endpoint_id")
@click.option(
    "--grace",
    type=click.FloatRange(0, 7 * 24 * 3600),
    default=24 * 3600,
    show_default=True,
    help="Seconds the old secret keeps signing beside the new one.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"id", "secret"} as JSON.')
@click.pass_context
def rotate_command(
    ctx: click.Context, site: str | None, endpoint_id: str, grace: float, as_json: bool
) -> None:
    """A new secret; messages carry a signature of each live secret until the grace ends."""
    with _redis(ctx) as client:
        registry = EndpointRegistry(client, site_namespace(client, site))
        try:
            secret = registry.rotate_secret(endpoint_id, grace)
        except EndpointError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps({"id": endpoint_id, "secret": secret}))
    else:
        click.echo(f"secret   {secret}   (the old one signs too for {grace:.0f} s)")


@_endpoint_command("disable", "Stop sending to an endpoint (queued messages fail, replayable).")
def disable_command(ctx: click.Context, site: str | None, endpoint_id: str) -> None:
    _set_disabled(ctx, site, endpoint_id, True)


@_endpoint_command("enable", "Send to an endpoint again (after a 410, say); replay what failed.")
def enable_command(ctx: click.Context, site: str | None, endpoint_id: str) -> None:
    _set_disabled(ctx, site, endpoint_id, False)


def _set_disabled(ctx: click.Context, site: str | None, endpoint_id: str, disabled: bool) -> None:
    with _redis(ctx) as client:
        registry = EndpointRegistry(client, site_namespace(client, site))
        try:
            registry.set_disabled(endpoint_id, disabled)
        except EndpointError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"{'disabled' if disabled else 'enabled'} {endpoint_id}")


@webhooks_group.command("deliveries")
@_SITE
@click.option("--endpoint", "endpoint_id", default=None, help="Only this endpoint's.")
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.option("--replay", "replay", multiple=True, help="Send a failed message again (ep/msg).")
@click.option("--replay-failed", is_flag=True, help="Send every failed message again.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def deliveries_command(
    ctx: click.Context,
    site: str | None,
    endpoint_id: str | None,
    limit: int,
    replay: tuple[str, ...],
    replay_failed: bool,
    as_json: bool,
) -> None:
    """Recent attempts and failed messages; --replay / --replay-failed queue failed ones again."""
    with _redis(ctx) as client:
        outbox = Outbox(client, site_namespace(client, site))
        failed = outbox.failed(endpoint_id)
        chosen = [f["member"] for f in failed] if replay_failed else list(replay)
        now = int(time.time() * 1000)
        replayed = [member for member in chosen if outbox.replay(member, now)]
        unknown = sorted(set(chosen) - set(replayed))
        attempts = outbox.attempts(limit, endpoint_id)
        failed = outbox.failed(endpoint_id)
        pending = outbox.pending_count()
    if unknown:
        raise click.ClickException(f"not failed messages: {', '.join(unknown)}")
    if as_json:
        report = {"attempts": attempts, "failed": failed, "pending": pending, "replayed": replayed}
        click.echo(json.dumps(report, indent=2))
        return
    for member in replayed:
        click.echo(f"replaying {member}")
    click.echo(f"pending {pending}, failed {len(failed)}")
    for a in attempts:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(int(a.get("at", "0")) / 1000))
        code = a.get("status_code") or "-"
        click.echo(
            f"{when}Z  {a.get('endpoint')}/{a.get('message')}  {a.get('type')}  "
            f"try {a.get('attempt')}  {a.get('outcome')}  {code}  {a.get('error', '')}".rstrip()
        )
    for f in failed:
        click.echo(f"failed  {f['member']}  (replay with --replay {f['member']})")


@webhooks_group.command("worker")
@click.pass_context
def worker_command(ctx: click.Context) -> None:
    """Route and deliver webhooks until SIGTERM/SIGINT (`modq serve` starts one)."""
    settings = _settings()
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    with _redis(ctx) as client:
        worker = DeliveryWorker(client, settings)

        def stop(signum: int, frame: FrameType | None) -> None:
            worker.stop()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker.run()


commands = [webhooks_group]
