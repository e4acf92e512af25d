"""The delivery worker: routes events and sends due messages until stopped.

It runs as its own process (``modq webhooks worker``; ``modq serve`` starts one beside
gunicorn): waiting on slow receivers and signing never take the CPU or the GIL from a
worker that answers the intake. Any number may run, on any hosts: routing is leased
per namespace and each message is claimed under a lease, so they share the work.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import redis
import requests

from service.integrations.webhooks.endpoints import Endpoint, EndpointRegistry
from service.integrations.webhooks.outbox import Message, Outbox, Outcome
from service.integrations.webhooks.router import Router
from service.integrations.webhooks.sender import send
from service.settings import Settings
from service.store import keys

log = logging.getLogger("modq.webhooks")


def now_ms() -> int:
    """The current time in unix milliseconds."""
    return int(time.time() * 1000)


class DeliveryWorker:
    """Routes and delivers every namespace's webhooks."""

    def __init__(self, client: redis.Redis, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(settings.webhook_concurrency, "webhook")
        self.in_flight = threading.Semaphore(settings.webhook_concurrency)
        self._local = threading.local()  # one HTTP session (connection pool) per thread
        # a claim outlives the slowest answer, then comes due again (at least once)
        self.lease_ms = int((settings.webhook_timeout * 2 + 5) * 1000)
        self._routers: dict[str, Router] = {}
        self._outboxes: dict[str, Outbox] = {}

    def run(self) -> None:
        """Loop until ``stop()``; a Redis outage pauses the work, never ends it."""
        log.info("webhook worker started")
        while not self.stopping.is_set():
            try:
                busy = self.tick()
            except redis.RedisError as error:
                log.warning("webhook worker: Redis unavailable (%s); retrying", error)
                busy = False
                self.stopping.wait(1.0)
            if not busy:
                self.stopping.wait(self.settings.webhook_poll_seconds)
        self.pool.shutdown(wait=True)
        log.info("webhook worker stopped")

    def stop(self) -> None:
        """Finish the attempts under way, then stop."""
        self.stopping.set()

    def tick(self) -> bool:
        """Route and claim once in every namespace; True if there was work."""
        busy = False
        for namespace in sorted(self._namespaces()):
            router = self._routers.get(namespace)
            if router is None:
                router = self._routers[namespace] = Router(self.client, namespace)
                self._outboxes[namespace] = Outbox(self.client, namespace)
            if router.hold_lease() and router.route(now_ms()):
                busy = True
            busy = self._claim_and_send(namespace) or busy
        return busy

    def _namespaces(self) -> set[str]:
        members = self.client.smembers(keys.webhook_namespaces())
        return {m.decode() if isinstance(m, bytes) else m for m in members}  # type: ignore[union-attr]

    def _claim_and_send(self, namespace: str) -> bool:
        free = 0
        while self.in_flight.acquire(blocking=False):
            free += 1
        if free == 0:
            return False
        claimed: list[Message] = []
        try:
            claimed = self._outboxes[namespace].claim(free, self.lease_ms, now_ms())
        finally:  # give back the slots no message took (all of them if Redis failed)
            for _ in range(free - len(claimed)):
                self.in_flight.release()
        if not claimed:
            return False
        endpoints = {e.id: e for e in EndpointRegistry(self.client, namespace).list()}
        for message in claimed:
            self.pool.submit(self._deliver, namespace, message, endpoints.get(message.endpoint_id))
        return True

    def _deliver(self, namespace: str, message: Message, endpoint: Endpoint | None) -> None:
        try:
            self._deliver_once(namespace, message, endpoint)
        except redis.RedisError as error:
            # the claim runs out and the message comes due again: sent at least once
            log.warning("webhook %s: outcome not recorded (%s)", message.member, error)
        except Exception:  # a bug must not kill the pool thread silently
            log.exception("webhook %s: delivery failed", message.member)
        finally:
            self.in_flight.release()

    def _deliver_once(self, namespace: str, message: Message, endpoint: Endpoint | None) -> None:
        outbox = self._outboxes[namespace]
        if endpoint is None:
            outbox.complete(message, Outcome.DROP, now_ms())
            return
        record = {
            "endpoint": endpoint.id,
            "message": message.id,
            "type": message.type,
            "comment": message.comment_id,
            "attempt": str(message.attempts + 1),
        }
        if endpoint.disabled:
            record.update(outcome=Outcome.FAIL.value, error="endpoint disabled", at=str(now_ms()))
            outbox.complete(message, Outcome.FAIL, now_ms(), attempt=record)
            return
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        attempt = send(
            session,
            endpoint.url,
            message.id,
            message.body,
            endpoint.live_secrets(time.time()),
            message.attempts,
            self.settings.webhook_retry_schedule,
            self.settings.webhook_timeout,
        )
        at = now_ms()
        record.update(
            outcome=attempt.outcome.value,
            status_code=str(attempt.status_code or ""),
            error=attempt.error,
            duration_ms=str(attempt.duration_ms),
            at=str(at),
        )
        outbox.complete(
            message, attempt.outcome, at, next_due_ms=at + int(attempt.delay * 1000), attempt=record
        )
        log.info(
            "webhook %s %s -> %s: %s", message.type, message.id, endpoint.url, attempt.outcome.value
        )
