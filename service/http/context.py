"""The objects a request needs, built once per process and kept on the Flask app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis
from flask import Flask, current_app

from service.concurrency.batching import Batcher, new_batcher
from service.moderation.model_holder import ModelHolder
from service.settings import Settings
from service.store.comments import CommentStore

EXTENSION_KEY = "modq"
WRITE_BATCH_MAX = 32  # comments per Redis pipeline; more would only delay the first


@dataclass
class Services:
    """Settings, the Redis client and the model in use, shared by every blueprint."""

    settings: Settings
    redis: redis.Redis
    models: ModelHolder
    # Coalesces the scoring of concurrent intake requests (create_app: only if MODQ_BATCH_MAX > 1).
    scorer: Batcher[Any] = field(default_factory=Batcher)
    # Coalesces the comment writes of concurrent intake requests (a group commit;
    # create_app gives it MODQ_BATCH_WAIT_MS to wait for requests on their way).
    writes: Batcher[Any] = field(default_factory=lambda: new_batcher(max_batch=WRITE_BATCH_MAX))
    store: CommentStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = CommentStore(self.redis, self.writes)


def services(app: Flask | None = None) -> Services:
    """The Services of the current (or given) app."""
    target = app if app is not None else current_app
    found: Services = target.extensions[EXTENSION_KEY]
    return found
