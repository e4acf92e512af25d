"""gunicorn settings for modq (the top-level gunicorn.conf.py and `modq serve` load this).

Runs in the gunicorn master before the app is imported, so it can pin the
BLAS/OpenMP thread pools to one thread, point prometheus-client at its
multiprocess directory before numpy or prometheus-client are imported, and
monkey-patch the standard library for gevent before the app makes any lock,
socket or thread-local. Scoring is CPU-bound: no more worker processes than
cores, the model loaded once before forking (``preload_app``) and shared
copy-on-write.

Worker class (``MODQ_WORKER_CLASS``): ``gevent`` by default. Each process runs one
request's CPU work at a time either way (the GIL); what differs is the hand-off
while a request waits on Redis. gthread's OS threads hand the GIL back and forth
(17-22 context switches per intake request under the HTTP bench), gevent's
greenlets switch in user space (about 2). Measured side by side: 1.5 times the
intake requests/s, and lower latency (experiments/SPEED.md). gunicorn patches in each
worker after ``preload_app`` has built the app, which is too late for the app's
locks (its docs warn about this), so the patch is made here, first. Choose the
class with ``MODQ_WORKER_CLASS``, not gunicorn's ``-k``: the patch follows the
setting.
"""

from __future__ import annotations

import gc
import os
import resource
import shutil
from pathlib import Path
from typing import Any

from service.settings import Settings, WorkerClass

_settings = Settings.from_env()
if _settings.worker_class is WorkerClass.GEVENT:
    from gevent import monkey

    monkey.patch_all()

# Process set-up, not configuration: these must be in the environment before numpy and
# prometheus-client are imported, and this module runs first.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# Each connection is a file descriptor: idle keep-alive clients and slow bodies can
# number thousands (worker_connections per worker), more than a default soft limit
# of 1024. The workers inherit the raised limit.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_wanted = 65536 if _hard == resource.RLIM_INFINITY else min(_hard, 65536)
if _soft != resource.RLIM_INFINITY and _soft < _wanted:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted, _hard))

_metrics_dir = Path(_settings.metrics_dir or _settings.data_dir / "metrics").resolve()
# Samples of workers from an earlier run would be summed in: start empty.
shutil.rmtree(_metrics_dir, ignore_errors=True)
_metrics_dir.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)

wsgi_app = "service.wsgi:app"
bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.workers
# gevent: gunicorn's worker with a graceful stop that does not wait on idle keep-alive
# connections (service/runtime/worker.py)
worker_class = {
    WorkerClass.GEVENT: "service.runtime.worker.GeventWorker",
    WorkerClass.GTHREAD: "gthread",
}[_settings.worker_class]
threads = _settings.threads  # gthread only
worker_connections = 1000  # gevent only: concurrent connections per worker (gunicorn's default)
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app logs one JSON access line per request; gunicorn's own lines go out as JSON too.
accesslog = None
logger_class = "service.runtime.logger.AccessCheckingLogger"
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.http.logging.JSONFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": _settings.log_level, "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {
            "level": _settings.log_level,
            "handlers": ["stderr"],
            "propagate": False,
        },
        "gunicorn.access": {"level": "WARNING", "handlers": ["stderr"], "propagate": False},
    },
}


def pre_fork(server: Any, worker: Any) -> None:
    """Before a worker is forked: what the master loaded (the app, the model, the word
    lists; some 150,000 objects) moves to the collector's permanent generation. A full
    collection in a worker would otherwise walk all of it, 80-100 ms during which the
    worker answers nobody, and would write to every object's header, copying the
    pages that the workers could share with the master."""
    gc.collect()  # nothing that is already garbage gets frozen
    gc.freeze()


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: its live gauges must not be reported any more."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_metrics_dir))


def worker_exit(server: Any, worker: Any) -> None:
    """A worker stops: what its requests counted goes to the metrics files first."""
    from service import metrics

    metrics.flush()


def post_worker_init(worker: Any) -> None:
    """Each worker watches for a newly promoted model (threads do not survive the fork)."""
    from service.http.context import EXTENSION_KEY
    from service.http.reload_hooks import start_reloader

    # The benchmark's bare-Flask ceiling runs on these settings too: it has no model.
    if EXTENSION_KEY in getattr(worker.wsgi, "extensions", {}):
        start_reloader(worker.wsgi)
        # Connections are made after the fork (each process its own): now, not on the
        # first comment.
        worker.wsgi.extensions[EXTENSION_KEY].store.connect()
        from service.runtime.retention import start_retention

        services = worker.wsgi.extensions[EXTENSION_KEY]
        start_retention(services.redis, services.settings.retention_days)
