"""The application factory: wiring only, nothing happens at import time."""

from __future__ import annotations

import logging

import redis
from flask import Flask
from werkzeug.routing import BaseConverter

from classifier import hashing_is_compiled
from service.concurrency.batching import new_batcher
from service.domain import COMMENT_ID_REGEX
from service.http.context import EXTENSION_KEY, WRITE_BATCH_MAX, Services
from service.http.errors import register_error_handlers
from service.http.json_provider import FastJSONProvider
from service.http.logging import configure_logging, install_request_logging
from service.http.metrics import install_metrics
from service.http.rate_limits import install_rate_limits
from service.http.site_auth import install_site_keys
from service.moderation.model_holder import ModelHolder
from service.settings import Settings
from service.store.connections import create_redis_client


def create_app(
    settings: Settings | None = None,
    *,
    models: ModelHolder | None = None,
    redis_client: redis.Redis | None = None,
) -> Flask:
    """Build the Flask app from validated settings (default: from the environment)."""
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    if not hashing_is_compiled():
        logging.getLogger("modq").warning(
            "classifier/_hashing.c was not built (no C compiler at install?): features are "
            "hashed with numpy, the same scores about 0.1 ms slower per comment; install gcc "
            "and the Python headers, then reinstall modq"
        )
    if redis_client is None:
        if settings.redis_url is None:
            raise RuntimeError(
                "MODQ_REDIS_URL is not set: start the service with `modq serve` "
                "(which starts an embedded Redis) or point MODQ_REDIS_URL at a Redis"
            )
        redis_client = create_redis_client(
            settings.redis_url, settings.redis_timeout_ms, cluster=settings.redis_cluster
        )
    app = Flask(__name__)
    # One byte of slack: a streamed (chunked) body is read up to max+1 bytes, so
    # service.http.payload can tell "exactly at the limit" from "over it" and answer 413.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes + 1
    app.config["SECRET_KEY"] = settings.secret_key
    app.json = FastJSONProvider(app)
    app.json.sort_keys = False
    app.extensions[EXTENSION_KEY] = Services(
        settings=settings,
        redis=redis_client,
        models=models or ModelHolder.load(settings.model_path),
        scorer=new_batcher(settings.batch_max, settings.batch_wait_ms / 1000.0),
        # A write also waits (as long) for the requests of this worker still on their way
        # to it: fewer, fuller round trips and fsyncs (service/concurrency/batching.py).
        writes=new_batcher(WRITE_BATCH_MAX, settings.batch_wait_ms / 1000.0),
    )
    install_request_logging(app)
    install_metrics(app)
    register_error_handlers(app)
    app.url_map.converters["comment_id"] = CommentIdConverter
    install_site_keys(app)
    _register_blueprints(app)
    install_rate_limits(app, settings, redis_client)
    return app


class CommentIdConverter(BaseConverter):
    """A URL segment shaped like a comment id: ``/v1/queue/claim`` is then no comment's
    page, and its 405 names only the methods it has."""

    regex = COMMENT_ID_REGEX


def _register_blueprints(app: Flask) -> None:
    # One blueprint per resource; each module exposes `bp`. Add yours to the tuple.
    from service.http import ui
    from service.http.api import (
        akismet,
        comments,
        coral,
        decisions,
        health,
        meta,
        model,
        privacy,
        queue,
        score,
    )

    modules = (comments, score, model, health, meta, queue, decisions, privacy, ui, akismet, coral)
    for module in modules:
        app.register_blueprint(module.bp)
