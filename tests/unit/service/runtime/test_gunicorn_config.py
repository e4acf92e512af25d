"""gunicorn's config patches for gevent before the app exists, and only for gevent."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_SCRIPT = textwrap.dedent(
    """
    import service.runtime.gunicorn_config as config  # what gunicorn loads first
    from service.http.app import create_app
    from service.http.context import services

    app = create_app()  # as preload_app builds it, before the fork
    scorer = services(app).scorer
    lock = scorer._finished._lock  # an RLock: Python's over gevent's lock, or _thread's
    made_by = [type(scorer._local).__module__, type(getattr(lock, "_block", lock)).__module__]
    made = ("gevent" if m.startswith("gevent") else m for m in made_by)
    writes = services(app).writes  # the store's group commit: same class, same linger
    print(config.worker_class, type(scorer).__name__, *made)
    print(type(writes).__name__, writes.max_batch, writes.max_wait_s, scorer.max_wait_s)
    """
)


@pytest.mark.parametrize(
    ("worker_class", "expected", "writes"),
    [
        (
            "gevent",
            "service.runtime.worker.GeventWorker GreenletBatcher gevent gevent",
            "GreenletBatcher 32 0.002 0.002",
        ),
        ("gthread", "gthread Batcher _thread _thread", "Batcher 32 0.0 0.0"),
    ],
)
def test_the_app_is_built_with_the_locks_of_its_worker_class(
    tmp_path: Path, worker_class: str, expected: str, writes: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
    env.update(
        {
            "MODQ_WORKER_CLASS": worker_class,
            "MODQ_DATA_DIR": str(tmp_path),
            "MODQ_REDIS_URL": "redis://127.0.0.1:1/0",  # never contacted here
        }
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-2:] == [expected, writes]


_FREEZE_SCRIPT = textwrap.dedent(
    """
    import gc
    import service.runtime.gunicorn_config as config
    from service.http.app import create_app

    app = create_app()  # as preload_app builds it in the master
    loaded = len(gc.get_objects())
    config.pre_fork(None, None)  # gunicorn calls it before each fork
    # What the master loaded is frozen: a worker's full collections no longer walk it.
    print(gc.get_freeze_count() >= loaded * 0.9, len(gc.get_objects()) < loaded * 0.05)
    """
)


def _last_line_of(script: str, data_dir: Path) -> str:
    """What ``script`` prints last, run as gunicorn's master would run the config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
    env.update({"MODQ_DATA_DIR": str(data_dir), "MODQ_REDIS_URL": "redis://127.0.0.1:1/0"})
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_the_master_freezes_what_it_loaded_before_forking(tmp_path: Path) -> None:
    assert _last_line_of(_FREEZE_SCRIPT, tmp_path) == "True True"


_EXIT_SCRIPT = textwrap.dedent(
    """
    import os
    import service.runtime.gunicorn_config as config  # sets the multiprocess directory
    from prometheus_client import CollectorRegistry, multiprocess
    from service import metrics

    metrics.FLUSH_INTERVAL_S = 3600  # the flusher would not come round before the exit
    metrics.record_decision("pending", "pending", 0.5, 0.1)
    config.worker_exit(None, None)  # gunicorn calls it in a worker that stops
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=os.environ["PROMETHEUS_MULTIPROC_DIR"])
    labels = {"status": "pending", "verdict": "pending"}
    print(registry.get_sample_value("modq_decisions_total", labels),
          registry.get_sample_value("modq_comment_score_count", {"head": "spam"}))
    """
)


def test_a_stopping_worker_writes_out_its_buffered_metrics(tmp_path: Path) -> None:
    assert _last_line_of(_EXIT_SCRIPT, tmp_path) == "1.0 1.0"
