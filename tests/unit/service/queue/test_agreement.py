"""Agreement between the model's suggestion and the moderators, per window and per head."""

from __future__ import annotations

import redis

from service.queue.agreement import read_agreement
from service.store import keys

NOW = 1_800_000_000.0
HOUR = 3600.0


def add_label(
    client: redis.Redis, age_s: float, spam: str, toxic: str, scores: tuple[str, str]
) -> None:
    ms = int((NOW - age_s) * 1000)
    client.xadd(
        keys.labels(),
        {
            "text": "t",
            "spam": spam,
            "toxic": toxic,
            "spam_score": scores[0],
            "toxicity_score": scores[1],
        },
        id=f"{ms}-0",
    )


def test_agreement_per_window_and_head(redis_client: redis.Redis) -> None:
    # Stream entries go oldest first. Ten days ago: outside both windows.
    add_label(redis_client, 240 * HOUR, "1", "", ("0.90", "0.10"))
    # Three days ago: rejected as spam one it thought fine (disagree).
    add_label(redis_client, 72 * HOUR, "1", "", ("0.30", "0.10"))
    # Within the day: approved one it wanted to reject as spam (disagree) ...
    add_label(redis_client, 3 * HOUR, "0", "0", ("0.80", "0.10"))
    # ... rejected as toxic one it leaned to reject (agree) ...
    add_label(redis_client, 2 * HOUR, "", "1", ("0.05", "0.70"))
    # ... and approved a comment the model thought fine (agree).
    add_label(redis_client, HOUR, "0", "0", ("0.10", "0.20"))

    stats = read_agreement(redis_client, NOW)

    day, week = stats["last_day"], stats["last_week"]
    assert (day["decisions"], day["agreed"], day["rate"]) == (3, 2, 0.6667)
    assert (week["decisions"], week["agreed"]) == (4, 2)
    assert day["by_head"]["spam"] == {"decisions": 2, "agreed": 1, "rate": 0.5}
    assert day["by_head"]["toxicity"] == {"decisions": 3, "agreed": 3, "rate": 1.0}
    assert week["by_head"]["spam"]["decisions"] == 3


def test_no_decisions_has_no_rate(redis_client: redis.Redis) -> None:
    stats = read_agreement(redis_client, NOW)
    assert stats["last_day"] == {
        "decisions": 0,
        "agreed": 0,
        "rate": None,
        "by_head": {
            "spam": {"decisions": 0, "agreed": 0, "rate": None},
            "toxicity": {"decisions": 0, "agreed": 0, "rate": None},
        },
    }
