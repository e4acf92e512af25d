"""The HTTP bench's per-process counters read /proc: CPU time and context switches."""

from __future__ import annotations

import os
import threading
import time

from bench.http import context_switches, cpu_seconds


def test_context_switches_count_every_thread() -> None:
    release = threading.Event()
    switched = threading.Event()

    def sleeper() -> None:
        time.sleep(0.01)  # gives up the CPU: one switch of this thread
        switched.set()
        release.wait()

    thread = threading.Thread(target=sleeper)
    before = context_switches([os.getpid()])
    thread.start()
    try:
        switched.wait(5)
        # the other thread's switch is counted while it lives, beside this one's waits
        assert context_switches([os.getpid()]) >= before + 2
    finally:
        release.set()
        thread.join()


def test_a_process_that_is_gone_counts_nothing() -> None:
    gone = 2**22 + 1  # above the kernel's largest pid: no such process
    assert context_switches([gone]) == 0
    assert cpu_seconds([gone]) == 0.0
