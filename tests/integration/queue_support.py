"""Helpers for the queue tests: pending comments stored the way the intake service stores them."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from service.domain import CommentStatus, new_comment_id
from service.store import keys


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
    namespace: str = keys.DEFAULT_NAMESPACE,
) -> str:
    """Store one comment hash (fields as in service/store/comments.py); queue it if pending."""
    created = time.time() if created_at is None else created_at
    comment_id = new_comment_id(int(created * 1000))
    record = {
        "id": comment_id,
        "status": status.value,
        "verdict": status.value,
        "mode": "enforce",
        "name": name,
        "email": email,
        "text": text,
        "url": url,
        "thread": thread,
        "external_id": external_id,
        "spam": repr(spam),
        "toxicity": repr(toxicity),
        "reasons": json.dumps(reasons if reasons is not None else []),
        "model_version": "test-model",
        "created_at": f"{created:.6f}",
    }
    pipe = client.pipeline(transaction=True)
    pipe.hset(keys.comment(comment_id, namespace), mapping={k: v for k, v in record.items() if v})
    if status is CommentStatus.PENDING:
        pipe.zadd(keys.queue_pending(namespace), {comment_id: created})
    pipe.execute()
    return comment_id
