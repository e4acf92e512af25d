"""JSON logs, one line per event, each request's lines carrying its request id.

The request id comes from ``X-Request-ID`` when a proxy sends a sane one,
else it is made here; it is echoed in the response. E-mail addresses never
reach a log line: request bodies are not logged, and a filter masks any
address that slips into a message anyway.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request

from service.store import json_codec

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
access_log = logging.getLogger("modq.access")


class JSONFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_emails(record.getMessage()),
        }
        if has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = mask_emails(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = mask_emails(self.formatException(record.exc_info))
        return json_codec.dumps(entry, default=str)


def _new_request_id() -> str:
    # 128 random bits as 32 hex digits, like uuid4().hex without building a UUID.
    return os.urandom(16).hex()


def mask_emails(text: str) -> str:
    """The text with every e-mail address replaced."""
    return _EMAIL.sub("<email>", text) if "@" in text else text


def configure_logging(level: str) -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler.formatter, JSONFormatter):
            root.setLevel(level)
            return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root.handlers = [handler]
    root.setLevel(level)


def install_request_logging(app: Flask) -> None:
    """Give each request an id, echo it, and log one access line per request."""

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SANE_ID.match(incoming) else _new_request_id()
        g.log_started = time.perf_counter()

    @app.after_request
    def _access(response: Response) -> Response:
        request_id = g.get("request_id") or _new_request_id()
        response.headers[REQUEST_ID_HEADER] = request_id
        if not access_log.isEnabledFor(logging.INFO):
            return response
        started = g.get("log_started")
        extra: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
        }
        for key in ("comment_id", "decision"):
            if key in g:
                extra[key] = g.get(key)
        access_log.info("%s %s %s", request.method, request.path, response.status_code, extra=extra)
        return response
