"""Coral's external moderation phase against real gunicorn and the default model: latency.

Coral waits 200 ms by default, then goes on without an answer. This serves modq on
127.0.0.1 with a site that has a Coral secret and sends N signed requests one after
the other, as Coral's ``phases/external.ts`` builds them; it prints p50, p99 and max.

    python -m bench.coral_latency [N]      # default 400, the first 50 not counted
"""

from __future__ import annotations

import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import redis
import requests

from service.runtime.redis_server import RedisServer
from service.sites import SiteRegistry
from tests.integration.gunicorn_support import GunicornServer

SECRET = "empsec_" + "ab" * 34
WARM_UP = 50
TEXTS = (
    "Thanks for the careful reporting on the council vote.",
    "Buy cheap pills at http://pills.example now!!!",
    "You are an idiot and so is the author.",
    "I disagree with the second point: the numbers from 2019 say otherwise.",
)


def measure(count: int) -> dict[str, float]:
    """Latency of ``count`` sequential requests (ms), after a warm-up."""
    with (
        tempfile.TemporaryDirectory(prefix="modq-coral-") as tmp,
        RedisServer(Path(tmp) / "redis") as redis_server,
    ):
        client = redis.Redis.from_url(redis_server.url, decode_responses=True)
        SiteRegistry(client).add("news", coral_secret=SECRET)
        server = GunicornServer(Path(tmp) / "gunicorn", redis_server.url, {})
        server.start()
        session = requests.Session()
        times: list[float] = []
        try:
            for i in range(count + WARM_UP):
                request = {
                    "action": "NEW",
                    "comment": {"body": f"<p>{TEXTS[i % len(TEXTS)]} #{i}</p>", "parentID": None},
                    "author": {"id": f"user-{i}", "role": "COMMENTER"},
                    "story": {"id": "story-1", "url": "https://news.example/story-1"},
                    "site": {"id": "site-1"},
                    "tenantID": "tenant-1",
                    "tenantDomain": "news.example",
                }
                body = json.dumps(request, indent=2).encode()  # JSON.stringify(request, null, 2)
                signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                started = time.perf_counter()
                answer = session.post(
                    server.url("/v1/integrations/coral?site=news"),
                    data=body,
                    headers={
                        "Content-Type": "application/json",
                        "X-Coral-Signature": f"sha256={signature}",
                    },
                    timeout=10,
                )
                if i >= WARM_UP:
                    times.append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
        finally:
            server.stop()
            client.close()
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[max(0, int(len(times) * 0.99) - 1)], 1),
        "max_ms": round(times[-1], 1),
    }


def main(argv: list[str]) -> int:
    """``python -m bench.coral_latency [N]``."""
    count = int(argv[0]) if argv else 400
    result = measure(count)
    print(
        f"Coral phase, {count} sequential requests after {WARM_UP} to warm up: "
        f"p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
