"""Webhook delivery against a real private Redis and a local receiver.

Signatures are checked with the reference `standardwebhooks` library from PyPI.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import redis
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from service.domain import CommentStatus
from service.integrations.webhooks.endpoints import EndpointError, EndpointRegistry
from service.integrations.webhooks.events import EventType
from service.integrations.webhooks.outbox import Outbox
from service.integrations.webhooks.router import Router
from service.integrations.webhooks.sender import backoff, retry_after
from service.integrations.webhooks.signing import headers, new_secret
from service.integrations.webhooks.worker import DeliveryWorker, now_ms
from service.queue.review import Decision, RejectReason, ReviewQueue
from service.runtime.redis_server import RedisServer
from service.settings import Settings
from service.store import keys
from tests.integration.webhook_support import Answer, Received, Receiver, store_comment, verify

SETTINGS = Settings(
    webhook_timeout=1.0,
    webhook_poll_seconds=0.05,
    webhook_retry_schedule=(0.2, 0.2, 0.2),
    webhook_concurrency=4,
)


class Running:
    """A delivery worker in a thread."""

    def __init__(self, client: redis.Redis, settings: Settings = SETTINGS) -> None:
        self.worker = DeliveryWorker(client, settings)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.worker.stop()
        self.thread.join(10)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def worker(redis_client: redis.Redis) -> Iterator[Running]:
    running = Running(redis_client)
    yield running
    running.stop()


def _types(received: list[Received]) -> list[str]:
    return [r.event["type"] for r in received]


def test_signature_verifies_with_the_reference_library() -> None:
    secret = new_secret()
    body = b'{"type":"comment.created","timestamp":"2026-12-07T00:00:00.000Z","data":{}}'
    sent = headers("msg_1", int(time.time()), body, [secret])
    assert Webhook(secret).verify(body, sent)["type"] == "comment.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, sent)


def test_during_rotation_either_secret_verifies(redis_client: redis.Redis) -> None:
    registry = EndpointRegistry(redis_client)
    endpoint, old = registry.add("http://127.0.0.1:9/hooks")
    new = registry.rotate_secret(endpoint.id, grace_seconds=60)
    live = registry.get(endpoint.id).live_secrets(time.time())
    assert live == [new, old]
    body = b"{}"
    sent = headers("msg_2", int(time.time()), body, live)
    assert sent["webhook-signature"].count("v1,") == 2
    Webhook(old).verify(body, sent)
    Webhook(new).verify(body, sent)
    assert registry.get(endpoint.id).live_secrets(time.time() + 61) == [new]


def test_a_bad_url_is_refused(redis_client: redis.Redis) -> None:
    with pytest.raises(EndpointError):
        EndpointRegistry(redis_client).add("ftp://example.com/x")


def test_created_and_decided_arrive_signed_in_order_without_email_or_text(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    _endpoint, secret = EndpointRegistry(redis_client).add(receiver.url)
    comment_id = store_comment(redis_client, external_id="wp-7")
    ReviewQueue(redis_client).decide(comment_id, "alice", Decision.REJECT, RejectReason.SPAM)
    receiver.wait_for(lambda got: len(got) >= 2)
    first, second = (verify(r, secret) for r in receiver.received[:2])
    assert [first["type"], second["type"]] == ["comment.created", "comment.decided"]
    assert first["data"] == {
        "id": comment_id,
        "external_id": "wp-7",
        "thread": "/news/1",
        "status": "pending",
        "reason": "spam_model",
        "scores": {"spam": 0.7, "toxicity": 0.1},
    }
    assert second["data"]["status"] == "rejected"
    assert second["data"]["reason"] == "spam"
    raw = b"".join(r.body for r in receiver.received)
    assert b"pat@example.com" not in raw and b"secret text" not in raw
    assert receiver.received[0].headers["webhook-id"] != receiver.received[1].headers["webhook-id"]


def test_a_corrected_entry_becomes_comment_corrected(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    EndpointRegistry(redis_client).add(receiver.url, (EventType.CORRECTED,))
    comment_id = store_comment(redis_client, CommentStatus.APPROVED)
    redis_client.xadd(
        keys.decisions(),
        {
            "id": comment_id,
            "external_id": "",
            "status": "rejected",
            "reason": "spam",
            "decided_at": "x",
            "by": "site",
            "event": "corrected",
        },
    )
    receiver.wait_for(lambda got: len(got) >= 1)
    time.sleep(0.3)
    assert _types(receiver.received) == ["comment.corrected"]


def test_without_a_created_subscriber_the_intake_writes_no_event(redis_client: redis.Redis) -> None:
    EndpointRegistry(redis_client).add("http://127.0.0.1:9/h", (EventType.DECIDED,))
    store_comment(redis_client)
    assert redis_client.exists(keys.created_events()) == 0


def test_events_before_the_endpoint_existed_are_not_sent(
    redis_client: redis.Redis, receiver: Receiver
) -> None:
    registry = EndpointRegistry(redis_client)
    registry.add("http://127.0.0.1:9/other")  # turns the created stream on
    early = store_comment(redis_client)
    time.sleep(0.01)
    registry.add(receiver.url)
    late = store_comment(redis_client)
    router = Router(redis_client)
    router.route(now_ms())
    outbox = Outbox(redis_client)
    claimed = outbox.claim(10, 1000, now_ms())
    by_endpoint = {(m.endpoint_id, m.comment_id) for m in claimed}
    receiver_id = registry.list()[1].id
    assert (receiver_id, late) in by_endpoint and (receiver_id, early) not in by_endpoint


def test_500s_are_retried_until_delivered(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    answers = iter([500, 503])
    receiver.answer = lambda _: (next(answers, 200), {}, 0.0)
    _endpoint, _secret = EndpointRegistry(redis_client).add(receiver.url)
    store_comment(redis_client)
    receiver.wait_for(lambda got: len(got) >= 3)
    ids = {r.headers["webhook-id"] for r in receiver.received}
    assert len(ids) == 1  # the same message each time
    time.sleep(0.3)
    outbox = Outbox(redis_client)
    outcomes = [a["outcome"] for a in reversed(outbox.attempts(10))]
    assert outcomes == ["retry", "retry", "ok"]
    assert outbox.pending_count() == 0 and outbox.failed() == []


def test_exhausted_retries_fail_and_can_be_replayed(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    receiver.answer = lambda _: (500, {}, 0.0)
    EndpointRegistry(redis_client).add(receiver.url)
    store_comment(redis_client)
    outbox = Outbox(redis_client)
    deadline = time.monotonic() + 10
    while not outbox.failed() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received) == 4  # the first try and three retries
    receiver.answer = lambda _: (200, {}, 0.0)
    [failed] = outbox.failed()
    assert outbox.replay(failed["member"], now_ms())
    receiver.wait_for(lambda got: len(got) == 5)
    assert not outbox.replay(failed["member"], now_ms())


def test_410_disables_the_endpoint_and_later_messages_fail_too(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    receiver.answer = lambda _: (410, {}, 0.0)
    registry = EndpointRegistry(redis_client)
    endpoint, _ = registry.add(receiver.url)
    store_comment(redis_client)
    receiver.wait_for(lambda got: len(got) >= 1)
    time.sleep(0.3)
    assert registry.get(endpoint.id).disabled
    store_comment(redis_client)
    time.sleep(0.5)
    assert len(receiver.received) == 1
    outbox = Outbox(redis_client)
    assert len(outbox.failed()) == 1  # the second was not routed to a disabled endpoint
    registry.set_disabled(endpoint.id, False)
    receiver.answer = lambda _: (204, {}, 0.0)
    assert outbox.replay(outbox.failed()[0]["member"], now_ms())
    receiver.wait_for(lambda got: len(got) == 2)


def test_429_waits_for_retry_after(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    answers = iter([(429, {"Retry-After": "1"}, 0.0)])
    receiver.answer = lambda _: next(answers, (204, {}, 0.0))
    EndpointRegistry(redis_client).add(receiver.url)
    store_comment(redis_client)
    receiver.wait_for(lambda got: len(got) >= 2, timeout=10)
    gap = receiver.received[1].at - receiver.received[0].at
    assert gap >= 0.95  # not the 0.2 s of the schedule


def test_a_slow_receiver_times_out_and_is_retried_without_holding_others(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    seen: set[str] = set()

    def answer(got: Received) -> Answer:
        first = got.headers["webhook-id"] not in seen
        seen.add(got.headers["webhook-id"])
        slow = got.event["data"]["external_id"] == "slow" and first
        return (204, {}, 2.0 if slow else 0.0)

    receiver.answer = answer
    EndpointRegistry(redis_client).add(receiver.url, (EventType.CREATED,))
    store_comment(redis_client, external_id="slow")
    store_comment(redis_client, external_id="fast")
    receiver.wait_for(lambda got: len(got) >= 3, timeout=10)
    order = [r.event["data"]["external_id"] for r in receiver.received]
    assert order.index("fast") < 2  # not held behind the slow one
    assert order.count("slow") == 2


def test_a_receiver_down_for_a_while_gets_everything_after(
    redis_client: redis.Redis, worker: Running
) -> None:
    receiver = Receiver().start()
    port = receiver.port
    receiver.stop()  # down: connection refused
    _endpoint, _ = EndpointRegistry(redis_client).add(f"http://127.0.0.1:{port}/hooks")
    ids = [store_comment(redis_client) for _ in range(5)]
    time.sleep(0.5)
    receiver.start(port)
    try:
        receiver.wait_for(lambda got: {r.event["data"]["id"] for r in got} >= set(ids), timeout=15)
    finally:
        receiver.stop()


def test_one_comments_events_keep_their_order_through_retries(
    redis_client: redis.Redis, receiver: Receiver, worker: Running
) -> None:
    failures = iter([500, 500])
    receiver.answer = lambda got: (
        next(failures, 204) if got.event["type"] == "comment.created" else 204,
        {},
        0.0,
    )
    EndpointRegistry(redis_client).add(receiver.url)
    comment_id = store_comment(redis_client)
    ReviewQueue(redis_client).decide(comment_id, "alice", Decision.APPROVE)
    receiver.wait_for(lambda got: "comment.decided" in _types(got))
    assert _types(receiver.received) == ["comment.created"] * 3 + ["comment.decided"]


def test_two_workers_share_the_work_without_double_sending(
    redis_client: redis.Redis, receiver: Receiver
) -> None:
    receiver.answer = lambda _: (204, {}, 0.02)
    EndpointRegistry(redis_client).add(receiver.url, (EventType.CREATED,))
    ids = [store_comment(redis_client) for _ in range(30)]
    workers = [Running(redis_client), Running(redis_client)]
    try:
        receiver.wait_for(lambda got: len(got) >= 30, timeout=20)
        time.sleep(0.3)
    finally:
        for w in workers:
            w.stop()
    assert sorted(r.event["data"]["id"] for r in receiver.received) == sorted(ids)


def test_a_worker_that_dies_mid_delivery_leaves_the_message_to_another(
    redis_client: redis.Redis, receiver: Receiver
) -> None:
    EndpointRegistry(redis_client).add(receiver.url, (EventType.CREATED,))
    comment_id = store_comment(redis_client)
    Router(redis_client).route(now_ms())
    [claimed] = Outbox(redis_client).claim(1, 500, now_ms())  # then "dies"
    running = Running(redis_client)
    try:
        receiver.wait_for(lambda got: len(got) == 1, timeout=10)
    finally:
        running.stop()
    assert receiver.received[0].event["data"]["id"] == comment_id
    # the dead worker's late report changes nothing
    from service.integrations.webhooks.outbox import Outcome

    assert Outbox(redis_client).complete(claimed, Outcome.RETRY, now_ms(), now_ms()) == "stale"


def test_pending_deliveries_survive_a_redis_restart(own_redis: RedisServer) -> None:
    client = redis.Redis.from_url(own_redis.url, decode_responses=True)
    receiver = Receiver().start()
    port = receiver.port
    receiver.stop()
    EndpointRegistry(client).add(f"http://127.0.0.1:{port}/hooks", (EventType.CREATED,))
    ids = [store_comment(client) for _ in range(3)]
    running = Running(client)
    try:
        time.sleep(0.5)  # routed, tried, refused, waiting to retry
        own_redis.restart()
        receiver.start(port)
        receiver.wait_for(lambda got: {r.event["data"]["id"] for r in got} >= set(ids), timeout=20)
    finally:
        running.stop()
        receiver.stop()
        client.close()


def test_backoff_follows_the_schedule_with_jitter_then_gives_up() -> None:
    schedule = (5.0, 300.0)
    assert 5.0 <= (backoff(1, schedule) or 0) <= 6.0
    assert 300.0 <= (backoff(2, schedule) or 0) <= 360.0
    assert backoff(3, schedule) is None


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after("120") == 120.0
    assert retry_after(None) is None
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None
