"""The comment store against a real Redis: one script writes the hash and the queue entry."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest
import redis

from service.concurrency.batching import Batcher
from service.domain import CommentStatus, is_comment_id, new_comment_id
from service.store import keys
from service.store.comments import CommentStore, NewComment, SaveResult, reasons_of


def comment(status: CommentStatus = CommentStatus.PENDING, **fields: str | None) -> NewComment:
    created = time.time()
    return NewComment(
        id=new_comment_id(int(created * 1000)),
        created_at=created,
        status=status,
        verdict=status,
        mode="enforce",
        fields={"name": "Ada", "email": "ada@example.org", "text": "Hello", "url": None, **fields},
        spam=0.61,
        toxicity=0.02,
        reasons=[{"code": "spam_possible", "message": "m", "spans": []}],
        model_version="v1",
    )


def test_pending_comment_is_stored_and_queued_together(redis_client: redis.Redis) -> None:
    new = comment()
    result = CommentStore(redis_client).save(new)
    assert (result.id, result.created) == (new.id, True)
    record = redis_client.hgetall(keys.comment(new.id))
    assert record["status"] == "pending" and record["email"] == "ada@example.org"
    assert "url" not in record  # empty fields are not written
    assert float(record["spam"]) == 0.61
    assert json.loads(record["reasons"])[0]["code"] == "spam_possible"
    assert redis_client.zscore(keys.queue_pending(), new.id) == float(record["created_at"])


def test_approved_and_rejected_comments_are_not_queued(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client)
    for status in (CommentStatus.APPROVED, CommentStatus.REJECTED):
        store.save(comment(status))
    assert redis_client.zcard(keys.queue_pending()) == 0
    assert len(redis_client.keys(keys.comment("*"))) == 2


def test_same_thread_and_external_id_returns_the_first(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client)
    first = store.save(comment(thread="/a:b", external_id="7"))
    second = store.save(comment(thread="/a:b", external_id="7"))
    other = store.save(comment(thread="/a", external_id="b:7"))  # no ":" ambiguity
    assert second.id == first.id and not second.created
    assert other.created and other.id != first.id
    assert redis_client.zcard(keys.queue_pending()) == 2


def test_load_unknown_is_none_and_reasons_decode(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client)
    assert store.load(new_comment_id()) is None
    saved = store.save(comment())
    record = store.load(saved.id)
    assert record is not None and reasons_of(record)[0]["code"] == "spam_possible"


def test_script_survives_a_script_flush(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client)
    redis_client.script_flush()  # as after a Redis restart: EVALSHA falls back to EVAL
    assert store.save(comment()).created


def test_ids_sort_by_time_and_are_unguessable() -> None:
    earlier, later = new_comment_id(1_000), new_comment_id(2_000)
    assert earlier < later
    assert new_comment_id(1_000) != earlier
    assert is_comment_id(earlier) and len(earlier) == 26
    assert not is_comment_id("../etc/passwd") and not is_comment_id(earlier.upper())


def test_any_text_round_trips_exactly(redis_client: redis.Redis) -> None:
    text = 'Zoë 👍🏽 "quoted" \\ back\\slash\n\ttab \u2028 日本語 {"json": [1]}'
    saved = CommentStore(redis_client).save(comment(text=text, name="Zoë 👍"))
    record = redis_client.hgetall(keys.comment(saved.id))
    assert record["text"] == text and record["name"] == "Zoë 👍"


def test_several_comments_in_one_round_trip_each_get_their_own_result(
    redis_client: redis.Redis,
) -> None:
    store = CommentStore(redis_client)
    first = comment(thread="/t", external_id="1")
    again = comment(thread="/t", external_id="1")  # the same post, retried, in the same batch
    approved = comment(CommentStatus.APPROVED)
    results = store._save_many([first, again, approved])
    assert [(r.id, r.created) for r in results] == [  # type: ignore[union-attr]
        (first.id, True),
        (first.id, False),
        (approved.id, True),
    ]
    assert redis_client.zrange(keys.queue_pending(), 0, -1) == [first.id]
    assert not redis_client.exists(keys.comment(again.id))


def test_a_batch_recovers_when_redis_forgot_the_script(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client)
    store.save(comment())  # loads the script
    redis_client.script_flush()  # as a restarted Redis without its scripts
    batch = [comment(), comment()]
    assert all(r.created for r in store._save_many(batch))  # type: ignore[union-attr]
    assert all(redis_client.exists(keys.comment(c.id)) for c in batch)


def test_one_failing_comment_does_not_fail_the_rest_of_its_batch(
    redis_client: redis.Redis,
) -> None:
    store = CommentStore(redis_client, Batcher(max_batch=8))
    broken = comment(thread="/t", external_id="x")
    # the external-id key holds a hash: the script's GET on it fails (WRONGTYPE)
    redis_client.hset(keys.comment_by_external_id("%2Ft", "x"), "f", "v")
    fine = comment()
    results = store._save_many([broken, fine])
    assert isinstance(results[0], redis.ResponseError)
    assert results[1] == SaveResult(fine.id, True)
    with pytest.raises(redis.ResponseError):
        store.save(broken)


def test_concurrent_saves_through_the_batcher_are_all_stored(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client, Batcher(max_batch=8))
    saved: list[SaveResult] = []
    posted = [comment() for _ in range(120)]
    start = threading.Barrier(12)

    def post(mine: list[NewComment]) -> None:
        start.wait()
        saved.extend(store.save(c) for c in mine)

    threads = [threading.Thread(target=post, args=(posted[i::12],)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r.id for r in saved) == sorted(c.id for c in posted)
    assert all(r.created for r in saved)
    assert redis_client.zcard(keys.queue_pending()) == 120


def test_batched_writes_recover_when_redis_forgot_the_script(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client, Batcher(max_batch=8))
    store.save(comment())
    redis_client.script_flush()  # as a restarted Redis without its scripts
    alone = store.save(comment())  # one comment: the same connection of the writes
    assert alone.created and redis_client.exists(keys.comment(alone.id))
    redis_client.script_flush()
    batch = [comment(), comment()]
    assert all(r.created for r in store._save_many(batch))  # type: ignore[union-attr]
    assert all(redis_client.exists(keys.comment(c.id)) for c in batch)


def test_index_keys_and_counters_are_written_with_the_comment(redis_client: redis.Redis) -> None:
    store = CommentStore(redis_client)
    index, counter = keys.akismet_lookup("d1"), keys.akismet_usage("2026-12")
    first, second = (
        replace(comment(thread="/t", external_id=ext), index_keys=(index,), counter_keys=(counter,))
        for ext in ("1", "2")
    )
    store.save(first)
    assert redis_client.get(index) == first.id and redis_client.get(counter) == "1"
    store.save(second)  # the latest comment wins the index; the counter counts both
    assert redis_client.get(index) == second.id and redis_client.get(counter) == "2"
    again = store.save(replace(first, id=new_comment_id()))  # a retry: nothing is written
    assert not again.created
    assert redis_client.get(index) == second.id and redis_client.get(counter) == "2"
