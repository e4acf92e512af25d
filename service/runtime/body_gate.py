"""Request bodies read in full, in bounded time, before the app sees the request.

gunicorn hands a request to the app as soon as its headers have arrived; the app
then reads the body from the socket, and nothing limits how long that takes. A
client that sends headers and one byte of its body, then nothing, holds one of
the worker's connections for as long as it likes: some 2,000 of them took the
service down (each gevent worker runs at most ``worker_connections``).

``BodyGate`` wraps the WSGI app inside a gevent worker:

- a body must arrive in full within ``timeout_s`` (``MODQ_BODY_TIMEOUT_S``);
  a slower one is answered 408 and the connection closed;
- at most ``max_readers`` requests of a worker wait for their body at once
  (``MODQ_BODY_READERS``): the one waiting longest is cut off (408) when another
  starts to wait. A body that came with its headers (every ordinary client's
  comment: one packet) is read without waiting, so it never counts against the
  bound, and slow clients cannot crowd ordinary ones out;
- the app gets the body from memory: one that came with its headers from gunicorn's
  buffer as it is (no timer, no copy), any other once read here (bodies are at most
  ``MODQ_MAX_BODY_BYTES``; of a chunked body over it, one byte more, enough to answer 413).

A body announced larger than ``max_bytes`` is not read here: the app answers 413
from its Content-Length alone.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import gevent
import orjson

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

READ_SIZE = 64 * 1024


class BodyTimeoutError(Exception):
    """The body did not arrive in time (raised in the reading greenlet by its timer)."""


class BodyGate:
    """WSGI middleware (gevent only): read each body within a deadline, bounded per worker."""

    def __init__(
        self,
        app: WSGIApp,
        *,
        timeout_s: float,
        max_readers: int,
        max_bytes: int,
        close_connection: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        # The server's way to close the current request's connection after the answer
        self.close_connection = close_connection
        self.timeout_s = timeout_s
        self.max_readers = max_readers
        self.max_bytes = max_bytes
        # greenlet -> its client socket, oldest reader first
        self._readers: OrderedDict[Any, socket.socket | None] = OrderedDict()
        self._cut_off: set[Any] = set()
        self.timed_out = 0
        self.cut_off = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Read the body (if any) into memory, then call the app."""
        length = _content_length(environ)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if (length is None or length == 0 or length > self.max_bytes) and not chunked:
            return self.app(environ, start_response)
        stream = environ["wsgi.input"]
        if length is not None and not chunked and _received(stream) >= length:
            # Came with its headers (every ordinary client's comment: one packet): reading
            # it cannot wait, so it needs neither a timer nor a place among the readers,
            # and the app reads it from gunicorn's buffer.
            return self.app(environ, start_response)
        wanted = length if length is not None else self.max_bytes + 1
        current = gevent.getcurrent()
        self._enter(current, environ.get("gunicorn.socket"))
        try:
            with gevent.Timeout(self.timeout_s, BodyTimeoutError):
                body = _read_up_to(stream, wanted)
        except BodyTimeoutError:
            self.timed_out += 1
            return self._refuse(environ, start_response, "timed_out")
        finally:
            self._readers.pop(current, None)
            cut = current in self._cut_off
            self._cut_off.discard(current)
        if cut or (length is not None and len(body) < length):
            # Cut off for a newer reader, or the client closed before its body was complete.
            return self._refuse(environ, start_response, "cut_off" if cut else "incomplete")
        # A chunked body over the limit: the app sees enough of it to answer 413; the
        # rest is never read, so no request can follow on this connection.
        if length is None and len(body) == wanted and self.close_connection is not None:
            self.close_connection()
        environ["wsgi.input"] = io.BytesIO(body)
        return self.app(environ, start_response)

    def _enter(self, current: Any, client: socket.socket | None) -> None:
        # Only readers still waiting count; a cut-off one leaves when its read returns.
        while len(self._readers) >= self.max_readers:
            oldest, sock = self._readers.popitem(last=False)
            self._cut_off.add(oldest)
            self.cut_off += 1
            _shut_reading(sock)
        self._readers[current] = client

    def _refuse(
        self, environ: dict[str, Any], start_response: StartResponse, why: str
    ) -> Iterable[bytes]:
        # The rest of the body is never read: no further request can follow on this
        # connection, so reading is shut and gunicorn closes it after this answer.
        _shut_reading(environ.get("gunicorn.socket"))
        if self.close_connection is not None:
            self.close_connection()
        message = {
            "timed_out": f"The request body did not arrive within {self.timeout_s:g} s.",
            "cut_off": "Too many clients are sending their request bodies slowly; "
            "this one was cut off.",
            "incomplete": "The connection closed before the request body was complete.",
        }[why]
        body = orjson.dumps({"error": {"code": "body_timeout", "message": message}})
        start_response(
            "408 Request Timeout",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]


def _content_length(environ: dict[str, Any]) -> int | None:
    raw = environ.get("CONTENT_LENGTH") or ""
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def _received(stream: Any) -> int:
    """Body bytes gunicorn has received and not yet handed out; 0 when it cannot tell.

    gunicorn's ``wsgi.input`` (``http.body.Body``) reads through a reader whose
    ``unreader.buf`` holds what came from the socket past the headers. Another server,
    or another gunicorn, may not have these: then the body goes the timed way.
    """
    try:
        if stream.buf.tell():
            return 0  # part of the body was read already: not the request's start
        # gunicorn's Unreader seeks to the end itself before every read and write.
        return int(stream.reader.unreader.buf.seek(0, io.SEEK_END))
    except (AttributeError, TypeError, ValueError):
        return 0


def _read_up_to(stream: Any, wanted: int) -> bytes:
    parts: list[bytes] = []
    got = 0
    while got < wanted:
        chunk = stream.read(min(READ_SIZE, wanted - got))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _shut_reading(client: socket.socket | None) -> None:
    """Shut a client socket for reading: a read waiting on it returns at once (b"")."""
    if client is None:
        return
    # Through a duplicate, as in service/gunicorn_worker.py: gevent's own shutdown()
    # would fail the pending read with EBADF instead of ending it like a close.
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(client.fileno())) as dup:
        dup.shutdown(socket.SHUT_RD)
