"""Long work leaves a gevent worker's event loop free; without gevent it is a plain call."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from service.concurrency.native_thread import on_gevent, run_beside_requests


def test_without_gevent_it_is_a_plain_call() -> None:
    assert not on_gevent()  # the test process is not monkey-patched
    assert run_beside_requests(threading.get_native_id) == threading.get_native_id()
    with pytest.raises(ZeroDivisionError):
        run_beside_requests(lambda: 1 / 0)


def test_on_gevent_greenlets_keep_running_while_the_work_computes() -> None:
    # A process of its own: monkey-patching is for the whole process, for good.
    script = textwrap.dedent(
        """
        from gevent import monkey
        monkey.patch_all()
        import threading, time
        import gevent
        from service.concurrency.native_thread import on_gevent, run_beside_requests

        ticks = []
        def ticker():
            while True:
                ticks.append(time.monotonic())
                gevent.sleep(0.01)

        def compute():
            deadline = time.monotonic() + 0.4
            while time.monotonic() < deadline:  # pure Python: holds the GIL in turns
                pass
            return threading.get_native_id()

        assert on_gevent()
        background = gevent.spawn(ticker)
        gevent.sleep(0)
        before = len(ticks)
        worker_id = run_beside_requests(compute)
        assert worker_id != threading.get_native_id(), "not a native thread"
        assert len(ticks) - before >= 10, f"the event loop stalled: {len(ticks) - before} ticks"
        try:
            run_beside_requests(lambda: 1 / 0)
        except ZeroDivisionError:
            print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
