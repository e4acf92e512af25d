"""gunicorn's gevent worker, with a graceful stop that does not wait on idle connections.

On SIGTERM gunicorn's gevent worker stops accepting and waits until every
connection's greenlet has finished. A keep-alive connection with no request on it
finishes only when ``keepalive`` runs out, so a stop took up to that long for
nothing (6.8 s against gthread's 1.8 s, with one idle connection open). Here the
greenlets that are waiting for a connection's next request are closed at once
when the stop begins; requests being served still finish (up to
``graceful_timeout``), as before.

The hook is ``timeout_ctx``: gunicorn's async worker wraps exactly the wait for
the next request in it (``base_async.AsyncWorker.handle``), so a greenlet inside
it has no request in hand. A test (tests/integration/test_worker_class.py) checks
that this still holds for the gunicorn version installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import gevent
from gunicorn.workers.ggevent import GeventWorker as _GunicornGeventWorker


class GeventWorker(_GunicornGeventWorker):
    """``gevent`` worker whose graceful stop closes idle keep-alive connections."""

    def init_process(self) -> None:
        self._awaiting_request: set[gevent.Greenlet] = set()
        super().init_process()

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

    def _close_idle_connections(self) -> None:
        idle = list(self._awaiting_request)
        # GreenletExit ends the connection's handler; its server closes the socket.
        gevent.killall(idle, block=False)
