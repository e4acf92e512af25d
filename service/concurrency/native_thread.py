"""Long CPU work off a gevent worker's event loop.

Under gunicorn's gevent worker (``MODQ_WORKER_CLASS=gevent``) a worker's requests
are greenlets of one OS thread: a greenlet that computes for 100 ms holds up
every other request of its worker for those 100 ms. Work that long and that rare
(loading a newly promoted model) runs in a native thread of gevent's pool
instead, and the greenlets keep being served in between, as with OS threads (the
GIL changes hands every few milliseconds).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def on_gevent() -> bool:
    """Whether this process's threading module is gevent's (monkey-patched)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def run_beside_requests(func: Callable[..., T], *args: object) -> T:
    """``func(*args)``: in a native thread when on gevent, else a plain call.

    Its result and its exceptions come back as from the plain call.
    """
    if not on_gevent():
        return func(*args)
    import gevent

    result: T = gevent.get_hub().threadpool.apply(func, args)
    return result
