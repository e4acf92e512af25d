"""Model registry: list, promote with history, roll back (classifier.promotion)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifier.promotion import history, list_models, promote, rollback
from classifier.registry import RegistryError, current_version, mark_current


def add_model(root: Path, version: str, created: str, **card: object) -> None:
    directory = root / version
    directory.mkdir(parents=True)
    body = {"version": version, "created_at": created, **card}
    (directory / "card.json").write_text(json.dumps(body), encoding="utf-8")


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    root = tmp_path / "models"
    add_model(
        root,
        "v1",
        "2026-11-01T10:00:00+00:00",
        data=[{"path": "a.csv", "rows": 100, "sha256": "x"}],
        metrics={"test": {"spam": {"all_spam_labeled": {"roc_auc": 0.91}}}},
    )
    add_model(
        root,
        "v2",
        "2026-11-02T10:00:00+00:00",
        moderator_labels=42,
        metrics={"test": {"toxicity": {"all": {"roc_auc": 0.83}}}},
    )
    add_model(root, "v3", "2026-11-03T10:00:00+00:00")
    return root


def test_promote_then_rollback_walks_back_through_history(registry: Path) -> None:
    assert promote("v1", registry) is None  # replaced the shipped default
    assert promote("v2", registry) == "v1"
    assert promote("v3", registry) == "v2"
    assert [entry[:2] for entry in history(registry)] == [("-", "v1"), ("v1", "v2"), ("v2", "v3")]

    assert rollback(registry) == ("v3", "v2")
    assert current_version(registry) == "v2"
    assert rollback(registry) == ("v2", "v1")
    assert rollback(registry) == ("v1", None)
    assert current_version(registry) is None  # the shipped default again
    with pytest.raises(RegistryError, match="nothing to roll back"):
        rollback(registry)


def test_promoting_an_unknown_version_changes_nothing(registry: Path) -> None:
    promote("v1", registry)
    with pytest.raises(RegistryError, match="no model 'v9'"):
        promote("v9", registry)
    assert current_version(registry) == "v1"
    assert len(history(registry)) == 1


def test_rollback_after_current_was_set_without_promote(registry: Path) -> None:
    promote("v1", registry)
    mark_current("v3", registry)  # e.g. edited by hand
    assert rollback(registry) == ("v3", "v1")
    assert current_version(registry) == "v1"


def test_list_shows_versions_oldest_first_with_card_facts(registry: Path) -> None:
    promote("v2", registry)
    infos = list_models(registry)
    assert [i.version for i in infos] == ["v1", "v2", "v3"]
    assert [i.current for i in infos] == [False, True, False]
    assert infos[0].data_rows == 100
    assert infos[0].key_metrics() == {"spam": 0.91}
    assert infos[1].key_metrics() == {"toxicity": 0.83}
    assert infos[1].moderator_labels == 42
