"""gunicorn settings for modq (the top-level gunicorn.conf.py and `modq serve` load this).

Runs in the gunicorn master before the app is imported, so it can pin the
BLAS/OpenMP thread pools to one thread and point prometheus-client at its
multiprocess directory before numpy or prometheus-client are imported.
Scoring is CPU-bound: no more worker processes than cores, the model loaded
once before forking (``preload_app``) and shared copy-on-write.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from service.settings import Settings

# Process set-up, not configuration: these must be in the environment before numpy and
# prometheus-client are imported, and this module runs first.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_settings = Settings.from_env()
_metrics_dir = Path(_settings.metrics_dir or _settings.data_dir / "metrics").resolve()
# Samples of workers from an earlier run would be summed in: start empty.
shutil.rmtree(_metrics_dir, ignore_errors=True)
_metrics_dir.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_dir)

wsgi_app = "service.wsgi:app"
bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.workers
worker_class = "gthread"
threads = _settings.threads
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# The app logs one JSON access line per request; gunicorn's own lines go out as JSON too.
accesslog = None
logger_class = "service.gunicorn_logger.AccessCheckingLogger"
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "service.logging.JSONFormatter"}},
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


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: its live gauges must not be reported any more."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_metrics_dir))


def post_worker_init(worker: Any) -> None:
    """Each worker watches for a newly promoted model (threads do not survive the fork)."""
    from service.context import EXTENSION_KEY
    from service.reload import start_reloader

    # The benchmark's bare-Flask ceiling runs on these settings too: it has no model.
    if EXTENSION_KEY in getattr(worker.wsgi, "extensions", {}):
        start_reloader(worker.wsgi)
