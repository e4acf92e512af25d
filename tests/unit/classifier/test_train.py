"""Training: group splits, weights, thresholds, and a tiny end-to-end run."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from classifier import load_model
from classifier.data import LabeledComment, load_labeled
from classifier.train import (
    CONVERSATION,
    Recipe,
    choose_thresholds,
    expected_calibration_error,
    fit_classifier,
    head_rows,
    naive_bayes_scale,
    sample_weights,
    split_dataset,
    train,
)

from .conftest import TINY_CSV, TINY_RECIPE


def test_whole_videos_stay_on_one_side_of_the_split() -> None:
    rows, _ = load_labeled([TINY_CSV])
    splits = split_dataset(rows, seed=3)
    sides: dict[str, set[str]] = {}
    for name, part in (("train", splits.train), ("val", splits.val), ("test", splits.test)):
        for row in part:
            if row.extra.get("video"):
                sides.setdefault(row.extra["video"], set()).add(name)
    assert all(len(s) == 1 for s in sides.values())
    assert {"train", "val", "test"} == set().union(*sides.values())


def test_split_is_fixed_by_the_seed() -> None:
    rows, _ = load_labeled([TINY_CSV])
    first = [r.id for r in split_dataset(rows, seed=5).test]
    again = [r.id for r in split_dataset(rows, seed=5).test]
    assert first == again


def test_toxicity_rows_are_conversational_spam_negatives() -> None:
    rows = [LabeledComment("a", spam=1, source="s"), LabeledComment("b", toxic=1, source="t")]
    selected, labels, groups = head_rows(rows, "spam")
    assert [r.text for r in selected] == ["a", "b"]
    assert labels.tolist() == [1, 0]
    assert groups == ["s", CONVERSATION]


def test_toxicity_weights_balance_each_source_and_class() -> None:
    labels = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    groups = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    weights = sample_weights("toxicity", labels, list(groups), Recipe())
    cells = [weights[(groups == g) & (labels == y)].sum() for g in ("a", "b") for y in (0, 1)]
    assert np.allclose(cells, cells[0])
    assert np.isclose(weights.mean(), 1.0)


def test_harmonization_factors_move_weight_inside_a_cell_only() -> None:
    labels = np.array([1, 1, 0, 0])
    groups = ["a", "a", "a", "a"]
    factors = np.array([1.0, 0.25, 1.0, 1.0])
    weights = sample_weights("toxicity", labels, groups, Recipe(), factors)
    plain = sample_weights("toxicity", labels, groups, Recipe())
    assert np.isclose(weights[:2].sum(), plain[:2].sum())  # the class total stays
    assert np.isclose(weights[0], 4 * weights[1])


def test_thresholds_meet_recall_and_precision() -> None:
    probs = np.array([0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1])
    labels = np.array([1, 1, 1, 1, 0, 1, 0, 1, 0, 0])
    chosen = choose_thresholds(probs, labels, recall=0.8, precision=0.98)
    assert chosen["review"] == 0.6  # 5 of 6 positives at p >= 0.6
    assert chosen["reject"] == 0.8  # all four at p >= 0.8 are positive


def test_expected_calibration_error() -> None:
    assert expected_calibration_error(np.array([0.0, 1.0]), np.array([0, 1])) == 0.0
    assert expected_calibration_error(np.array([0.9, 0.9]), np.array([0, 0])) == np.float64(0.9)


def test_tiny_end_to_end_training_writes_a_loadable_model(tmp_path: Path) -> None:
    messages: list[str] = []
    model = train([TINY_CSV], tmp_path, recipe=TINY_RECIPE, progress=messages.append)
    directory = tmp_path / model.version
    assert model.directory == directory
    assert any("fitting the spam head" in m for m in messages)
    card = json.loads((directory / "card.json").read_text())
    assert card["data"][0]["rows"] == 100
    assert set(card["metrics"]["test"]) == {"spam", "toxicity"}
    assert card["moderator_labels"] == 0
    assert "tiny" in (directory / "MODEL_CARD.md").read_text()
    loaded = load_model(directory)
    assert loaded.score([{"text": "hello"}]) == model.score([{"text": "hello"}])


def _toy_problem() -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = sp.random(200, 40, density=0.2, format="csr", random_state=1)
    X.data[:] = 1.0
    labels = (np.asarray(X[:, 0].todense()).ravel() > 0).astype(np.int64)  # column 0 decides
    return X, labels, rng.uniform(0.5, 1.5, 200)


def test_naive_bayes_scale_favours_telling_columns_and_leaves_metadata_alone() -> None:
    X, labels, weights = _toy_problem()
    scale = naive_bayes_scale(X, labels, weights, n_text=36, power=0.5)
    assert scale.shape == (40,)
    assert np.all(scale[36:] == 1.0)  # metadata / word-list columns keep their scale
    assert scale[0] == scale[:36].max()  # the column that decides the label
    seen = np.asarray(X[:, :36].sum(axis=0)).ravel() > 0
    assert abs(scale[:36][seen].mean() - 1.0) < 1e-9  # C keeps its meaning


def test_fit_classifier_folds_the_scale_into_the_coefficients() -> None:
    X, labels, weights = _toy_problem()
    recipe = replace(TINY_RECIPE, n_features=36, nb_power={"toxicity": 0.5})
    folded = fit_classifier("toxicity", X, labels, weights, recipe)
    scale = naive_bayes_scale(X, labels, weights, 36, 0.5)
    scaled_fit = LogisticRegression(C=recipe.toxicity_c, max_iter=recipe.max_iter, tol=1e-5)
    scaled_fit.fit(X @ sp.diags(scale), labels, sample_weight=weights)
    # the stored model scores raw features as the scaled fit scores scaled ones
    assert np.allclose(
        folded.decision_function(X), scaled_fit.decision_function(X @ sp.diags(scale))
    )
    plain = fit_classifier("spam", X, labels, weights, replace(recipe, nb_power={}))
    reference = LogisticRegression(C=recipe.spam_c, max_iter=recipe.max_iter, tol=1e-5)
    reference.fit(X, labels, sample_weight=weights)
    assert np.allclose(plain.coef_, reference.coef_)  # power 0: a plain fit
