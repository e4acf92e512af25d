"""gunicorn's gevent worker, with a graceful stop that does not wait on idle connections.

On SIGTERM gunicorn's gevent worker stops accepting and waits until every
connection's greenlet has finished. A keep-alive connection with no request on it
finishes only when ``keepalive`` runs out, so a stop took up to that long for
nothing (6.8 s against gthread's 1.8 s, with one idle connection open). Here the
connections that are waiting for their next request are shut for reading when
the stop begins: the wait ends as if the client had closed, and gunicorn closes
the connection quietly. Requests being served still finish (up to
``graceful_timeout``), and a request whose wait ended just before the stop is
still answered (only reading is shut; its greenlet is never interrupted).

The hook is ``timeout_ctx``: gunicorn's async worker wraps exactly the wait for
the next request in it (``base_async.AsyncWorker.handle``), so a greenlet inside
it has no request in hand. A test (tests/integration/test_worker_class.py) checks
that this still holds for the gunicorn version installed.

Each request's body is read in full, within ``MODQ_BODY_TIMEOUT_S``, before the
app sees the request, and at most ``MODQ_BODY_READERS`` requests wait for theirs
at once (service/runtime/body_gate.py): slow clients are cut off before they
fill the worker's connections.

A quick stop (SIGINT, SIGQUIT: Ctrl-C in a terminal) stops the same way. gunicorn's
gevent worker ends one with ``sys.exit(0)`` in a greenlet, which usually lands
while the interpreter is already shutting down and prints a ``SystemExit``
traceback per worker on the terminal, and it cut off the requests in hand.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventWorker as _GunicornGeventWorker

from service.runtime.body_gate import BodyGate
from service.settings import Settings


class GeventWorker(_GunicornGeventWorker):
    """``gevent`` worker whose graceful stop closes idle keep-alive connections."""

    def init_process(self) -> None:
        # connection greenlet -> its client socket, and those waiting for a request
        self._client_of: dict[Any, socket.socket] = {}
        self._awaiting_request: set[Any] = set()
        # connection greenlet -> the request it is serving (gunicorn's parser object)
        self._request_of: dict[Any, Any] = {}
        super().init_process()

    def run(self) -> None:
        # Wrapped here, after post_worker_init has seen the Flask app itself.
        settings = Settings.from_env()
        app: Any = getattr(self, "wsgi")  # noqa: B009 - set by gunicorn, untyped
        self.wsgi = BodyGate(
            app,
            timeout_s=settings.body_timeout_s,
            max_readers=settings.body_readers,
            max_bytes=settings.max_body_bytes,
            close_connection=self._close_after_answer,
        )
        super().run()

    def handle(self, listener: Any, client: socket.socket, addr: Any) -> None:
        current = gevent.getcurrent()
        self._client_of[current] = client
        try:
            super().handle(listener, client, addr)
        finally:
            del self._client_of[current]

    def handle_request(self, listener_name: Any, req: Any, sock: Any, addr: Any) -> Any:
        current = gevent.getcurrent()
        self._request_of[current] = req
        try:
            return super().handle_request(listener_name, req, sock, addr)
        finally:
            self._request_of.pop(current, None)

    def _close_after_answer(self) -> None:
        # Answered with "Connection: close", and gunicorn closes the connection after it.
        req = self._request_of.get(gevent.getcurrent())
        if req is not None:
            req.force_close()

    @contextlib.contextmanager
    def timeout_ctx(self) -> Iterator[None]:
        current = gevent.getcurrent()
        self._awaiting_request.add(current)
        try:
            with super().timeout_ctx():
                yield
        finally:
            self._awaiting_request.discard(current)

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        # A signal handler must not block: the closing happens in a greenlet of its own.
        gevent.spawn(self._close_idle_connections)

    def handle_quit(self, sig: int, frame: Any) -> None:
        # gunicorn calls its worker_int hook from here; a greenlet, as gunicorn does.
        gevent.spawn(self.cfg.worker_int, self)
        self.handle_exit(sig, frame)

    def _close_idle_connections(self) -> None:
        # Not killing the greenlets: gunicorn logs an exception in one as an error,
        # with a traceback, and writes a 500 to its idle client; and a kill that
        # lands just after a request arrived would cut that request off.
        for greenlet in list(self._awaiting_request):
            client = self._client_of.get(greenlet)
            if client is None:
                continue
            # Through a duplicate: gevent's own shutdown() fails the pending read
            # with EBADF, which gunicorn logs as a socket error with a traceback.
            # Shut at the OS level, the read returns b"" as for a client's close.
            # (OSError: the client has closed it already.)
            with (
                contextlib.suppress(OSError),
                socket.socket(fileno=os.dup(client.fileno())) as duplicate,
            ):
                duplicate.shutdown(socket.SHUT_RD)
