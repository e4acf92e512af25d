"""Classifier test fixtures: a tiny model trained on a CSV the tests own."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.data import load_labeled
from classifier.model import Model, save_model
from classifier.train import Recipe, fit_model, split_dataset

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "classifier"
TINY_CSV = FIXTURES / "tiny.csv"
# Small hashing space and few iterations: the tests check behaviour, not quality.
TINY_RECIPE = Recipe(n_features=2**14, max_iter=300)


@pytest.fixture(scope="session")
def tiny_model() -> Model:
    """A model fitted on tests/fixtures/classifier/tiny.csv (invented comments)."""
    rows, _ = load_labeled([TINY_CSV])
    splits = split_dataset(rows)
    return fit_model(splits.train, splits.val, recipe=TINY_RECIPE, progress=lambda _m: None)


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_model: Model, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model saved to a directory."""
    directory = tmp_path_factory.mktemp("models") / tiny_model.version
    save_model(tiny_model, directory, "# tiny test model\n")
    return directory
