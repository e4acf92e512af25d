"""The embedded Redis, watched: restarted on the same files when it dies.

`modq serve` starts the embedded redis-server and gunicorn. Before, if Redis
died, the intake answered 503 until someone restarted everything. Now a thread
of `modq serve` checks the process every ``interval_s`` (50 ms) and starts it
again on the same port, directory and append-only file, so every acknowledged
comment is back. Each restart is logged on stderr and counted in ``/metrics`` as
``modq_embedded_redis_restarts_total`` (written to the workers' prometheus-client
multiprocess directory, which ``/metrics`` sums).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from service.runtime.redis_server import RedisServer, RedisServerError

log = logging.getLogger("modq.embedded")

RESTARTS_METRIC = "modq_embedded_redis_restarts"
RESTARTS_HELP = "Times `modq serve` restarted its embedded redis-server after it died."


class RedisSupervisor:
    """Restart a RedisServer whenever its process exits, until stopped."""

    def __init__(
        self,
        server: RedisServer,
        on_restart: Callable[[int, int | None, float], None] | None = None,
        interval_s: float = 0.05,
    ) -> None:
        self.server = server
        self.on_restart = on_restart
        self.interval_s = interval_s
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="redis-supervisor", daemon=True)

    def start(self) -> None:
        """Begin watching."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (before the server is stopped on purpose)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.interval_s):
            process = self.server.process
            if process is None or process.poll() is None:
                continue
            died_at = time.monotonic()
            code = process.returncode
            if process.stderr:
                process.stderr.close()
            try:
                self.server.start()  # same port, directory and append-only file
            except RedisServerError as error:
                log.error("embedded Redis did not restart: %s", error)
                continue  # tried again at the next tick
            self.restarts += 1
            if self.on_restart is not None:
                self.on_restart(self.restarts, code, time.monotonic() - died_at)


class RestartCounter:
    """The restarts counter, written where the workers' /metrics reads it.

    Made on the first restart: gunicorn empties the directory when it starts.
    """

    def __init__(self, metrics_dir: Path) -> None:
        self.metrics_dir = metrics_dir
        self._counter: Any = None

    def increment(self) -> None:
        """Count one restart."""
        if self._counter is None:
            # A multiprocess value of this process in that directory, whatever the
            # mode prometheus-client was imported in here (the CLI's commands import
            # it without the variable set).
            from prometheus_client.values import MultiProcessValue

            os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(self.metrics_dir)
            self._counter = MultiProcessValue()(
                "counter", RESTARTS_METRIC, RESTARTS_METRIC + "_total", (), (), RESTARTS_HELP
            )
        self._counter.inc(1)
