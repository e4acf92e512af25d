"""The service scoring with tests.fake_model.FakeModel (no trained model needed)."""

from __future__ import annotations

from service.app import create_app
from service.model_holder import ModelHolder
from tests.fake_model import FakeModel

app = create_app(models=ModelHolder(FakeModel()))  # type: ignore[arg-type]
