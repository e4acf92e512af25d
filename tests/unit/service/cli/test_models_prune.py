"""`modq models prune`: dry run by default; keeps current, rollback history, adapter bases."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from classifier.promotion import promote, rollback
from classifier.registry import current_version
from service.cli.models import models_group


def add_model(root: Path, version: str, day: int, **card: object) -> None:
    directory = root / version
    directory.mkdir(parents=True)
    body = {"version": version, "created_at": f"2026-11-{day:02d}T10:00:00+00:00", **card}
    (directory / "card.json").write_text(json.dumps(body), encoding="utf-8")


def registry(tmp_path: Path) -> Path:
    """v1..v7 by age; v2 was promoted then replaced by v5 (adapted from v1)."""
    root = tmp_path / "models"
    for day, version in enumerate(["v1", "v2", "v3", "v4"], start=1):
        add_model(root, version, day)
    add_model(root, "v5", 5, adapter={"base_version": "v1"}, moderator_labels=500)
    add_model(root, "v6", 6)
    add_model(root, "v7", 7)
    promote("v2", root)
    promote("v5", root)
    return root


def prune(root: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(models_group, ["prune", "--models-dir", str(root), *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_dry_run_shows_the_plan_and_deletes_nothing(tmp_path: Path) -> None:
    root = registry(tmp_path)

    lines = prune(root, "--keep", "2")

    assert "keep    v5  (current)" in lines
    assert "keep    v2  (rollback history)" in lines
    assert "keep    v1  (base of v5)" in lines
    assert {"keep    v7  (newest)", "keep    v6  (newest)"} <= set(lines)
    assert [line for line in lines if line.startswith("delete")] == ["delete  v3", "delete  v4"]
    assert lines[-1].startswith("dry run: 2 model(s) would be deleted")
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [f"v{i}" for i in range(1, 8)]


def test_yes_deletes_and_rollback_still_works(tmp_path: Path) -> None:
    root = registry(tmp_path)

    lines = prune(root, "--keep", "0", "--yes")

    assert sorted(line for line in lines if line.startswith("deleted")) == [
        "deleted v3",
        "deleted v4",
        "deleted v6",
        "deleted v7",
    ]
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["v1", "v2", "v5"]
    assert rollback(root) == ("v5", "v2")
    assert current_version(root) == "v2"
    # rolled back: v5 (and its base v1) are no longer in use nor reachable by a rollback
    after = prune(root, "--keep", "0")
    assert [line for line in after if line.startswith("delete")] == ["delete  v1", "delete  v5"]
    assert prune(root, "--keep", "3")[-1] == "nothing to delete"
