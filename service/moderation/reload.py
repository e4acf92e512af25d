"""Reload without restart: each worker notices a newly promoted model and swaps it in.

``modq models promote`` (or a retrain) rewrites ``<models_dir>/CURRENT``
atomically. Every worker process runs one ``ModelReloader``: a daemon thread
that reads ``CURRENT`` every ``MODQ_MODEL_RELOAD_SECONDS`` (a few bytes from
the page cache), and when it names another model than the one in use, loads
that model **in the thread**, beside the old one, then swaps it in with
``ModelHolder.swap``. Requests never wait on the load; the ones in flight
finish on the old model. (Under the gevent worker this "thread" is a greenlet,
so the load itself goes to a native thread: ``service.concurrency.native_thread``.) A model
that fails to load is logged and the old one stays; it is tried again only once
``CURRENT`` changes again. A missing ``CURRENT`` (a rollback past the first
promotion) means the shipped default.

Threads do not survive ``fork``, so the reloader is started in each worker
after the fork: gunicorn's ``post_worker_init`` hook calls ``start_reloader``,
and ``install_reloader`` adds the same (idempotent, one ``getpid``) check to
the request path for servers without that hook. ``MODQ_MODEL`` pins a model
directory and ``MODQ_MODEL_RELOAD_SECONDS=0`` turns reloading off.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from classifier import Model, load_model
from classifier.paths import DEFAULT_MODEL_DIR
from classifier.registry import CURRENT_FILE, current_version
from service.concurrency.native_thread import run_beside_requests
from service.moderation.model_holder import ModelHolder

log = logging.getLogger(__name__)


class ModelReloader:
    """Watches ``<models_dir>/CURRENT`` and swaps a newly promoted model into ``holder``."""

    def __init__(
        self,
        holder: ModelHolder,
        models_dir: Path,
        interval: float,
        loader: Callable[[Path], Model] = load_model,
    ) -> None:
        self.holder = holder
        self.models_dir = Path(models_dir)
        self.interval = interval
        self.loader = loader
        self.pid = os.getpid()
        self._failed: tuple[Path, tuple[int, int] | None] | None = None
        # What is being served: the holder's directory, or (a model built in memory)
        # whatever CURRENT named when watching began; only a change from it is loaded.
        self._serving: Path = holder.directory() or self.wanted()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wanted(self) -> Path:
        """The directory of the model CURRENT names (the shipped default when none)."""
        version = current_version(self.models_dir)
        return self.models_dir / version if version else DEFAULT_MODEL_DIR

    def check(self) -> bool:
        """Load and swap in the wanted model if it is not the one in use; True if swapped."""
        stamp = self._stamp()
        wanted = self.wanted()
        in_use = self._serving
        if _same(in_use, wanted):
            self._failed = None
            return False
        if self._failed == (wanted, stamp):
            return False  # failed before and CURRENT has not changed since
        started = time.perf_counter()
        try:
            model = run_beside_requests(self.loader, wanted)
        except Exception:
            # Any failure (bad files, other library versions, a half-copied directory)
            # must leave the serving model alone.
            log.exception("model reload: could not load %s; keeping %s", wanted, in_use)
            self._failed = (wanted, stamp)
            return False
        previous = self.holder.swap(model)
        self._serving = wanted
        self._failed = None
        log.info(
            "model reload: now serving %s (was %s), loaded in %.2fs",
            model.version,
            getattr(previous, "version", "?"),
            time.perf_counter() - started,
        )
        return True

    def run(self) -> None:
        """The thread's loop: check, then sleep the interval, until stopped."""
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # the watcher must outlive any surprise (e.g. an unreadable dir)
                log.exception("model reload: check failed")
            self._stop.wait(self.interval)

    def start(self) -> None:
        """Start the watcher thread of this process (again after a fork)."""
        if self.running():
            return
        self.pid = os.getpid()
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="modq-model-reload", daemon=True)
        self._thread.start()

    def running(self) -> bool:
        """Whether this process's watcher thread is alive (False in a fresh fork)."""
        return self.pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the watcher thread and wait for it."""
        self._stop.set()
        if self._thread is not None and self.pid == os.getpid():
            self._thread.join(timeout)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            info = (self.models_dir / CURRENT_FILE).stat()
        except FileNotFoundError:
            return None
        return (info.st_ino, info.st_mtime_ns)


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
