"""Undo windows, held decisions, corrections and the intake indexes, against a real Redis."""

from __future__ import annotations

import time

import pytest
import redis

from service.domain import CommentStatus
from service.errors import ConflictError, NotFoundError
from service.queue.review import Decision, RejectReason, ReviewQueue
from service.queue.stats import read_stats
from service.store import keys
from service.store.comments import AUTO_INDEX_SIZE, email_hash
from service.store.decision_log import read_audit, read_decisions, read_labels
from tests.integration.queue_support import seed_comment
from tests.unit.service.queue.test_review import T0, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(redis_client: redis.Redis, clock: Clock) -> ReviewQueue:
    return ReviewQueue(redis_client, lease_seconds=60, clock=clock, hold_seconds=10)


def _decide_held(queue: ReviewQueue, client: redis.Redis) -> str:
    cid = seed_comment(client, "held comment", created_at=T0 - 5)
    queue.claim("alice", 1)
    queue.decide(cid, "alice", Decision.REJECT, RejectReason.SPAM, via="page", hold=True)
    return cid


def test_a_held_decision_reaches_the_feed_and_labels_only_after_its_window(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    cid = _decide_held(queue, redis_client)
    assert redis_client.hget(keys.comment(cid), "status") == "rejected"
    assert read_decisions(redis_client, None, 10).items == []
    assert read_labels(redis_client) == []
    clock.now += 9.9
    assert queue.flush_held() == 0
    clock.now += 0.2
    queue.sweep()  # every sweep commits what is due
    [entry] = read_decisions(redis_client, None, 10).items
    assert (entry["id"], entry["status"], entry["reason"]) == (cid, "rejected", "spam")
    [(_, raw)] = redis_client.xrange(keys.decisions())
    assert (raw["event"], raw["by"], raw["thread"]) == ("decided", "alice", "/news/1")
    assert [label["spam"] for label in read_labels(redis_client)] == ["1"]
    assert redis_client.zcard(keys.queue_held()) == 0


def test_undo_inside_the_window_makes_it_pending_and_yours_again(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    clock.now = time.time()  # the stats read the audit stream's real-time entry ids
    cid = _decide_held(queue, redis_client)
    assert read_stats(queue)["decided_last_hour"] == 1
    clock.now += 5
    assert queue.undo(cid, "alice") is CommentStatus.REJECTED
    assert redis_client.hget(keys.comment(cid), "status") == "pending"
    assert redis_client.hget(keys.queue_lease_owners(), cid) == "alice"
    assert read_stats(queue)["decided_last_hour"] == 0
    clock.now += 20
    queue.flush_held()
    assert read_decisions(redis_client, None, 10).items == []
    assert read_labels(redis_client) == []
    assert [r["action"] for r in read_audit(redis_client)][:2] == ["undo", "decide"]
    # decided again, it is a normal decision
    queue.claim("alice", 1)
    queue.decide(cid, "alice", Decision.APPROVE, via="page")
    assert [e["status"] for e in read_decisions(redis_client, None, 10).items] == ["approved"]


def test_undo_after_the_window_or_by_someone_else_is_refused(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    cid = _decide_held(queue, redis_client)
    with pytest.raises(ConflictError, match="alice"):
        queue.undo(cid, "bob")
    clock.now += 10.5
    with pytest.raises(ConflictError, match="final"):
        queue.undo(cid, "alice")
    queue.flush_held()
    with pytest.raises(NotFoundError):
        queue.undo(cid, "alice")
    assert redis_client.hget(keys.comment(cid), "status") == "rejected"


def test_correcting_an_automatic_rejection_emits_a_corrected_entry(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    cid = seed_comment(redis_client, "a fine comment", status=CommentStatus.REJECTED)
    with pytest.raises(ConflictError):
        queue.decide(cid, "alice", Decision.APPROVE)  # without correct: a second decision
    result = queue.decide(cid, "alice", Decision.APPROVE, correct=True, via="page")
    assert result.status is CommentStatus.APPROVED
    record = redis_client.hgetall(keys.comment(cid))
    assert (record["status"], record["decided_by"], record["corrected_from"]) == (
        "approved",
        "alice",
        "rejected",
    )
    [(_, entry)] = redis_client.xrange(keys.decisions())
    assert (entry["event"], entry["status"], entry["by"]) == ("corrected", "approved", "alice")
    assert [(label["spam"], label["toxic"]) for label in read_labels(redis_client)] == [("0", "0")]
    assert record["corrected_from_by"] == "modq"


def test_correcting_a_held_decision_commits_it_first(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    cid = _decide_held(queue, redis_client)
    queue.decide(cid, "alice", Decision.APPROVE, correct=True)
    entries = [fields for _, fields in redis_client.xrange(keys.decisions())]
    assert [(e["status"], e["event"]) for e in entries] == [
        ("rejected", "decided"),
        ("approved", "corrected"),
    ]
    assert redis_client.zcard(keys.queue_held()) == 0
    assert redis_client.hget(keys.comment(cid), "corrected_from_by") == "alice"


def test_correct_on_a_pending_comment_is_a_plain_decision(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    cid = seed_comment(redis_client, "pending")
    queue.decide(cid, "alice", Decision.APPROVE, correct=True)
    [(_, entry)] = redis_client.xrange(keys.decisions())
    assert entry["event"] == "decided"


def test_intake_indexes_automatic_decisions_and_the_commenter(redis_client: redis.Redis) -> None:
    rejected = seed_comment(redis_client, "x", status=CommentStatus.REJECTED, created_at=T0)
    approved = seed_comment(redis_client, "y", status=CommentStatus.APPROVED, created_at=T0 + 1)
    pending = seed_comment(redis_client, "z", created_at=T0 + 2, email="Pat@example.com ")
    assert redis_client.zrange(keys.auto_decided("rejected"), 0, -1) == [rejected]
    assert redis_client.zrange(keys.auto_decided("approved"), 0, -1) == [approved]
    assert email_hash("pat@Example.com") == email_hash(" PAT@example.com")
    history = redis_client.zrange(keys.commenter(email_hash("pat@example.com")), 0, -1)
    assert history == [rejected, approved, pending]
    assert AUTO_INDEX_SIZE >= 1000
