"""The review queue against a real private Redis, with a clock the tests move."""

from __future__ import annotations

import threading

import pytest
import redis

from service.domain import CommentStatus
from service.errors import ConflictError, InvalidError, NotFoundError
from service.queue.order import Sort
from service.queue.review import Decision, RejectReason, ReviewQueue
from service.queue.stats import read_stats
from service.store import keys
from service.store.decision_log import read_audit, read_decisions, read_label_records, read_labels
from tests.integration.queue_support import seed_comment

T0 = 1_800_000_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(redis_client: redis.Redis, clock: Clock) -> ReviewQueue:
    return ReviewQueue(redis_client, lease_seconds=60, clock=clock)


def _seed(client: redis.Redis, n: int, **kwargs: object) -> list[str]:
    return [
        seed_comment(client, f"comment {i}", created_at=T0 - 1000 + i, **kwargs)  # type: ignore[arg-type]
        for i in range(n)
    ]


def test_claim_leases_oldest_first_up_to_limit(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    ids = _seed(redis_client, 5)
    claim = queue.claim("alice", 3)
    assert [item.id for item in claim.items] == ids[:3]
    assert claim.lease_expires_at == T0 + 60
    assert redis_client.zcard(keys.queue_leases()) == 3
    assert all(item.lease_moderator == "alice" for item in claim.items)


def test_second_moderator_gets_the_rest(queue: ReviewQueue, redis_client: redis.Redis) -> None:
    ids = _seed(redis_client, 5)
    queue.claim("alice", 3)
    assert [item.id for item in queue.claim("bob", 3).items] == ids[3:]


def test_claiming_again_returns_own_batch_renewed(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    ids = _seed(redis_client, 4)
    queue.claim("alice", 2)
    clock.now += 30
    again = queue.claim("alice", 2)
    assert [item.id for item in again.items] == ids[:2]
    assert redis_client.zscore(keys.queue_leases(), ids[0]) == clock.now + 60


def test_concurrent_claims_never_share_an_item(
    redis_client: redis.Redis, redis_server: object
) -> None:
    ids = set(_seed(redis_client, 40))
    results: dict[str, list[str]] = {}
    barrier = threading.Barrier(4)

    def work(name: str) -> None:
        client = redis.Redis.from_url(redis_server.url, decode_responses=True)  # type: ignore[attr-defined]
        barrier.wait()
        results[name] = [item.id for item in ReviewQueue(client).claim(name, 15).items]
        client.close()

    threads = [threading.Thread(target=work, args=(f"m{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [cid for got in results.values() for cid in got]
    assert len(claimed) == len(set(claimed)) == 40
    assert set(claimed) == ids


def test_expired_lease_returns_item_to_queue(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    ids = _seed(redis_client, 1)
    queue.claim("alice", 1)
    assert queue.claim("bob", 1).items == []
    clock.now += 61
    assert [item.id for item in queue.claim("bob", 1).items] == ids
    assert redis_client.hget(keys.queue_lease_owners(), ids[0]) == "bob"


def test_sweep_counts_expired_leases(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    _seed(redis_client, 3)
    queue.claim("alice", 3)
    clock.now += 61
    assert queue.sweep() == 3
    assert redis_client.zcard(keys.queue_leases()) == 0
    assert redis_client.hlen(keys.queue_lease_owners()) == 0


def test_approve_writes_status_feed_label_audit_and_stats(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    [cid] = _seed(redis_client, 1, external_id="site-7", thread="/news/7", url="http://pat.example")
    queue.claim("alice", 1)
    result = queue.decide(cid, "alice", Decision.APPROVE, via="page")
    assert result.status is CommentStatus.APPROVED
    stored = redis_client.hgetall(keys.comment(cid))
    assert stored["status"] == "approved" and stored["decided_by"] == "alice"
    assert stored["decided_at"] == "2027-01-15T08:00:00.000Z"
    assert redis_client.zscore(keys.queue_pending(), cid) is None
    assert redis_client.zcard(keys.queue_leases()) == 0
    feed = read_decisions(redis_client, None, 10)
    assert feed.items[0] | {"cursor": None} == {
        "id": cid,
        "external_id": "site-7",
        "thread": "/news/7",
        "status": "approved",
        "decided_at": "2027-01-15T08:00:00.000Z",
        "reason": None,
        "cursor": None,
        "event": "decided",
    }
    assert read_labels(redis_client) == [
        {
            "id": cid,
            "text": "comment 0",
            "name": "Pat",
            "email": "@example.com",
            "url": "http://pat.example",
            "spam": "0",
            "toxic": "0",
            "source": "moderator",
        }
    ]
    record = read_label_records(redis_client)[0]
    assert (record["decided_by"], record["model_version"], record["spam_score"]) == (
        "alice",
        "test-model",
        "0.6",
    )
    audit = read_audit(redis_client)[0]
    assert (audit["moderator"], audit["id"], audit["to"], audit["held_lease"], audit["via"]) == (
        "alice",
        cid,
        "approved",
        "1",
        "page",
    )
    assert redis_client.hgetall(keys.stats_decided(int(T0 // 3600))) == {
        "total": "1",
        "status:approved": "1",
        "moderator:alice": "1",
    }


@pytest.mark.parametrize(
    ("reason", "spam", "toxic"),
    [(RejectReason.SPAM, "1", ""), (RejectReason.TOXIC, "", "1")],
)
def test_reject_labels_by_reason(
    queue: ReviewQueue, redis_client: redis.Redis, reason: RejectReason, spam: str, toxic: str
) -> None:
    [cid] = _seed(redis_client, 1)
    queue.decide(cid, "alice", Decision.REJECT, reason)
    [label] = read_labels(redis_client)
    assert (label["spam"], label["toxic"]) == (spam, toxic)
    assert redis_client.hget(keys.comment(cid), "decision_reason") == reason.value


def test_reject_other_leaves_no_label_but_feed_and_audit(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    [cid] = _seed(redis_client, 1)
    queue.decide(cid, "alice", Decision.REJECT, RejectReason.OTHER)
    assert read_labels(redis_client) == []
    assert read_decisions(redis_client, None, 10).items[0]["reason"] == "other"
    assert read_audit(redis_client)[0]["reason"] == "other"


def test_second_decision_is_a_conflict_and_changes_nothing(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    [cid] = _seed(redis_client, 1)
    queue.decide(cid, "alice", Decision.APPROVE)
    with pytest.raises(ConflictError, match="already decided: approved"):
        queue.decide(cid, "bob", Decision.REJECT, RejectReason.SPAM)
    assert redis_client.hget(keys.comment(cid), "status") == "approved"
    assert redis_client.xlen(keys.decisions()) == 1
    assert redis_client.xlen(keys.labels()) == 1


def test_decision_on_another_moderators_lease_is_a_conflict(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    [cid] = _seed(redis_client, 1)
    queue.claim("alice", 1)
    with pytest.raises(ConflictError, match="leased by alice"):
        queue.decide(cid, "bob", Decision.APPROVE)
    assert redis_client.hget(keys.comment(cid), "status") == "pending"
    clock.now += 61  # alice's lease ran out: the comment is anyone's again
    assert queue.decide(cid, "bob", Decision.APPROVE).decided_by == "bob"


def test_unknown_id_is_not_found(queue: ReviewQueue) -> None:
    with pytest.raises(NotFoundError):
        queue.decide("0" * 26, "alice", Decision.APPROVE)
    with pytest.raises(NotFoundError):
        queue.release("alice", "0" * 26)


def test_reason_rules(queue: ReviewQueue, redis_client: redis.Redis) -> None:
    [cid] = _seed(redis_client, 1)
    with pytest.raises(InvalidError):
        queue.decide(cid, "alice", Decision.REJECT)
    with pytest.raises(InvalidError):
        queue.decide(cid, "alice", Decision.APPROVE, RejectReason.SPAM)
    assert redis_client.hget(keys.comment(cid), "status") == "pending"


def test_release_gives_own_lease_back_only(queue: ReviewQueue, redis_client: redis.Redis) -> None:
    a, b = _seed(redis_client, 2)
    queue.claim("alice", 1)
    with pytest.raises(ConflictError, match="leased by alice"):
        queue.release("bob", a)
    assert queue.release("alice", a) is True
    assert queue.release("alice", a) is False
    assert [item.id for item in queue.claim("bob", 2).items] == [a, b]
    assert queue.release_all("bob") == 2
    assert redis_client.zcard(keys.queue_leases()) == 0


def test_list_sorts_and_filters(queue: ReviewQueue, redis_client: redis.Redis) -> None:
    old = seed_comment(redis_client, "old", created_at=T0 - 300, spam=0.55, thread="/a")
    mid = seed_comment(redis_client, "mid", created_at=T0 - 200, spam=0.9, thread="/b")
    new = seed_comment(redis_client, "new", created_at=T0 - 100, spam=0.7, toxicity=0.52)
    assert [i.id for i in queue.list_pending().items] == [old, mid, new]
    assert [i.id for i in queue.list_pending(Sort.NEWEST).items] == [new, mid, old]
    assert [i.id for i in queue.list_pending(Sort.SCORE).items] == [mid, new, old]
    assert [i.id for i in queue.list_pending(Sort.UNCERTAIN).items] == [new, old, mid]
    assert [i.id for i in queue.list_pending(thread="/b").items] == [mid]


@pytest.mark.parametrize("sort", list(Sort))
def test_cursor_pages_cover_every_item_once(
    queue: ReviewQueue, redis_client: redis.Redis, sort: Sort
) -> None:
    ids = _seed(redis_client, 7)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = queue.list_pending(sort, limit=3, cursor=cursor)
        seen += [item.id for item in page.items]
        cursor = page.next
        if cursor is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == 7


def test_bad_cursor_is_a_validation_error(queue: ReviewQueue, redis_client: redis.Redis) -> None:
    _seed(redis_client, 3)
    page = queue.list_pending(Sort.OLDEST, limit=1)
    assert page.next is not None
    with pytest.raises(InvalidError):
        queue.list_pending(Sort.SCORE, cursor=page.next)
    with pytest.raises(InvalidError):
        queue.list_pending(cursor="not a cursor!")


def test_feed_pages_return_each_decision_once(
    queue: ReviewQueue, redis_client: redis.Redis
) -> None:
    ids = _seed(redis_client, 5)
    for cid in ids[:3]:
        queue.decide(cid, "alice", Decision.APPROVE)
    first = read_decisions(redis_client, None, 2)
    assert [i["id"] for i in first.items] == ids[:2] and first.has_more
    second = read_decisions(redis_client, first.next, 2)
    assert [i["id"] for i in second.items] == ids[2:3] and not second.has_more
    empty = read_decisions(redis_client, second.next, 2)
    assert empty.items == [] and empty.next == second.next
    for cid in ids[3:]:
        queue.decide(cid, "bob", Decision.REJECT, RejectReason.SPAM)
    later = read_decisions(redis_client, empty.next, 10)
    assert [i["id"] for i in later.items] == ids[3:]


def test_feed_entries_written_before_thread_read_it_from_the_comment(
    redis_client: redis.Redis,
) -> None:
    [cid] = _seed(redis_client, 1, external_id="site-3", thread="/news/3")
    # An entry as queue_decide.lua wrote it before the feed carried the thread.
    old = {
        "id": cid,
        "external_id": "site-3",
        "status": "approved",
        "decided_at": "x",
        "reason": "",
    }
    redis_client.xadd(keys.decisions(), old)  # type: ignore[arg-type]
    redis_client.xadd(keys.decisions(), old | {"id": "gone"})  # type: ignore[arg-type]
    items = read_decisions(redis_client, None, 10).items
    assert [(i["external_id"], i["thread"]) for i in items] == [
        ("site-3", "/news/3"),
        ("site-3", None),
    ]


def test_feed_rejects_a_malformed_cursor(redis_client: redis.Redis) -> None:
    with pytest.raises(InvalidError):
        read_decisions(redis_client, "yesterday", 10)
    assert read_decisions(redis_client, "0", 10).next == "0-0"


def test_stats(queue: ReviewQueue, redis_client: redis.Redis, clock: Clock) -> None:
    ids = _seed(redis_client, 4)
    queue.claim("alice", 2)
    queue.decide(ids[2], "bob", Decision.APPROVE)
    stats = read_stats(queue)
    assert stats["depth"] == 3 and stats["leased"] == 2 and stats["available"] == 1
    assert stats["oldest_age_s"] == 1000.0
    assert stats["leased_by_moderator"] == {"alice": 2}
    assert stats["decided_per_hour"][0]["by_moderator"] == {"bob": 1}
    assert stats["decided_per_hour"][0]["total"] == 1


def test_claim_with_limit_zero_only_renews(
    queue: ReviewQueue, redis_client: redis.Redis, clock: Clock
) -> None:
    ids = _seed(redis_client, 3)
    queue.claim("alice", 1)
    clock.now += 50
    assert queue.claim("alice", 0).items == []
    assert redis_client.zscore(keys.queue_leases(), ids[0]) == clock.now + 60
    assert redis_client.zcard(keys.queue_leases()) == 1
