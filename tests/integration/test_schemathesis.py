"""A bounded schemathesis run against a real gunicorn: every operation of /openapi.json.

The service's own document, the moderator token on the moderator endpoints, about a
minute. Every check schemathesis has, except two about how strict a schema is rather
than whether the service keeps it: ``positive_data_acceptance`` (the schema cannot say
"a cursor this listing gave out" or "an IP address" in every form the validators
refuse) and ``negative_data_rejection`` (a form may carry fields the schema does not
list, such as the honeypot; an empty query value means the default).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.runtime.redis_server import RedisServer
from tests.integration.conftest import HOLD_ALL, _serve
from tests.integration.gunicorn_support import GunicornServer

TOKEN = "alice-token-0123456789"
EXAMPLES = 25  # per operation and phase: about 1,200 requests
CONFIG = f"""
[[operations]]
include-path-regex = "^/v1/queue"
headers = {{ Authorization = "Bearer {TOKEN}" }}
"""


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[GunicornServer]:
    """gunicorn holding every comment, a moderator token, and a patient Redis timeout
    (a loaded test machine's fsync must not turn into 503s here)."""
    env = {**HOLD_ALL, "MODQ_MODERATOR_TOKENS": f"alice:{TOKEN}", "MODQ_REDIS_TIMEOUT_MS": "5000"}
    yield from _serve(tmp_path_factory, redis_server, env)


def _statuses(report_dir: Path) -> Counter[int]:
    seen: Counter[int] = Counter()
    for report in report_dir.glob("*.ndjson"):
        for line in report.read_text().splitlines():
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            for interaction in finished["recorder"].get("interactions", {}).values():
                if interaction.get("response"):
                    seen[interaction["response"]["status_code"]] += 1
    return seen


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    server: GunicornServer, tmp_path: Path
) -> None:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    reports = tmp_path / "reports"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(config),
            "run",
            server.url("/openapi.json"),
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance,negative_data_rejection",
            "--max-examples",
            str(EXAMPLES),
            "--seed",
            "1",
            "--continue-on-failure",
            "--request-timeout",
            "10",
            "--no-color",
            "--report",
            "ndjson",
            "--report-dir",
            str(reports),
        ],
        cwd=tmp_path,  # its cache directory goes there, not into the checkout
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    seen = _statuses(reports)
    print(f"\nschemathesis: {sum(seen.values())} cases, statuses {sorted(seen.items())}")
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert not [status for status in seen if status >= 500]
    assert sum(seen.values()) > 500
    assert '"status":500' not in server.log_text()
