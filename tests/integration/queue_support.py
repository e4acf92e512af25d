"""Helpers for the queue tests: pending comments stored the way the intake service stores them."""

from __future__ import annotations

import time
from typing import Any

import redis

from service.domain import CommentStatus, new_comment_id
from service.store import keys
from service.store.comments import CommentStore, NewComment


def seed_comment(
    client: redis.Redis,
    text: str = "Buy cheap pills at http://pills.example",
    *,
    name: str = "Pat",
    email: str = "pat@Example.com",
    url: str = "",
    thread: str = "/news/1",
    external_id: str = "",
    spam: float = 0.6,
    toxicity: float = 0.1,
    reasons: list[dict[str, Any]] | None = None,
    created_at: float | None = None,
    status: CommentStatus = CommentStatus.PENDING,
    model_version: str = "test-model",
    namespace: str = keys.DEFAULT_NAMESPACE,
    **extra: str,
) -> str:
    """Store one comment hash (fields as in service/store/comments.py); queue it if pending."""
    created = time.time() if created_at is None else created_at
    comment_id = new_comment_id(int(created * 1000))
    record = {
        "name": name,
        "email": email,
        "text": text,
        "url": url,
        "thread": thread,
        "external_id": external_id,
    }
    # Through the intake's own script, so the indexes it writes (automatic decisions,
    # the commenter's history) exist exactly as they would.
    CommentStore(client).save(
        NewComment(
            id=comment_id,
            created_at=created,
            status=status,
            verdict=status,
            mode="enforce",
            fields={**record, **extra},
            spam=spam,
            toxicity=toxicity,
            reasons=reasons if reasons is not None else [],
            model_version=model_version,
            namespace=namespace,
        )
    )
    return comment_id
