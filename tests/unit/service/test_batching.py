"""Concurrent requests share model calls; each gets its own result or error."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from service.batching import Batcher


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
