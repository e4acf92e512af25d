"""Concurrent requests of one process share one call: one model call, one Redis round trip.

``Batcher`` coalesces the one-item calls of concurrent threads (greenlets under
gunicorn's gevent worker) into calls of a function that takes many. Several
requests of one worker process can be in flight together: each puts its item in
a shared list, and the first thread free to do so (the leader) handles
everything waiting in one call, hands each request its result, and steps down;
items that arrived meanwhile form the next batch. ``max_batch=1`` calls straight through.
Under gevent, ``new_batcher`` gives ``GreenletBatcher``: the same, without locks.

Two uses:
- the store's writes (``service.store.comments``): a group commit, one pipeline and one
  fsync for the comments that arrived while the previous write was on its way
  (2.1-2.4 comments per write under the HTTP bench with gthread). Under gevent a write
  also waits, as a model call does (``MODQ_BATCH_WAIT_MS``), for the requests that
  announced themselves and have not submitted yet: 4.5-7.2 comments per write under
  the bench instead of 3.3-3.7, and ~7 % less CPU per request (workers plus Redis);
- the scoring of intake comments (``MODQ_BATCH_MAX``, ``MODQ_BATCH_WAIT_MS``): on by
  default under the gevent worker, off under gthread. What follows is about that use.

A model call spends half of a one-comment call on fixed overhead (numpy calls
whose cost does not grow with the batch): with the default model one comment costs
about 0.09 ms of CPU alone and about 0.04 ms inside a batch of 16 (b751da5; before
the hashing was compiled, 0.25-0.3 ms and 0.06 ms).

A request announces itself (``coming()``) once its body is read, before
validating (a client sending its body slowly is not waited for). The leader
waits, at most ``max_wait_s``, only for requests that have announced themselves
and not reached the batcher yet: a lone request never waits, and under load the
batches fill up.

With OS threads (gthread) the GIL runs one request's CPU work, from parsing to the
Redis call, without a break, so when a leader arrives the others are mostly waiting
on Redis or not yet started: calls averaged about 1.2 comments, and the hand-offs
between threads cost more than they saved (70-110 us of CPU per request under load,
experiments/SPEED.md). With gevent, hand-offs are cheap, and a worker's other requests run
only when this one yields; so the leader first yields until a pass brings nobody new
(``_let_ready_greenlets_join``). The requests already received then parse and join
the call: 2.6-3.5 comments per call under the bench; side by side with each request
scoring alone, x1.015-1.052 requests/s and x0.96-0.97 CPU per request.

No background thread: nothing to restart after gunicorn forks its workers.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from service.concurrency.native_thread import on_gevent

R = TypeVar("R")


class _Item(Generic[R]):
    __slots__ = ("done", "error", "item", "result")

    def __init__(self, item: Any) -> None:
        self.item = item
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


def _handle(batch: list[_Item[R]], handle_many: Callable[[Sequence[Any]], Sequence[R]]) -> None:
    """One call for the batch; each item gets its result, or every item the error."""
    try:
        results = handle_many([i.item for i in batch])
        for entry, result in zip(batch, results, strict=True):
            entry.result = result
    except Exception as error:  # every request of the batch sees the failure
        for entry in batch:
            entry.error = error


class Batcher(Generic[R]):
    """Coalesces concurrent one-item calls into batched calls of a function of many."""

    def __init__(self, max_batch: int = 32, max_wait_s: float = 0.0) -> None:
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        # An RLock, though never taken twice: a Condition asks its lock whether this thread
        # holds it on every wait and notify, and only an RLock can answer. With a plain
        # lock the Condition tries to take it to find out, and gevent's lock, finding it
        # taken, yields to the event loop first: a trip through the hub per call.
        lock = threading.RLock()
        self._finished = threading.Condition(lock)  # a batch is done: results, new leader
        self._arrived = threading.Condition(lock)  # an item joined the waiting list
        self._waiting: list[_Item[R]] = []
        self._leader = False
        self._coming = 0  # requests announced, not yet in _waiting
        self._local = threading.local()

    @contextlib.contextmanager
    def coming(self) -> Iterator[None]:
        """Announce a request that will (probably) submit an item soon."""
        if self.max_wait_s <= 0:  # nobody waits for announced requests: nothing to count
            yield
            return
        self._count_coming(1)
        self._local.announced = True
        try:
            yield
        finally:
            if getattr(self._local, "announced", False):  # it did not submit
                self._local.announced = False
                self._count_coming(-1)

    def _count_coming(self, change: int) -> None:
        with self._arrived:
            self._coming += change
            if change < 0:
                self._arrived.notify()  # a lingering leader stops waiting for this one

    def submit(self, item_in: Any, handle_many: Callable[[Sequence[Any]], Sequence[R]]) -> R:
        """``handle_many([item_in])[0]``, in one call with whatever other threads submit now."""
        if self.max_batch <= 1:  # no coalescing: no locks, no hand-offs
            return handle_many([item_in])[0]
        item: _Item[R] = _Item(item_in)
        announced = getattr(self._local, "announced", False)
        self._local.announced = False
        with self._arrived:
            self._waiting.append(item)
            if announced:
                self._coming -= 1
            if self.max_wait_s > 0:  # only a lingering leader waits on _arrived
                self._arrived.notify()
        while True:
            with self._finished:
                while not item.done and self._leader:
                    self._finished.wait()
                if item.done:
                    return self._outcome(item)
                self._leader = True
            # Leader: handle the oldest waiting items (ours may be in a later batch).
            self._lead_one_batch(handle_many)

    def _lead_one_batch(self, handle_many: Callable[[Sequence[Any]], Sequence[R]]) -> None:
        batch: list[_Item[R]] = []
        try:
            deadline = time.monotonic() + self.max_wait_s
            if self.max_wait_s > 0 and on_gevent():
                self._let_ready_greenlets_join(deadline)
            with self._arrived:
                if self.max_wait_s > 0:
                    while len(self._waiting) < self.max_batch and self._coming > 0:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            break
                        self._arrived.wait(remaining)
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
            _handle(batch, handle_many)
        finally:
            with self._finished:
                for entry in batch:
                    entry.done = True
                self._leader = False
                self._finished.notify_all()

    def _let_ready_greenlets_join(self, deadline: float) -> None:
        """Under gevent the worker's other requests run only when this one yields: the
        requests already received get to parse and join the batch, until a pass brings
        nobody new (or the batch is full, or the linger is over)."""
        import gevent

        while len(self._waiting) < self.max_batch and time.monotonic() < deadline:
            before = len(self._waiting)
            gevent.sleep(0)  # every other ready greenlet runs once, then this one again
            if len(self._waiting) == before:
                return  # nobody new: everyone ready has joined

    @staticmethod
    def _outcome(item: _Item[R]) -> R:
        if item.error is not None:
            raise item.error
        return item.result  # type: ignore[return-value]


class GreenletBatcher(Batcher[R]):
    """``Batcher`` for gunicorn's gevent worker: a worker's requests are greenlets of one
    OS thread, which switch only where they wait, so the shared state needs no lock
    and the waits are gevent events. Under gevent the thread version costs 10.6-12.5 us
    per item (a pure-Python RLock, a Condition and a new waiter lock per wait), this one
    4.1-5.5 us (16 greenlets, a handler that yields once; with and without a linger).
    Only greenlets of one thread may use it (``new_batcher`` picks it when the process
    is monkey-patched; gevent's native-thread pool never submits to a batcher)."""

    def __init__(self, max_batch: int = 32, max_wait_s: float = 0.0) -> None:
        super().__init__(max_batch, max_wait_s)
        from gevent.event import Event

        self._event = Event
        self._batch_done = Event()  # set when the running batch is done, then replaced
        self._arrival = Event()  # set when an item joins while a leader lingers

    def _count_coming(self, change: int) -> None:
        self._coming += change
        if change < 0:
            self._arrival.set()  # a lingering leader stops waiting for this one

    def submit(self, item_in: Any, handle_many: Callable[[Sequence[Any]], Sequence[R]]) -> R:
        """``handle_many([item_in])[0]``, in one call with whatever other greenlets submit now."""
        if self.max_batch <= 1:
            return handle_many([item_in])[0]
        item: _Item[R] = _Item(item_in)
        if getattr(self._local, "announced", False):
            self._local.announced = False
            self._coming -= 1
        self._waiting.append(item)
        self._arrival.set()
        while not item.done:
            if self._leader:
                self._batch_done.wait()  # a batch ends: ours was in it, or we may lead
                continue
            self._leader = True
            self._lead_one_batch(handle_many)
        return self._outcome(item)

    def _lead_one_batch(self, handle_many: Callable[[Sequence[Any]], Sequence[R]]) -> None:
        batch: list[_Item[R]] = []
        try:
            deadline = time.monotonic() + self.max_wait_s
            if self.max_wait_s > 0:
                self._let_ready_greenlets_join(deadline)
                while len(self._waiting) < self.max_batch and self._coming > 0:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._arrival.clear()
                    self._arrival.wait(remaining)
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            _handle(batch, handle_many)
        finally:
            for entry in batch:
                entry.done = True
            self._leader = False
            done, self._batch_done = self._batch_done, self._event()
            done.set()  # wakes every waiter: the done return, one of the rest leads


def new_batcher(max_batch: int = 32, max_wait_s: float = 0.0) -> Batcher[Any]:
    """A ``GreenletBatcher`` in a gevent-patched process, else a ``Batcher``."""
    if on_gevent():
        return GreenletBatcher(max_batch, max_wait_s)
    return Batcher(max_batch, max_wait_s)
