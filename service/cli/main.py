"""The `modq` console script: the classifier's commands plus the service's.

The classifier's click group (``classifier.cli:cli``: score, train, evaluate)
is the root; this module adds ``serve`` and the command modules listed in
``COMMAND_MODULES``. To add commands, add your module's name to that tuple
(one line) and give the module either ``register(cli: click.Group) -> None``
or ``commands: list[click.Command]``; without either, its top-level click
groups are added. A module that does not exist yet is skipped.
"""

from __future__ import annotations

import errno
import importlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import FrameType, ModuleType

import click
import redis

from service.runtime.embedded import redis_url_for_cli
from service.runtime.supervisor import RestartCounter
from service.settings import Settings, SettingsError

COMMAND_MODULES = (
    "service.cli.queue",
    "service.cli.models",
    "service.cli.imports",
    "service.cli.retrain",
    "service.cli.sites",
    "service.cli.privacy",
    "service.cli.webhooks",
)


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: MODQ_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: MODQ_PORT, 8000).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: MODQ_WORKERS).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API under gunicorn in the foreground (embedded Redis if MODQ_REDIS_URL is unset).

    Ctrl-C or SIGTERM stops gunicorn gracefully, then the embedded Redis it started.
    """
    child_env = dict(os.environ)
    for name, value in (("MODQ_HOST", host), ("MODQ_PORT", port), ("MODQ_WORKERS", workers)):
        if value is not None:
            child_env[name] = str(value)
    try:
        settings = Settings.from_env(child_env)
    except SettingsError as error:
        raise click.ClickException(str(error)) from None
    _refuse_a_port_in_use(settings.host, settings.port)
    url, embedded = redis_url_for_cli(settings.redis_url, settings.redis_dir)
    if embedded is not None:
        how = "started" if embedded.started_here else "reusing"
        click.echo(f"modq: {how} embedded Redis at {url} (data in {settings.redis_dir})", err=True)
        restarts = RestartCounter(
            Path(settings.metrics_dir or settings.data_dir / "metrics").resolve()
        )

        def restarted(count: int, code: int | None, took_s: float) -> None:
            click.echo(
                f"modq: embedded Redis exited (code {code}); restarted on the same files "
                f"in {took_s * 1000:.0f} ms (restart {count})",
                err=True,
            )
            restarts.increment()

        embedded.supervise(restarted)
    child_env["MODQ_REDIS_URL"] = url
    try:
        _refuse_an_open_network_address(settings.host, settings.port, url)
    except click.ClickException:
        if embedded is not None:
            embedded.stop()
        raise
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        child_env.setdefault(var, "1")
    command = [sys.executable, "-m", "gunicorn", "-c", "python:service.runtime.gunicorn_config"]
    click.echo(f"modq: serving on http://{settings.host}:{settings.port}", err=True)
    webhooks = _start_webhook_worker(child_env) if settings.webhook_worker else None
    try:
        status = _run_foreground(command, child_env)
    finally:
        if webhooks is not None:
            _stop(webhooks)
        if embedded is not None:
            embedded.stop()
    sys.exit(status)


def _start_webhook_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The webhook delivery worker, a process of its own beside gunicorn: waiting on
    the sites' receivers never takes a request worker's CPU (MODQ_WEBHOOK_WORKER=0: none)."""
    code = "from service.cli.main import main; main()"
    return subprocess.Popen([sys.executable, "-c", code, "webhooks", "worker"], env=env)


def _stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM (finish the attempts under way), then SIGKILL if it takes too long."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _refuse_a_port_in_use(host: str, port: int) -> None:
    """Stop at once, saying so, if something already listens on host:port.

    gunicorn would find out too, but only after the model and Redis have started,
    and after five retries a second apart.
    """
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as error:
        raise click.ClickException(f"cannot listen on {host!r}: {error.strerror}") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # as gunicorn binds: a port left in TIME_WAIT by a stopped server is free
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise click.ClickException(
                    f"cannot listen on {host}:{port}: {error.strerror}"
                ) from None
            raise click.ClickException(
                f"{host}:{port} is already in use (another modq, or another server); "
                "stop it or choose another port with MODQ_PORT or --port"
            ) from None


def _refuse_an_open_network_address(host: str, port: int, redis_url: str) -> None:
    """Protected mode: with no site (no keys), listen on a loopback address only."""
    from service.sites import SiteRegistry
    from service.sites.protection import is_loopback, refusal

    if is_loopback(host):
        return
    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5.0)
    try:
        has_sites = SiteRegistry(client).any()
    except redis.RedisError as error:
        raise click.ClickException(f"Redis is not reachable at {redis_url}: {error}") from None
    finally:
        client.close()
    if not has_sites:
        raise click.ClickException(refusal(host, port))


def _run_foreground(command: list[str], env: dict[str, str]) -> int:
    """Run gunicorn, pass termination signals on as a graceful stop, return its status."""
    process = subprocess.Popen(command, env=env)

    def forward(signum: int, frame: FrameType | None) -> None:
        # A terminal's Ctrl-C reaches gunicorn directly (same process group); a signal
        # sent to this process alone is passed on as SIGTERM, gunicorn's graceful stop.
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, forward)
    try:
        while True:
            try:
                return process.wait()
            except KeyboardInterrupt:  # pragma: no cover - handler replaced above
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def build_cli() -> click.Group:
    """The root group: the classifier's commands, `serve`, and every command module present."""
    try:
        from classifier.cli import cli as root
    except ModuleNotFoundError as error:
        if error.name not in ("classifier.cli", "classifier"):
            raise
        root = click.Group("modq", help="Self-hosted comment moderation.")
    root.add_command(serve)
    for name in COMMAND_MODULES:
        module = _optional_module(name)
        if module is not None:
            _add_commands(root, module)
    return root


def _optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name == name:
            return None
        raise


def _add_commands(root: click.Group, module: ModuleType) -> None:
    register = getattr(module, "register", None)
    if callable(register):
        register(root)
        return
    commands = getattr(module, "commands", None)
    if commands is None:
        commands = [
            value
            for value in vars(module).values()
            if isinstance(value, click.Group)
            and value.callback is not None
            and getattr(value.callback, "__module__", None) == module.__name__
        ]
    for command in commands:
        root.add_command(command)


def main() -> None:
    """Entry point of the `modq` console script."""
    build_cli()(prog_name="modq")


if __name__ == "__main__":
    main()
