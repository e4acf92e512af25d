"""A webhook receiver for tests: records every request, answers as the test says."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import redis
from standardwebhooks.webhooks import Webhook

from service.domain import CommentStatus, new_comment_id
from service.store.comments import CommentStore, NewComment


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        """The decoded JSON body."""
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


# (status, extra headers, seconds to wait before answering)
Answer = tuple[int, dict[str, str], float]


@dataclass
class Receiver:
    """A local HTTP server; ``answer`` decides each reply (default 204)."""

    answer: Callable[[Received], Answer] = lambda _: (204, {}, 0.0)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    port: int = 0

    @property
    def url(self) -> str:
        """Where to send webhooks."""
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self, port: int = 0) -> Receiver:
        """Listen (on ``port``, or a free one) in a background thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                got = Received(
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                    time.time(),
                )
                with receiver.lock:
                    receiver.received.append(got)
                status, headers, delay = receiver.answer(got)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused until start() again)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self, ok_only: bool = True) -> list[dict[str, Any]]:
        """The bodies received (by default only those answered 2xx are counted by the test)."""
        with self.lock:
            return [r.event for r in self.received]

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 20.0) -> None:
        """Wait until ``predicate(received)`` holds; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if predicate(list(self.received)):
                    return
            time.sleep(0.05)
        with self.lock:
            got = [(r.headers.get("webhook-id"), r.event.get("type")) for r in self.received]
        raise AssertionError(f"receiver did not get what was expected within {timeout}s: {got}")


def verify(received: Received, secret: str) -> dict[str, Any]:
    """Check the signature with the reference `standardwebhooks` library; the payload."""
    payload: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    return payload


def store_comment(
    client: redis.Redis, status: CommentStatus = CommentStatus.PENDING, **fields: str
) -> str:
    """Store a comment through the intake's own script (so comment.created is written)."""
    created = time.time()
    comment_id = new_comment_id(int(created * 1000))
    CommentStore(client).save(
        NewComment(
            id=comment_id,
            created_at=created,
            status=status,
            verdict=status,
            mode="enforce",
            fields={
                "name": "Pat",
                "email": "pat@example.com",
                "text": "A secret text",
                "thread": "/news/1",
                **fields,
            },
            spam=0.7,
            toxicity=0.1,
            reasons=[{"code": "spam_model", "message": "looks like spam"}],
            model_version="test",
        )
    )
    return comment_id
