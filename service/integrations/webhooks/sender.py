"""One delivery attempt: POST the signed message, and what its answer means."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests

from service.integrations.webhooks.outbox import Outcome
from service.integrations.webhooks.signing import headers

MAX_DELAY_SECONDS = 24 * 3600
ERROR_CHARS = 200


@dataclass(frozen=True)
class Attempt:
    """What happened when a message was sent once."""

    outcome: Outcome
    delay: float  # seconds until the next try (RETRY only)
    status_code: int | None
    error: str
    duration_ms: int


def backoff(attempts_made: int, schedule: tuple[float, ...]) -> float | None:
    """Seconds to wait after ``attempts_made`` attempts (with up to 20 % jitter so that
    many messages failing together do not come back together), or None: give up."""
    if attempts_made < 1 or attempts_made > len(schedule):
        return None
    delay = schedule[attempts_made - 1]
    return delay * (1 + random.uniform(0.0, 0.2))  # jitter, not a secret


def retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), or None if absent/unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def send(
    session: requests.Session,
    url: str,
    message_id: str,
    body: bytes,
    secret_list: list[str],
    attempts_made: int,
    schedule: tuple[float, ...],
    timeout: float,
) -> Attempt:
    """POST one message; ``attempts_made`` counts the earlier attempts of this message."""
    timestamp = int(time.time())
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    wait: float | None = None
    try:
        response = session.post(
            url,
            data=body,
            headers=headers(message_id, timestamp, body, secret_list),
            timeout=timeout,
            allow_redirects=False,
        )
        status_code = response.status_code
        response.close()
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
    duration_ms = int((time.monotonic() - started) * 1000)
    if status_code is not None and 200 <= status_code < 300:
        return Attempt(Outcome.OK, 0.0, status_code, "", duration_ms)
    if status_code == 410:
        return Attempt(Outcome.GONE, 0.0, status_code, "410 Gone: endpoint disabled", duration_ms)
    if status_code == 429:
        wait = retry_after(response.headers.get("Retry-After"))
    if status_code is not None and not error:
        error = f"HTTP {status_code}"
    delay = backoff(attempts_made + 1, schedule)
    if delay is None:
        return Attempt(Outcome.FAIL, 0.0, status_code, error, duration_ms)
    if wait is not None:
        delay = min(max(wait, delay), MAX_DELAY_SECONDS)
    return Attempt(Outcome.RETRY, delay, status_code, error, duration_ms)
