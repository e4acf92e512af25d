"""What the README tells a new user to type works as written."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`([^`]+)`")
# `modq` followed by a subcommand, not preceded by a path (.venv/bin/modq) or a name part.
BARE_COMMAND = re.compile(r"(?<![\w/.-])modq (?=[a-z])")


def code_in_readme() -> list[str]:
    """Every fenced block and every inline code span of the README."""
    blocks = FENCE.findall(README)
    prose = FENCE.sub("", README)
    return blocks + INLINE.findall(prose)


def test_every_modq_command_is_run_from_the_venv() -> None:
    # `make run` installs into .venv without activating it: a bare `modq` is not found.
    bare = [
        line.strip()
        for code in code_in_readme()
        for line in code.splitlines()
        if BARE_COMMAND.search(line)
    ]
    assert bare == []


def test_the_score_example_is_what_the_shipped_model_answers() -> None:
    from classifier import load_model
    from service.app import create_app
    from service.model_holder import ModelHolder
    from service.settings import Settings

    found = re.search(
        r"""curl -s "\$B/v1/score".*?-d '(?P<body>[^']+)'\n(?P<answer>(?:# [^\n]*\n)+)""",
        README,
        re.DOTALL,
    )
    assert found, "the README shows a /v1/score example with its answer"
    answer = found["answer"]
    model = load_model()  # the shipped model: no MODQ_* setting, no trained model
    app = create_app(Settings(redis_url="redis://127.0.0.1:1/0"), models=ModelHolder(model))
    response = app.test_client().post(
        "/v1/score", data=found["body"], content_type="application/json"
    )
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert re.findall(r'"status": "(\w+)"', answer) == [item["status"] for item in items]
    shown = [
        (float(s), float(t))
        for s, t in re.findall(r'"spam": ([\d.]+), "toxicity": ([\d.]+)', answer)
    ]
    scores = [(round(i["scores"]["spam"], 2), round(i["scores"]["toxicity"], 2)) for i in items]
    assert shown == scores
    assert f'"model_version": "{model.version}"' in answer
    thresholds = model.card["thresholds"]["spam"]
    assert f"review threshold, {thresholds['review']:.2f}" in answer
    assert f"reject threshold, {thresholds['reject']:.2f}" in answer
