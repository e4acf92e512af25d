"""What the README tells a new user to type works as written."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from classifier.model import Model
    from service.runtime.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`]+)`")
# `modq` followed by a subcommand, or `python -m`, not preceded by a path (.venv/bin/modq).
BARE_COMMAND = re.compile(r"(?<![\w/.-])(?:modq (?=[a-z])|python -m )")


def code_in_readme() -> list[str]:
    """Every fenced block and every inline code span of the README."""
    blocks = FENCE.findall(README)
    prose = FENCE.sub("", README)
    return blocks + INLINE.findall(prose)


def test_every_modq_and_python_command_is_run_from_the_venv() -> None:
    # `make run` installs into .venv without activating it: a bare `modq` is not found,
    # and a bare `python` lacks modq's dependencies.
    bare = [
        line.strip()
        for code in code_in_readme()
        for line in code.splitlines()
        if BARE_COMMAND.search(line)
    ]
    assert bare == []


def shipped_app(redis_url: str) -> tuple[Flask, Model]:
    """The app with the shipped model (no MODQ_* setting, no trained model), on ``redis_url``.

    A Redis with no site in it: the website endpoints ask it whether any site exists."""
    from classifier import load_model
    from service.http.app import create_app
    from service.moderation.model_holder import ModelHolder
    from service.settings import Settings

    model = load_model()
    return create_app(Settings(redis_url=redis_url), models=ModelHolder(model)), model


def example(request: str) -> re.Match[str]:
    """A curl example of the README (``request``: a regex of its start), its body and answer."""
    found = re.search(
        request + r""".*?-d '(?P<body>[^']+)'\n(?P<answer>(?:# [^\n]*\n)+)""", README, re.DOTALL
    )
    assert found, f"the README shows an example of {request} with its answer"
    return found


def shown_scores(answer: str) -> list[tuple[str, str]]:
    return re.findall(r'"spam": ([\d.]+), "toxicity": ([\d.]+)', answer)


def as_shown(scores: dict[str, float], shown: tuple[str, str]) -> tuple[str, str]:
    """The scores rounded to as many decimals as the README shows."""
    return tuple(  # type: ignore[return-value]
        f"{scores[head]:.{len(text.split('.')[1])}f}"
        for head, text in zip(("spam", "toxicity"), shown, strict=True)
    )


def test_the_score_example_is_what_the_shipped_model_answers(redis_server: RedisServer) -> None:
    found = example(r'curl -s "\$B/v1/score"')
    answer = found["answer"]
    app, model = shipped_app(redis_server.url)
    response = app.test_client().post(
        "/v1/score", data=found["body"], content_type="application/json"
    )
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert re.findall(r'"status": "(\w+)"', answer) == [item["status"] for item in items]
    shown = shown_scores(answer)
    assert shown == [as_shown(i["scores"], s) for i, s in zip(items, shown, strict=True)]
    assert len(shown) == len(items)
    assert f'"model_version": "{model.version}"' in answer
    thresholds = model.card["thresholds"]["spam"]
    assert f"review threshold, {thresholds['review']:.2f}" in answer
    assert f"reject threshold, {thresholds['reject']:.2f}" in answer


def test_the_first_comment_example_shows_the_shipped_models_scores(
    redis_server: RedisServer,
) -> None:
    found = example(r'curl -s -i "\$B/v1/comments"')
    answer = found["answer"]
    app, model = shipped_app(redis_server.url)
    comment = json.loads(found["body"])
    # /v1/score scores a comment as the intake does, without storing it.
    response = app.test_client().post("/v1/score", json={"comments": [comment]})
    [item] = response.get_json()["items"]
    assert re.findall(r'"status": "(\w+)"', answer) == [item["status"]]
    [shown] = shown_scores(answer)
    assert shown == as_shown(item["scores"], shown)
    assert f'"model_version": "{model.version}"' in answer
