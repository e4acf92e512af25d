"""The site adapter: fit on moderator labels over a fixed base model, folded into one head."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import skops.io

from classifier.adaptation import adapt_model, anchor_rows, penalty_grid, site_comparisons
from classifier.data import LabeledComment
from classifier.encoder import STATIC, get_encoder
from classifier.model import TRUSTED_TYPES, Model, load_model, save_model

# Two penalties instead of the product's grid: the tests check behaviour, not the search.
GRID = [(0.0, 0.0), (3.0, 0.0)]
SITE_WORDS = ["noob", "scrub", "hardstuck", "trashcan"]
CALM_WORDS = ["map", "patch", "ranked", "tonight", "clutch", "round"]


def site_labels(n: int, seed: int = 5) -> list[LabeledComment]:
    """A gaming site whose toxic comments use words the tiny base data never saw."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        toxic = i % 2
        words = rng.sample(SITE_WORDS if toxic else CALM_WORDS, 2) + rng.sample(CALM_WORDS, 2)
        rng.shuffle(words)
        text = f"{' '.join(words)} {i}"
        rows.append(
            LabeledComment(text=text, toxic=toxic, spam=None, id=f"m{i}", source="moderator")
        )
    return rows


def test_the_adapted_head_is_one_linear_head_scoring_like_the_fit(tiny_model: Model) -> None:
    labels = site_labels(60)

    adapted, adaptations = adapt_model(tiny_model, labels, grid=GRID, encoder=None)

    X = tiny_model.featurizer.transform([r.comment() for r in labels])
    # folded back (coef = a * w_base + w_site): the plain head scores as the site fit did
    np.testing.assert_allclose(
        adapted.heads["toxicity"].decision(X),
        adaptations["toxicity"].fitted_decision,
        rtol=1e-6,
        atol=1e-6,
    )
    assert adapted.heads["spam"] is tiny_model.heads["spam"]  # no spam labels: untouched
    assert adapted.card["adapter"]["base_version"] == tiny_model.version
    assert adapted.card["moderator_labels"] == 60
    assert adapted.version != tiny_model.version


def test_site_words_are_learned_and_the_evidence_is_cross_validated(tiny_model: Model) -> None:
    labels = site_labels(80)
    adapted, adaptations = adapt_model(tiny_model, labels, grid=GRID, encoder=None)

    a = adaptations["toxicity"]
    assert a.fit.c > 0  # cross-validation found the site weights worth having
    [own] = site_comparisons(adaptations)
    assert own.name == "moderator" and own.rows == 80 and own.positives == 40
    assert own.candidate > own.current + 0.2
    unseen = [
        {"text": "what a noob, hardstuck again"},
        {"text": "ranked map tonight after the patch"},
    ]
    toxic, calm = adapted.predict_proba(unseen)["toxicity"]
    assert toxic > calm


def test_too_few_labels_of_a_class_leave_the_model_as_it_was(tiny_model: Model) -> None:
    labels = [r for r in site_labels(40) if r.toxic == 0] + site_labels(8)[1::2]  # 4 toxic

    adapted, adaptations = adapt_model(tiny_model, labels, grid=GRID, encoder=None)

    assert adaptations == {}
    assert adapted.heads["toxicity"] is tiny_model.heads["toxicity"]
    assert adapted.thresholds == tiny_model.thresholds


def test_anchors_hold_the_base_model_on_public_rows(tiny_model: Model) -> None:
    public = [
        LabeledComment(text=f"you are an idiot number {i}", toxic=1, source="pub")
        for i in range(30)
    ] + [
        LabeledComment(text=f"thanks for the helpful post {i}", toxic=0, source="pub")
        for i in range(30)
    ]
    # the site insults with a word the public rows use politely
    labels = [
        LabeledComment(text=f"helpful {w} {i}", toxic=i % 2, source="moderator", id=f"m{i}")
        for i, w in enumerate(["noob", "post"] * 20)
    ]
    comments = [r.comment() for r in public]
    before = tiny_model.predict_proba(comments)["toxicity"]
    free, _ = adapt_model(
        tiny_model, labels, anchors=public, anchor_weight=0.0, grid=GRID, encoder=None
    )
    held, _ = adapt_model(
        tiny_model, labels, anchors=public, anchor_weight=4.0, grid=GRID, encoder=None
    )

    def moved(model: Model) -> float:
        return float(np.abs(model.predict_proba(comments)["toxicity"] - before).mean())

    assert moved(held) < moved(free)


