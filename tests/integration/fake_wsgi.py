"""The service with tests.fake_model.FakeModel: for running the intake tests without a trained model."""

from __future__ import annotations

from service.app import create_app
from service.model_holder import ModelHolder
from tests.fake_model import FakeModel

app = create_app(models=ModelHolder(FakeModel()))  # type: ignore[arg-type]
