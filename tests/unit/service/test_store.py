"""The comment store against a real Redis: one script writes the hash and the queue entry."""

from __future__ import annotations

import json
import time

import redis

from service import keys
from service.domain import CommentStatus, is_comment_id, new_comment_id
from service.store import CommentStore, NewComment, reasons_of


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
