"""Concurrent requests share model calls; each gets its own result or error."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from service.concurrency.batching import Batcher, new_batcher


def test_lone_call_is_scored_alone() -> None:
    calls: list[int] = []

    def many(batch: Sequence[Mapping[str, Any]]) -> list[int]:
        calls.append(len(batch))
        return [c["n"] * 2 for c in batch]

    assert Batcher[int](max_wait_s=1.0).submit({"n": 3}, many) == 6
    assert calls == [1]  # nobody announced: no waiting for company


def test_concurrent_calls_share_batches_and_get_their_own_results() -> None:
    scorer: Batcher[int] = Batcher(max_batch=4, max_wait_s=0.05)
    sizes: list[int] = []
    gate = threading.Barrier(12)

    def many(batch: Sequence[Mapping[str, Any]]) -> list[int]:
        sizes.append(len(batch))
        if any(c["n"] == 5 for c in batch):
            raise ValueError("boom")
        return [c["n"] * 2 for c in batch]

    results: dict[int, Any] = {}

    def request(n: int) -> None:
        with scorer.coming():
            gate.wait()
            try:
                results[n] = scorer.submit({"n": n}, many)
            except ValueError as error:
                results[n] = error

    threads = [threading.Thread(target=request, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sum(sizes) == 12 and max(sizes) <= 4 and len(sizes) < 12
    failed = {n for n, r in results.items() if isinstance(r, ValueError)}
    assert 5 in failed and len(failed) <= 4  # only the batch holding 5 fails
    assert all(results[n] == n * 2 for n in range(12) if n not in failed)


def test_max_batch_one_calls_straight_through() -> None:
    batcher: Batcher[int] = Batcher(max_batch=1)
    sizes: list[int] = []
    gate = threading.Barrier(6)

    def many(batch: Sequence[Mapping[str, Any]]) -> list[int]:
        sizes.append(len(batch))
        return [c["n"] + 1 for c in batch]

    results: dict[int, int] = {}

    def request(n: int) -> None:
        gate.wait()
        results[n] = batcher.submit({"n": n}, many)

    threads = [threading.Thread(target=request, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == {n: n + 1 for n in range(6)}
    assert sizes == [1] * 6


@pytest.mark.parametrize("kind", ["Batcher", "GreenletBatcher"])
def test_under_gevent_the_leader_lets_the_ready_requests_join(kind: str) -> None:
    # A process of its own: monkey-patching is for the whole process, for good. Eight
    # greenlets start at once; none yields before it submits (as a request parses and
    # validates without I/O), so only the leader's yielding lets the others join.
    script = textwrap.dedent(
        """
        from gevent import monkey
        monkey.patch_all()
        import time
        import gevent
        from service.concurrency.batching import Batcher, GreenletBatcher

        Batcher = KIND
        scorer = Batcher(max_batch=16, max_wait_s=0.05)
        sizes = []

        def many(batch):
            sizes.append(len(batch))
            return [n * 2 for n in batch]

        def request(n):
            with scorer.coming():
                return scorer.submit(n, many)

        jobs = [gevent.spawn(request, n) for n in range(8)]
        gevent.joinall(jobs, timeout=10)
        assert [job.value for job in jobs] == [n * 2 for n in range(8)], jobs
        assert sizes == [8], sizes
        lone = Batcher(max_batch=16, max_wait_s=5.0)
        started = time.monotonic()
        assert lone.submit(3, many) == 6  # nobody else is ready: no wait
        assert time.monotonic() - started < 1.0
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script.replace("KIND", kind)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_greenlet_batcher_under_load() -> None:
    # gevent's worker gets GreenletBatcher (no locks: greenlets switch only where they
    # wait). Many greenlets, a handler that waits on I/O as Redis does, one failing
    # item: every request gets its own answer, batches stay within max_batch, an
    # announced request that is still parsing is waited for.
    script = textwrap.dedent(
        """
        from gevent import monkey
        monkey.patch_all()
        import time
        import gevent
        from service.concurrency.batching import Batcher, GreenletBatcher, new_batcher

        batcher = new_batcher(max_batch=4, max_wait_s=0.05)
        assert type(batcher) is GreenletBatcher
        sizes = []

        def many(batch):
            gevent.sleep(0.001)  # an I/O wait: other greenlets run and queue up
            sizes.append(len(batch))
            if 13 in batch:
                raise ValueError("boom")
            return [n * 2 for n in batch]

        def request(n):
            with batcher.coming():
                gevent.sleep(0.0001 * (n % 3))  # parsing takes a while
                try:
                    return batcher.submit(n, many)
                except ValueError as error:
                    return error

        jobs = [gevent.spawn(request, n) for n in range(40)]
        gevent.joinall(jobs, timeout=20)
        values = [job.value for job in jobs]
        failed = [n for n, v in enumerate(values) if isinstance(v, ValueError)]
        assert 13 in failed and len(failed) <= 4, failed
        assert all(values[n] == n * 2 for n in range(40) if n not in failed), values
        assert sum(sizes) == 40 and max(sizes) <= 4 and len(sizes) < 40, sizes

        sizes.clear()
        def early():
            return batcher.submit(1, many)
        def late():
            with batcher.coming():
                gevent.sleep(0.01)  # announced, still parsing when the leader starts
                return batcher.submit(2, many)
        pair = [gevent.spawn(late), gevent.spawn(early)]
        gevent.joinall(pair, timeout=10)
        assert [job.value for job in pair] == [4, 2] and sizes == [2], sizes

        # A request that announced itself and then fails (a 422 before it reaches the
        # batcher) withdraws: the leader does not wait out its linger for it.
        patient = new_batcher(max_batch=4, max_wait_s=5.0)
        def failing():
            with patient.coming():
                gevent.sleep(0.005)
                raise LookupError("invalid comment")
        def waiting():
            with patient.coming():
                return patient.submit(3, many)
        started = time.monotonic()
        pair = [gevent.spawn(failing), gevent.spawn(waiting)]
        gevent.joinall(pair, timeout=10)
        assert pair[1].value == 6 and time.monotonic() - started < 1.0
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_without_gevent_new_batcher_is_the_thread_batcher() -> None:
    assert type(new_batcher(max_batch=4)) is Batcher


def test_an_announced_request_that_never_submits_does_not_hold_the_leader() -> None:
    # A request announces itself, then fails validation (422) and never submits: the
    # leader waiting for company must stop waiting when it withdraws, not at max_wait_s.
    batcher: Batcher[int] = Batcher(max_batch=4, max_wait_s=5.0)
    announced, withdraw = threading.Event(), threading.Event()

    def failing() -> None:
        with contextlib.suppress(LookupError), batcher.coming():
            announced.set()
            withdraw.wait(5)
            raise LookupError("invalid comment")

    other = threading.Thread(target=failing)
    other.start()
    announced.wait(5)
    threading.Timer(0.05, withdraw.set).start()
    started = time.monotonic()
    assert batcher.submit(3, lambda batch: [n * 2 for n in batch]) == 6
    other.join(5)
    assert time.monotonic() - started < 1.0
