"""Buffered metric updates: applied in bulk, the same samples as one by one, none lost."""

from __future__ import annotations

import math
import threading
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from service import metrics

BUCKETS = (0.1, 0.5, 1.0, 2.0)


def _histograms() -> tuple[CollectorRegistry, Histogram, CollectorRegistry, Histogram]:
    direct_registry, buffered_registry = CollectorRegistry(), CollectorRegistry()
    direct = Histogram("h", "help", ["head"], buckets=BUCKETS, registry=direct_registry)
    buffered = Histogram("h", "help", ["head"], buckets=BUCKETS, registry=buffered_registry)
    return direct_registry, direct, buffered_registry, buffered


def _samples(registry: CollectorRegistry) -> list[str]:
    # The exposition without the creation timestamps, which differ between registries.
    return [
        line for line in generate_latest(registry).decode().splitlines() if "_created" not in line
    ]


def test_buffered_observations_give_the_samples_of_direct_ones() -> None:
    direct_registry, direct, buffered_registry, buffered = _histograms()
    # Values on the bounds, between them, under the first, over the last, and zero.
    values = [0.0, 0.1, 0.1000001, 0.3, 0.5, 0.99, 1.0, 1.5, 2.0, 2.5, 100.0, -1.0]
    for value in values:
        direct.labels("spam").observe(value)
        metrics.observe(buffered.labels("spam"), value)
    metrics.flush()
    assert _samples(buffered_registry) == _samples(direct_registry)


def test_a_nan_is_summed_into_no_bucket_as_observe_does() -> None:
    direct_registry, direct, buffered_registry, buffered = _histograms()
    for value in (0.3, math.nan):
        direct.labels("spam").observe(value)
        metrics.observe(buffered.labels("spam"), value)
    metrics.flush()
    assert _samples(buffered_registry) == _samples(direct_registry)


def test_counters_add_up_across_threads_and_concurrent_flushes() -> None:
    registry = CollectorRegistry()
    counter = Counter("c", "help", ["status"], registry=registry)
    child = counter.labels("pending")
    done = threading.Event()

    def flush_until_done() -> None:
        while not done.is_set():
            metrics.flush()

    def add(times: int) -> None:
        for _ in range(times):
            metrics.increment(child)

    flushers = [threading.Thread(target=flush_until_done) for _ in range(2)]
    adders = [threading.Thread(target=add, args=(5000,)) for _ in range(4)]
    for thread in flushers + adders:
        thread.start()
    for thread in adders:
        thread.join()
    done.set()
    for thread in flushers:
        thread.join()
    metrics.flush()
    assert registry.get_sample_value("c_total", {"status": "pending"}) == 20000


def test_updates_reach_the_metric_without_a_scrape() -> None:
    registry = CollectorRegistry()
    counter = Counter("late", "help", registry=registry)
    metrics.increment(counter, 3)
    deadline = time.monotonic() + 10 * metrics.FLUSH_INTERVAL_S + 5
    while registry.get_sample_value("late_total") != 3 and time.monotonic() < deadline:
        time.sleep(metrics.FLUSH_INTERVAL_S / 4)
    assert registry.get_sample_value("late_total") == 3


def test_a_flush_writes_each_bucket_and_the_sum_once() -> None:
    # The point of the buffer; it relies on prometheus-client's histogram internals, and
    # falls back to one observe() per value (correct, slower) if they change.
    _, _, _, buffered = _histograms()
    child = buffered.labels("toxicity")
    writes: list[float] = []

    class CountingValue:
        def __init__(self, value: object) -> None:
            self.value = value

        def inc(self, amount: float) -> None:
            writes.append(amount)
            self.value.inc(amount)  # type: ignore[attr-defined]

        def get(self) -> float:
            return float(self.value.get())  # type: ignore[attr-defined]

    child._sum = CountingValue(child._sum)
    child._buckets = [CountingValue(bucket) for bucket in child._buckets]
    for index in range(100):
        metrics.observe(child, (index % 10) / 4)  # 0 to 2.25: every bucket, and +Inf
    metrics.flush()
    assert len(writes) == len(BUCKETS) + 2  # the sum, four buckets and +Inf
    assert sorted(writes)[:-1] == [10, 10, 20, 20, 40]
