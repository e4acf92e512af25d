"""`modq webhooks …` against a real private Redis."""

from __future__ import annotations

import json

import redis
from click.testing import CliRunner

from service.cli.main import build_cli


def _run(client: redis.Redis, *args: str) -> str:
    result = CliRunner().invoke(build_cli(), ["webhooks", *args], obj={"redis": client})
    assert result.exit_code == 0, result.output
    return result.output


def test_add_prints_id_and_secret_then_list_rotate_remove(redis_client: redis.Redis) -> None:
    added = json.loads(_run(redis_client, "add", "http://127.0.0.1:9/h", "--json"))
    assert added["id"].startswith("ep_") and added["secret"].startswith("whsec_")
    listed = json.loads(_run(redis_client, "list", "--json"))["items"]
    assert [e["id"] for e in listed] == [added["id"]]
    assert added["secret"] not in json.dumps(listed)
    rotated = json.loads(_run(redis_client, "rotate-secret", added["id"], "--json"))
    assert rotated["secret"] != added["secret"]
    assert json.loads(_run(redis_client, "list", "--json"))["items"][0]["secrets"] == 2
    _run(redis_client, "disable", added["id"])
    assert json.loads(_run(redis_client, "list", "--json"))["items"][0]["disabled"] is True
    report = json.loads(_run(redis_client, "deliveries", "--json"))
    assert report == {"attempts": [], "failed": [], "pending": 0, "replayed": []}
    _run(redis_client, "remove", added["id"])
    assert json.loads(_run(redis_client, "list", "--json"))["items"] == []


def test_events_are_checked(redis_client: redis.Redis) -> None:
    result = CliRunner().invoke(
        build_cli(),
        ["webhooks", "add", "http://127.0.0.1:9/h", "--events", "comment.deleted"],
        obj={"redis": redis_client},
    )
    assert result.exit_code == 2 and "unknown event" in result.output


def test_replaying_an_unknown_message_says_so(redis_client: redis.Redis) -> None:
    result = CliRunner().invoke(
        build_cli(),
        ["webhooks", "deliveries", "--replay", "ep_x/msg_y"],
        obj={"redis": redis_client},
    )
    assert result.exit_code == 1 and "not failed messages: ep_x/msg_y" in result.output
