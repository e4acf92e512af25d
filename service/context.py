"""The objects a request needs, built once per process and kept on the Flask app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis
from flask import Flask, current_app

from service.batching import BatchScorer
from service.model_holder import ModelHolder
from service.settings import Settings
from service.store import CommentStore

EXTENSION_KEY = "modq"


@dataclass
class Services:
    """Settings, the Redis client and the model in use, shared by every blueprint."""

    settings: Settings
    redis: redis.Redis
    models: ModelHolder
    # Coalesces the scoring of concurrent intake requests of this process.
    scorer: BatchScorer[Any] = field(default_factory=BatchScorer)
    store: CommentStore = field(init=False)

    def __post_init__(self) -> None:
        self.store = CommentStore(self.redis)


def services(app: Flask | None = None) -> Services:
    """The Services of the current (or given) app."""
    target = app if app is not None else current_app
    found: Services = target.extensions[EXTENSION_KEY]
    return found
