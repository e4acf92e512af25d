"""Model: save/load round trip, safe and versioned loading, scores and explanations."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifier import (
    Model,
    ModelVersionError,
    UnsafeModelError,
    load_model,
    mark_current,
    save_model,
)
from classifier.features import FEATURES_VERSION
from classifier.model import CARD_FILE, MODEL_FILE
from classifier.paths import DEFAULT_MODEL_DIR

COMMENTS = [
    {"text": "Check out my channel http://my-channel.example.com/v and subscribe!!!"},
    {"text": "you are a complete idiot", "name": "x", "email": "a@mailinator.com"},
    {"text": "Thanks for the thoughtful article", "url": "https://blog.example.org"},
    {"text": ""},
]


def test_scores_are_probabilities(tiny_model: Model) -> None:
    scores = tiny_model.score(COMMENTS)
    assert len(scores) == len(COMMENTS)
    for score in scores:
        assert 0.0 <= score.spam <= 1.0
        assert 0.0 <= score.toxicity <= 1.0
    assert tiny_model.score([]) == []


def test_the_tiny_model_learned_its_fixture(tiny_model: Model) -> None:
    spam, toxic, civil, _ = tiny_model.score(COMMENTS)
    assert spam.spam > civil.spam
    assert toxic.toxicity > civil.toxicity


def test_save_then_load_gives_identical_scores(tiny_model: Model, tiny_model_dir: Path) -> None:
    loaded = load_model(tiny_model_dir)
    assert loaded.version == tiny_model.version
    assert loaded.thresholds == tiny_model.thresholds
    assert loaded.score(COMMENTS) == tiny_model.score(COMMENTS)
    assert (tiny_model_dir / "MODEL_CARD.md").is_file()
    card = json.loads((tiny_model_dir / CARD_FILE).read_text())
    assert card["libraries"]["scikit-learn"]


def test_thresholds_have_review_and_reject(tiny_model: Model) -> None:
    for head in ("spam", "toxicity"):
        band = tiny_model.thresholds[head]
        assert 0.0 <= band["review"] <= band["reject"] <= 1.0


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def test_a_model_from_other_library_versions_is_refused(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    directory = _copy(tiny_model_dir, tmp_path / "old")
    card = json.loads((directory / CARD_FILE).read_text())
    card["libraries"]["scikit-learn"] = "1.2.0"
    card["libraries"]["numpy"] = "1.24.0"
    (directory / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelVersionError) as error:
        load_model(directory)
    message = str(error.value)
    assert "scikit-learn 1.2.0" in message
    assert "numpy 1.24.0" in message
    assert "make train" in message


def test_a_model_from_other_feature_code_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_model_dir, tmp_path / "old-features")
    card = json.loads((directory / CARD_FILE).read_text())
    card["features_version"] = "0"
    (directory / CARD_FILE).write_text(json.dumps(card))
    with pytest.raises(ModelVersionError, match=r"feature code version 0.*make train"):
        load_model(directory)


def test_the_shipped_model_matches_this_feature_code() -> None:
    assert load_model(DEFAULT_MODEL_DIR).card["features_version"] == FEATURES_VERSION


def test_a_pickled_model_file_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_model_dir, tmp_path / "pickled")
    (directory / MODEL_FILE).write_bytes(pickle.dumps({"format": 1}))
    with pytest.raises(UnsafeModelError, match="pickle"):
        load_model(directory)


def test_a_pickle_file_beside_the_model_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    directory = _copy(tiny_model_dir, tmp_path / "extra")
    (directory / "model.pkl").write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(UnsafeModelError, match="pickle"):
        load_model(directory)


def test_load_model_prefers_the_current_model_of_the_registry(
    tiny_model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = tmp_path / "models"
    save_model(tiny_model, models / tiny_model.version)
    monkeypatch.setenv("MODQ_MODELS_DIR", str(models))
    default = load_model()  # nothing marked current yet: the shipped default
    assert default.version != tiny_model.version
    mark_current(tiny_model.version)
    assert load_model().version == tiny_model.version
    assert (models / "CURRENT").read_text().strip() == tiny_model.version


def test_models_dir_defaults_under_the_data_dir(
    tiny_model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MODQ_MODELS_DIR", raising=False)
    monkeypatch.setenv("MODQ_DATA_DIR", str(tmp_path))
    save_model(tiny_model, tmp_path / "models" / tiny_model.version)
    mark_current(tiny_model.version)
    assert load_model().version == tiny_model.version


def test_the_shipped_default_model_loads_and_scores() -> None:
    model = load_model(Path(__file__).resolve().parents[3] / "classifier" / "default_model")
    assert model.card["thresholds"]["spam"]["reject"] > 0
    assert len(model.score([{"text": "hello"}])) == 1


def test_explanation_is_json_with_reasons_and_spans(tiny_model: Model) -> None:
    comment = {
        "text": "FREE followers!!! http://bit.ly/x1 and http://bit.ly/x2",
        "email": "a@mailinator.com",
    }
    explained = tiny_model.explain(comment).to_dict()
    json.dumps(explained)
    spam = explained["spam"]
    assert spam["score"] == pytest.approx(tiny_model.score([comment])[0].spam)
    codes = {reason["code"] for reason in spam["reasons"]}
    assert {"links", "disposable_email"} <= codes
    for span in spam["spans"]:
        assert comment["text"][span["start"] : span["end"]] == span["text"]
        assert span["weight"] > 0


def test_explained_spans_highlight_obfuscated_words_as_written(tiny_model: Model) -> None:
    text = "well you are a stup1d f.u.c.k.i.n.g IDIOT &amp; moron"
    spans = tiny_model.explain({"text": text}).toxicity.spans
    assert spans
    assert any(span.text == "IDIOT" for span in spans)
    for span in spans:
        assert text[span.start : span.end] == span.text


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "idiot",
                    "v1agra",
                    "ｆｒｅｅ",
                    "f.u.c.k",
                    "&amp;",
                    "<b>",
                    "http://x.co/a",
                    "@USER",
                    "sooooo",
                    "\u200b",
                    "subscribe!!!",
                    "caf\u00e9",
                    " ",
                    "\n",
                ]
            ),
            st.text(max_size=8),
        ),
        max_size=25,
    ).map("".join)
)
def test_every_explained_span_is_a_substring_of_the_original(tiny_model: Model, text: str) -> None:
    explanation = tiny_model.explain({"text": text})
    for head in (explanation.spam, explanation.toxicity):
        for span in head.spans:
            assert 0 <= span.start < span.end <= len(text)
            assert text[span.start : span.end] == span.text


def test_a_current_marker_naming_a_missing_model_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from classifier import ModelNotFoundError

    (tmp_path / "CURRENT").write_text("2026.01.01-gone\n")
    monkeypatch.setenv("MODQ_MODELS_DIR", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match=r"2026\.01\.01-gone"):
        load_model()


def test_a_scored_batch_explains_as_explain_does(tiny_model: Model) -> None:
    comments = [*COMMENTS, {"text": "well you are a stup1d f.u.c.k.i.n.g IDIOT &amp; moron"}]
    batch = tiny_model.score_batch(comments)
    assert batch.scores == tiny_model.score(comments)
    for index, comment in enumerate(comments):
        alone = tiny_model.explain(comment).to_dict()
        from_batch = batch.explain(index).to_dict()
        for head in ("spam", "toxicity"):
            # the same spans and reasons; the score is the batch's (equal up to rounding)
            assert from_batch[head]["score"] == pytest.approx(alone[head]["score"], abs=1e-12)
            assert from_batch[head]["spans"] == alone[head]["spans"]
            assert from_batch[head]["reasons"] == alone[head]["reasons"]
            # one head alone: its part of the whole explanation
            (part,) = batch.explain_heads(index, [head]).values()
            assert part.to_dict() == from_batch[head]


@pytest.mark.parametrize("copies", [1, 40])  # one request's comment; a batch too big to keep
def test_explaining_from_kept_or_fresh_occurrences_gives_the_same_spans(
    tiny_model: Model, copies: int
) -> None:
    comment = {"text": "ＦＲＥＥ v1agra!!! click http://pills.example you IDIOT", "name": "x"}
    batch = tiny_model.score_batch([comment] * copies)
    assert (batch.features.occurrences is not None) == (copies == 1)
    alone = tiny_model.explain(comment).to_dict()
    from_batch = batch.explain(copies - 1).to_dict()
    for head in ("spam", "toxicity"):
        assert from_batch[head]["spans"] == alone[head]["spans"]
        assert from_batch[head]["reasons"] == alone[head]["reasons"]
