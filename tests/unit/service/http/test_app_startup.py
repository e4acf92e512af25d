"""What the app says when it starts."""

from __future__ import annotations

import logging

import pytest
import redis

from service.http import app as app_module
from service.moderation.model_holder import ModelHolder
from service.settings import Settings
from tests.fake_model import FakeModel


@pytest.mark.parametrize("compiled", [True, False])
def test_a_missing_compiled_hashing_is_announced(
    compiled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    warnings: list[str] = []
    monkeypatch.setattr(app_module, "hashing_is_compiled", lambda: compiled)
    monkeypatch.setattr(
        logging.getLogger("modq"), "warning", lambda message, *args: warnings.append(message)
    )
    client = redis.Redis(host="127.0.0.1", port=1)  # never connected: nothing is sent
    app_module.create_app(Settings(), models=ModelHolder(FakeModel()), redis_client=client)  # type: ignore[arg-type]
    assert any("_hashing.c was not built" in w for w in warnings) is not compiled
