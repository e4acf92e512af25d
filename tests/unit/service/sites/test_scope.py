"""Moderators across sites: which namespaces they see, and the queues of several as one."""

from __future__ import annotations

import pytest
import redis

from service.domain import CommentStatus
from service.errors import ConflictError, NotFoundError
from service.queue.order import Sort
from service.queue.review import Decision, Feedback, RejectReason, ReviewQueue
from service.queue.scope import ScopedQueue
from service.settings import Settings, SettingsError
from service.sites.protection import is_loopback
from service.sites.scope import visible_namespaces
from service.store import keys
from service.store.decision_log import read_labels_everywhere
from tests.integration.queue_support import seed_comment

T0 = 1_800_000_000.0


def test_visible_namespaces() -> None:
    sites = frozenset({"blog", "forum"})
    assert visible_namespaces(frozenset(), None) == ["default"]
    assert visible_namespaces(sites, None) == ["blog", "default", "forum"]
    assert visible_namespaces(sites, None, "blog") == ["blog"]
    assert visible_namespaces(sites, frozenset({"forum"})) == ["forum"]
    with pytest.raises(NotFoundError):
        visible_namespaces(sites, frozenset({"forum"}), "blog")
    with pytest.raises(NotFoundError):
        visible_namespaces(sites, None, "shop")


def test_moderator_tokens_may_name_their_sites() -> None:
    token = "t" * 20
    settings = Settings.from_env(
        {"MODQ_MODERATOR_TOKENS": f"alice:{token},fred:{token}x:forum|shop"}
    )
    assert settings.moderator_tokens == {"alice": token, "fred": token + "x"}
    assert settings.moderator_sites("alice") is None
    assert settings.moderator_sites("fred") == frozenset({"forum", "shop"})
    for bad in (f"fred:{token}:", f"fred:{token}:Forum", f"fred:{token}:a|"):
        with pytest.raises(SettingsError):
            Settings.from_env({"MODQ_MODERATOR_TOKENS": bad})


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert is_loopback("127.0.0.2") and is_loopback("[::1]")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("10.0.0.1")
    assert not is_loopback("no-such-host.invalid")


def _scoped(client: redis.Redis, *namespaces: str) -> ScopedQueue:
    return ScopedQueue.over(client, namespaces, lease_seconds=60, clock=lambda: T0)


def test_a_scoped_queue_lists_claims_and_decides_across_sites(redis_client: redis.Redis) -> None:
    blog = [
        seed_comment(redis_client, f"b{i}", created_at=T0 - 100 + 2 * i, namespace="blog")
        for i in range(3)
    ]
    forum = [
        seed_comment(redis_client, f"f{i}", created_at=T0 - 99 + 2 * i, namespace="forum")
        for i in range(2)
    ]
    both = _scoped(redis_client, "blog", "forum")
    oldest = [blog[0], forum[0], blog[1], forum[1], blog[2]]
    page = both.list_pending(Sort.OLDEST, limit=2)
    assert [i.id for i in page.items] == oldest[:2]
    assert [i.site for i in page.items] == ["blog", "forum"]
    rest = both.list_pending(Sort.OLDEST, limit=10, cursor=page.next)
    assert [i.id for i in rest.items] == oldest[2:] and rest.next is None
    newest = both.list_pending(Sort.NEWEST, limit=10)
    assert [i.id for i in newest.items] == oldest[::-1]

    claim = both.claim("alice", 4)
    assert len(claim.items) == 4 and {i.site for i in claim.items} == {"blog", "forum"}
    assert both.release_all("alice") == 4

    assert both.get(forum[1]).site == "forum"
    done = both.decide(forum[1], "alice", Decision.REJECT, RejectReason.SPAM)
    assert done.event == "decided"
    with pytest.raises(ConflictError):
        both.decide(forum[1], "alice", Decision.APPROVE)
    assert both.decide(forum[1], "alice", Decision.APPROVE, correct=True).event == "corrected"
    with pytest.raises(NotFoundError):
        _scoped(redis_client, "blog").get(forum[0])  # not in this moderator's view

    stats = both.stats()
    assert stats["depth"] == 4 and stats["decided_last_hour"] == 0  # T0 is in the future
    assert {ns: s["depth"] for ns, s in stats["sites"].items()} == {"blog": 3, "forum": 1}
    assert [(a["site"], a["id"]) for a in both.audit(10)] == [
        ("forum", forum[1]),
        ("forum", forum[1]),
    ]


def test_feedback_and_corrections_are_labels_that_retraining_reads(
    redis_client: redis.Redis,
) -> None:
    auto = seed_comment(
        redis_client, "an automatic approval", status=CommentStatus.APPROVED, namespace="blog"
    )
    held = seed_comment(redis_client, "a held comment")
    ReviewQueue(redis_client, namespace="blog").feedback(auto, "blog", Feedback.SPAM)
    ReviewQueue(redis_client).decide(held, "alice", Decision.APPROVE)
    ReviewQueue(redis_client).decide(held, "bob", Decision.REJECT, RejectReason.TOXIC, correct=True)
    rows = read_labels_everywhere(redis_client)
    assert [(r["text"], r["spam"], r["toxic"]) for r in rows] == [
        ("an automatic approval", "1", ""),
        ("a held comment", "0", "0"),
        ("a held comment", "", "1"),
    ]
    stored = redis_client.hgetall(keys.comment(auto, "blog"))
    assert (stored["status"], stored["decided_by"]) == ("rejected", "site:blog")
    with pytest.raises(NotFoundError):
        ReviewQueue(redis_client, namespace="forum").feedback(auto, "forum", Feedback.HAM)
