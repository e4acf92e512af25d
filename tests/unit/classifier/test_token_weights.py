"""The compiled token weights (classifier/_hashing.c) give exactly the numpy reference's
doubles, so an explanation is the same whichever computed it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import features, token_weights
from classifier.features import hash_texts
from classifier.model import _TOKEN
from classifier.text import normalize

N_FEATURES = 2**12
TEXTS = [
    "",
    "   ",
    "free viagra at www.example.com now!!",
    "you are an idiot, a complete idiot",
    "héllo wörld ２０ emoji 😀😀 between words",
    "a b c d e f g",
    "x" * 300,
]

pytestmark = pytest.mark.skipif(
    not features.hashing_is_compiled(), reason="classifier/_hashing.c was not built"
)


def _inputs(text: str, seed: int, drop: float) -> tuple[np.ndarray, ...]:
    """A text's occurrences and tokens, with row values as a scored row has them (some
    columns left out, as a value that rounded to 0 would be) and two heads' weights."""
    rng = np.random.default_rng(seed)
    normalized = normalize(text)
    found = hash_texts([normalized], N_FEATURES, (2, 4), (1, 2), True)
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(normalized)]
    columns, counts = np.unique(found.columns, return_counts=True)
    keep = rng.random(len(columns)) >= drop
    values = counts[keep] * (1.0 / np.sqrt(max(len(found.columns), 1)))
    return (
        found.columns,
        found.starts,
        found.ends,
        np.asarray([t[0] for t in tokens], dtype=np.int64),
        np.asarray([t[1] for t in tokens], dtype=np.int64),
        columns[keep],
        values,
        rng.normal(size=N_FEATURES + 5),
        rng.normal(size=N_FEATURES + 5) * 1e-3,
    )


def _both(inputs: tuple[np.ndarray, ...]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    *arrays, spam, toxicity = inputs
    compiled = token_weights.token_weights(*arrays, [spam, toxicity])
    reference = token_weights.token_weights_numpy(*arrays, [spam, toxicity])
    return compiled, reference


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("drop", [0.0, 0.3, 1.0])
def test_same_doubles_as_numpy(text: str, drop: float) -> None:
    compiled, reference = _both(_inputs(text, seed=len(text), drop=drop))
    for mine, theirs in zip(compiled, reference, strict=True):
        assert mine.shape == theirs.shape
        # (numpy's bincount of nothing is an empty int64 array: no tokens, no weights)
        assert mine.dtype == theirs.dtype or mine.size == 0
        assert mine.tobytes() == theirs.tobytes()  # bit for bit, not approximately


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.integers(0, 2**31), st.sampled_from([0.0, 0.5]))
def test_same_doubles_for_any_text(text: str, seed: int, drop: float) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate: hashing refuses it before any explanation
    compiled, reference = _both(_inputs(text, seed, drop))
    for mine, theirs in zip(compiled, reference, strict=True):
        assert mine.tobytes() == theirs.tobytes()


def test_arrays_of_different_lengths_are_refused() -> None:
    *arrays, spam, _toxicity = _inputs("some words here", seed=1, drop=0.0)
    arrays[1] = arrays[1][:-1]
    with pytest.raises(ValueError, match="different lengths"):
        token_weights.token_weights(*arrays, [spam])


def test_a_column_past_the_coefficients_is_refused() -> None:
    *arrays, spam, _toxicity = _inputs("some words here", seed=1, drop=0.0)
    with pytest.raises(IndexError):
        token_weights.token_weights(*arrays, [spam[:3]])


def _row_inputs(text: str, seed: int, fields: int) -> tuple[list[np.ndarray], np.ndarray, float]:
    """Occurrences and tokens of a text, its row's columns (occurrences, then ``fields``
    columns as a url's and an e-mail's domains add, some equal to a text column) and a scale."""
    rng = np.random.default_rng(seed)
    normalized = normalize(text)
    found = hash_texts([normalized], N_FEATURES, (2, 4), (1, 2), True)
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(normalized)]
    extra = rng.integers(0, N_FEATURES, size=fields)
    if len(found.columns) and fields:
        extra[0] = found.columns[0]  # a field hashed onto a text column counts there too
    row_columns = np.concatenate((found.columns, extra))
    arrays = [
        found.columns,
        found.starts,
        found.ends,
        np.asarray([t[0] for t in tokens], dtype=np.int64),
        np.asarray([t[1] for t in tokens], dtype=np.int64),
    ]
    return arrays, row_columns, 1.0 / np.sqrt(max(len(row_columns), 1))


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("fields", [0, 2])
def test_a_rows_weights_are_the_references_with_values_from_its_columns(
    text: str, fields: int
) -> None:
    arrays, row_columns, scale = _row_inputs(text, seed=len(text), fields=fields)
    rng = np.random.default_rng(7)
    coefs = [rng.normal(size=N_FEATURES), rng.normal(size=N_FEATURES) * 1e-3]
    value_columns, counts = np.unique(row_columns, return_counts=True)
    reference = token_weights.token_weights_numpy(*arrays, value_columns, counts * scale, coefs)
    compiled = token_weights.row_token_weights(*arrays, row_columns, scale, coefs)
    for mine, theirs in zip(compiled, reference, strict=True):
        assert mine.tobytes() == theirs.tobytes()


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200), st.integers(0, 2**31), st.integers(0, 3))
def test_a_rows_weights_for_any_text(text: str, seed: int, fields: int) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return
    arrays, row_columns, scale = _row_inputs(text, seed, fields)
    coefs = [np.random.default_rng(seed).normal(size=N_FEATURES)]
    value_columns, counts = np.unique(row_columns, return_counts=True)
    reference = token_weights.token_weights_numpy(*arrays, value_columns, counts * scale, coefs)
    compiled = token_weights.row_token_weights(*arrays, row_columns, scale, coefs)
    assert compiled[0].tobytes() == reference[0].tobytes()


def test_an_occurrence_outside_its_row_adds_nothing() -> None:
    # never for a scored row; if it happened, the reference's value 0, not an error
    arrays, row_columns, scale = _row_inputs("some words here and there", seed=1, fields=0)
    missing = row_columns[row_columns != row_columns[0]]
    coefs = [np.random.default_rng(3).normal(size=N_FEATURES)]
    value_columns, counts = np.unique(missing, return_counts=True)
    reference = token_weights.token_weights_numpy(*arrays, value_columns, counts * scale, coefs)
    compiled = token_weights.row_token_weights(*arrays, missing, scale, coefs)
    assert np.array_equal(compiled[0], reference[0])
