"""gunicorn's access line is built only when its logger would write it."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config

from service.runtime.logger import AccessCheckingLogger


@pytest.fixture
def logger() -> AccessCheckingLogger:
    config = Config()
    config.set("logconfig_dict", {"version": 1, "disable_existing_loggers": False})
    return AccessCheckingLogger(config)


def _count_atoms(monkeypatch: pytest.MonkeyPatch, logger: AccessCheckingLogger) -> list[Any]:
    built: list[Any] = []
    monkeypatch.setattr(logger, "atoms", lambda *args: built.append(args) or {})
    return built


def test_no_atoms_when_access_is_below_its_level(
    logger: AccessCheckingLogger, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _count_atoms(monkeypatch, logger)
    logger.access_log.setLevel(logging.WARNING)
    logger.access(SimpleNamespace(), SimpleNamespace(), {}, 0.001)
    assert built == []


def test_atoms_built_when_access_lines_are_written(
    logger: AccessCheckingLogger, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _count_atoms(monkeypatch, logger)
    logger.access_log.setLevel(logging.INFO)
    logger.access(SimpleNamespace(), SimpleNamespace(), {}, 0.001)
    assert len(built) == 1
