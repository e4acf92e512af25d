"""The reloader: a changed CURRENT is loaded beside the old model and swapped in."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from service.moderation.model_holder import ModelHolder
from service.moderation.reload import ModelReloader


@dataclass
class StubModel:
    version: str
    directory: Path


def make_registry(root: Path, *versions: str) -> Path:
    for version in versions:
        (root / version).mkdir(parents=True)
        (root / version / "card.json").write_text(f'{{"version": "{version}"}}', encoding="utf-8")
    return root


def set_current(root: Path, version: str) -> None:
    tmp = root / ".CURRENT.tmp"
    tmp.write_text(version + "\n", encoding="utf-8")
    tmp.replace(root / "CURRENT")


def stub_loader(calls: list[Path]) -> Callable[[Path], StubModel]:
    def load(path: Path) -> StubModel:
        calls.append(path)
        if path.name == "broken":
            raise ValueError("cannot load")
        return StubModel(path.name, path)

    return load


def test_changed_current_is_loaded_and_swapped(tmp_path: Path) -> None:
    root = make_registry(tmp_path, "v1", "v2")
    set_current(root, "v1")
    holder = ModelHolder(StubModel("v1", root / "v1"))  # type: ignore[arg-type]
    calls: list[Path] = []
    reloader = ModelReloader(holder, root, 0.05, loader=stub_loader(calls))
    assert reloader.check() is False and calls == []
    set_current(root, "v2")
    assert reloader.check() is True
    assert holder.get().version == "v2" and calls == [root / "v2"]
    assert reloader.check() is False  # nothing changed since


def test_missing_current_means_the_shipped_default(tmp_path: Path) -> None:
    root = make_registry(tmp_path, "v1")
    set_current(root, "v1")
    holder = ModelHolder(StubModel("v1", root / "v1"))  # type: ignore[arg-type]
    calls: list[Path] = []
    reloader = ModelReloader(holder, root, 0.05, loader=stub_loader(calls))
    (root / "CURRENT").unlink()  # a rollback past the first promotion
    assert reloader.check() is True
    assert calls[-1].name == "default_model"


def test_failed_load_keeps_the_old_model_and_is_not_retried(tmp_path: Path) -> None:
    root = make_registry(tmp_path, "v1", "broken")
    set_current(root, "v1")
    holder = ModelHolder(StubModel("v1", root / "v1"))  # type: ignore[arg-type]
    calls: list[Path] = []
    reloader = ModelReloader(holder, root, 0.05, loader=stub_loader(calls))
    set_current(root, "broken")
    assert reloader.check() is False
    assert reloader.check() is False
    assert holder.get().version == "v1" and len(calls) == 1


def test_model_built_in_memory_is_kept_until_current_changes(tmp_path: Path) -> None:
    root = make_registry(tmp_path, "v1", "v2")
    set_current(root, "v1")

    class InMemory:
        version = "fake"

    holder = ModelHolder(InMemory())  # type: ignore[arg-type]
    reloader = ModelReloader(holder, root, 0.05, loader=stub_loader([]))
    assert reloader.check() is False and holder.get().version == "fake"
    set_current(root, "v2")
    assert reloader.check() is True and holder.get().version == "v2"


def test_thread_swaps_within_the_interval(tmp_path: Path) -> None:
    root = make_registry(tmp_path, "v1", "v2")
    set_current(root, "v1")
    holder = ModelHolder(StubModel("v1", root / "v1"))  # type: ignore[arg-type]
    reloader = ModelReloader(holder, root, 0.05, loader=stub_loader([]))
    reloader.start()
    try:
        assert reloader.running()
        set_current(root, "v2")
        deadline = time.monotonic() + 5
        while holder.get().version != "v2" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert holder.get().version == "v2"
    finally:
        reloader.stop()
    assert not reloader.running()
