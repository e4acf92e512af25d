"""Each worker's model reloader, kept on the Flask app and started after the fork."""

from __future__ import annotations

import logging

from flask import Flask

from service.http.context import services
from service.moderation.reload import ModelReloader

log = logging.getLogger(__name__)

EXTENSION_KEY = "modq.reloader"


def reloader_for(app: Flask) -> ModelReloader | None:
    """The app's reloader, made on first use (None: model pinned or reloading off)."""
    existing: ModelReloader | None = app.extensions.get(EXTENSION_KEY)
    if existing is not None:
        return existing
    ctx = services(app)
    if ctx.models.pinned or ctx.settings.model_reload_seconds <= 0:
        return None
    reloader = ModelReloader(
        ctx.models, ctx.settings.resolved_models_dir, ctx.settings.model_reload_seconds
    )
    app.extensions[EXTENSION_KEY] = reloader
    return reloader


def start_reloader(app: object) -> ModelReloader | None:
    """Start the reloader of a worker's app (gunicorn's ``post_worker_init`` calls this)."""
    flask_app = _find_flask(app)
    if flask_app is None:
        log.warning("model reload: %r is not a Flask app; reloading is off", app)
        return None
    reloader = reloader_for(flask_app)
    if reloader is not None:
        reloader.start()
    return reloader


def install_reloader(app: Flask) -> None:
    """Also start the reloader from the request path (servers without gunicorn's hook)."""

    def ensure_started() -> None:
        reloader = reloader_for(app)
        if reloader is not None and not reloader.running():
            reloader.start()

    app.before_request(ensure_started)


def _find_flask(app: object) -> Flask | None:
    # gunicorn's worker.wsgi is the Flask app, or a middleware wrapping it.
    for _ in range(5):
        if isinstance(app, Flask):
            return app
        app = getattr(app, "app", None) or getattr(app, "wsgi_app", None)
        if app is None:
            return None
    return None
