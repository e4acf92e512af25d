"""What the site-key check costs the intake: CPU per request, in one thread, four ways.

``before``: the check replaced by nothing (the intake as it was before sites);
``open``: no site exists; ``key``: a site exists and every request sends its key,
both with the worker's one-second memory of the registry (``service.sites.cache``)
as served; ``key_uncached``: the same with that memory off (one ``HGETALL`` per
request). Same app, same private Redis, same comments; the modes take turns round
after round (order flipped each round), and each one's best round is kept, as in
``bench.inprocess``. It also times the checks alone (``check_us``: thread CPU per
call, best of 7 runs of 2,000): ``SiteRegistry.any`` and ``authenticate`` (a Redis
round trip each) and the worker's remembered ``authenticate``.

    python -m bench.site_keys [ROUNDS]
"""

from __future__ import annotations

import json
import sys
from typing import Any

from bench import inprocess


def measure(rounds: int = 9) -> dict[str, Any]:
    """Best-of-rounds CPU ms per intake request for each mode, and the ratios to ``before``."""
    import redis

    from service.http import site_auth
    from service.http.context import services
    from service.sites import SiteRegistry
    from service.sites.cache import CachedRegistry

    real = site_auth.authenticate_request
    results: dict[str, list[float]] = {"before": [], "open": [], "key": [], "key_uncached": []}
    with inprocess._served_apps() as (intake, _ceiling):
        client: redis.Redis = services(intake).redis  # type: ignore[arg-type]
        requests = inprocess._requests(inprocess.WARMUP + inprocess.REQUESTS)
        for environ, body in requests[: inprocess.WARMUP]:
            inprocess._call(intake, environ, body)
        timed = requests[inprocess.WARMUP :]
        try:
            for number in range(rounds):
                modes = list(results)
                for mode in modes if number % 2 == 0 else modes[::-1]:
                    registry = SiteRegistry(client)
                    for site in registry.list():
                        registry.remove(site.name)
                    batch = timed
                    site_auth.authenticate_request = real
                    ttl = 0.0 if mode == "key_uncached" else 1.0
                    intake.extensions[site_auth.CACHE_EXTENSION] = CachedRegistry(registry, ttl)  # type: ignore[attr-defined]
                    if mode == "before":
                        site_auth.authenticate_request = lambda: None
                    elif mode.startswith("key"):
                        auth = f"Bearer {registry.add('bench')}"
                        batch = [(dict(e, HTTP_AUTHORIZATION=auth), b) for e, b in timed]
                    status = inprocess._call(intake, *batch[0])
                    if status != "201 CREATED":
                        raise RuntimeError(f"{mode}: the intake answered {status}")
                    results[mode].append(inprocess._cpu_ms_per_request(intake, batch))
        finally:
            site_auth.authenticate_request = real
        check_us = _check_costs(client)
    best = {mode: round(min(values), 4) for mode, values in results.items()}
    return {
        "check_us": check_us,
        "cpu_ms_per_request": best,
        "open_vs_before": round(best["open"] / best["before"], 4),
        "key_vs_before": round(best["key"] / best["before"], 4),
        "key_uncached_vs_before": round(best["key_uncached"] / best["before"], 4),
        "rounds": rounds,
        "requests": inprocess.REQUESTS,
        "all_rounds": {mode: [round(x, 4) for x in v] for mode, v in results.items()},
    }


def _check_costs(client: Any) -> dict[str, float]:
    """Thread CPU microseconds per call of each check, best of 7 runs of 2,000 calls."""
    import time

    from service.sites import SiteRegistry
    from service.sites.cache import CachedRegistry

    registry = SiteRegistry(client)
    key = registry.add("timing")
    cached = CachedRegistry(registry)

    def per_call(check: Any) -> float:
        best = float("inf")
        for _ in range(7):
            started = time.thread_time()
            for _ in range(2000):
                check()
            best = min(best, (time.thread_time() - started) / 2000 * 1e6)
        return round(best, 1)

    try:
        return {
            "any": per_call(registry.any),
            "authenticate": per_call(lambda: registry.authenticate(key)),
            "authenticate_remembered": per_call(lambda: cached.authenticate(key)),
        }
    finally:
        registry.remove("timing")


def main(argv: list[str]) -> int:
    """``python -m bench.site_keys [ROUNDS]``."""
    rounds = int(argv[0]) if argv and argv[0].isdigit() else 9
    summary = measure(rounds)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
