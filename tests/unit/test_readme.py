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