def test_anchor_rows_take_the_same_number_from_each_dataset() -> None:
    rows = [LabeledComment(text=f"a{i}", toxic=0, source="big") for i in range(100)] + [
        LabeledComment(text=f"b{i}", toxic=0, source="small") for i in range(10)
    ]

    picked = anchor_rows(rows, size=20)

    assert sum(r.source == "big" for r in picked) == 10
    assert sum(r.source == "small" for r in picked) == 10
    assert picked == anchor_rows(rows, size=20)  # seeded: the same rows every time


@pytest.mark.parametrize("n", [0, 3])
def test_no_usable_labels_adapt_nothing(tiny_model: Model, n: int) -> None:
    _, adaptations = adapt_model(tiny_model, site_labels(n), grid=GRID, encoder=None)
    assert adaptations == {}


def test_the_embedding_block_folds_into_the_head_and_survives_saving(
    tiny_model: Model, tmp_path: Path
) -> None:
    labels = site_labels(60)

    adapted, adaptations = adapt_model(tiny_model, labels, grid=[(3.0, 1.0)])

    a = adaptations["toxicity"]
    assert a.fit.embedding_scale == 1.0 and a.embedding is not None
    assert adapted.encoder_name == STATIC
    assert adapted.heads["spam"].embedding is None  # no spam labels: no embedding weights
    X = tiny_model.featurizer.transform([r.comment() for r in labels])
    vectors = get_encoder(STATIC).encode([r.text for r in labels])
    np.testing.assert_allclose(
        adapted.heads["toxicity"].decision(X, vectors), a.fitted_decision, rtol=1e-6, atol=1e-6
    )
    card = adapted.card["adapter"]
    assert card["encoder"]["name"] == STATIC and card["encoder"]["dimensions"] == 256
    assert card["heads"]["toxicity"]["embedding_scale"] == 1.0

    save_model(adapted, tmp_path / adapted.version)
    state = skops.io.load(tmp_path / adapted.version / "model.skops", trusted=list(TRUSTED_TYPES))
    assert state["format"] == 2 and state["encoder"] == STATIC  # format-1 readers refuse it
    loaded = load_model(tmp_path / adapted.version)
    comments = [r.comment() for r in labels[:10]] + ["what a noob", ""]
    assert loaded.encoder_name == STATIC
    np.testing.assert_allclose(
        loaded.predict_proba(comments)["toxicity"], adapted.predict_proba(comments)["toxicity"]
    )
    one = loaded.explain(comments[0]).toxicity.score
    assert one == pytest.approx(loaded.score(comments[:1])[0].toxicity)


def test_meaning_reaches_words_the_labels_never_used(tiny_model: Model) -> None:
    # the site's toxic comments call people vermin; the new ones use other words for it
    rng = random.Random(3)
    pests = ["vermin", "rats", "cockroaches", "parasites", "lice"]
    calm = ["neighbours", "friends", "families", "students", "musicians"]
    verbs = ["those", "the new", "all the", "these"]
    labels = [
        LabeledComment(
            text=f"{rng.choice(verbs)} {rng.choice(pests if i % 2 else calm)} here {i}",
            toxic=i % 2,
            source="moderator",
            id=f"m{i}",
        )
        for i in range(80)
    ]
    words_only, _ = adapt_model(tiny_model, labels, grid=[(3.0, 0.0)], encoder=None)
    with_meaning, _ = adapt_model(tiny_model, labels, grid=[(3.0, 1.0)])
    unseen = ["those maggots here", "those leeches here", "those teachers here", "those poets here"]

    def gap(model: Model) -> float:
        p = model.predict_proba(unseen)["toxicity"]
        return float(p[:2].mean() - p[2:].mean())

    assert gap(with_meaning) > gap(words_only) + 0.05


def test_penalty_grid_tries_recalibration_once_then_every_scale() -> None:
    grid = penalty_grid((0.0, 1.0, 10.0), (0.0, 2.0))
    assert grid == [(0.0, 0.0), (1.0, 0.0), (10.0, 0.0), (1.0, 2.0), (10.0, 2.0)]
