"""The retention sweep, run by the workers: once an hour, by one process of all hosts.

Each worker starts a thread (a greenlet under gevent) that wakes every hour and
takes a lock in Redis for the hour (``SET NX EX``); the one that gets it runs
``service.privacy.sweep_retention``. No cron job is needed, and with several
hosts on one Redis the work is done once.
"""

from __future__ import annotations

import logging
import threading

import redis

from service.privacy import sweep_retention
from service.store import keys

log = logging.getLogger("modq.retention")

INTERVAL_S = 3600


def run_sweep_if_due(client: redis.Redis, days: int) -> bool:
    """Sweep if no process has this hour; whether this one did."""
    if not client.set(keys.retention_lock(), "1", nx=True, ex=INTERVAL_S - 60):
        return False
    report = sweep_retention(client, days)
    log.info(
        "retention sweep: %d comments scanned, %d stripped of ip, user agent and e-mail "
        "(older than %d days)",
        report.scanned,
        report.stripped,
        days,
    )
    return True


def start_retention(client: redis.Redis, days: int | None) -> threading.Thread | None:
    """Start this worker's hourly sweeper (None when retention is off)."""
    if days is None:
        return None

    def loop() -> None:
        stop = threading.Event()
        while True:
            try:
                run_sweep_if_due(client, days)
            except redis.RedisError as error:  # Redis down: try again next hour
                log.warning("retention sweep skipped: %s", type(error).__name__)
            stop.wait(INTERVAL_S)

    thread = threading.Thread(target=loop, name="retention", daemon=True)
    thread.start()
    return thread
