"""The compiled hashing (classifier/_hashing.c) gives exactly the numpy reference's arrays."""

from __future__ import annotations

import os
from dataclasses import fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import features
from classifier.features import HashedText, hash_texts, hash_texts_numpy

SMALL = 2**12
# (char n-grams, word n-grams, columns): the shipped recipe's and the corners
CONFIGS = (
    ((4, 6), (1, 2), 2**19),
    ((2, 3), (1, 1), SMALL),
    ((0, 0), (0, 0), 2),  # words only as hashes (the lexicon's use)
    ((1, 5), (2, 2), 2**20),
    ((4, 6), (3, 3), SMALL),
)
TEXTS = [
    "",
    " ",
    "a",
    "_",
    "free viagra at www.example.com",
    "héllo wörld ２０ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and ١٢٣ digits",
    "emoji 😀😀 between words",
    "line\nbreaks\tand  double  spaces",
    "x" * 700,
]


def _assert_same(compiled: HashedText, reference: HashedText) -> None:
    for field in fields(HashedText):
        mine, theirs = getattr(compiled, field.name), getattr(reference, field.name)
        assert mine.dtype == theirs.dtype, field.name
        assert np.array_equal(mine, theirs), field.name


def test_the_compiled_module_was_built() -> None:
    # `make install` builds it (setup.py) when a C compiler is there; without one modq
    # hashes with numpy (slower, and it says so at start). CI must have built it.
    if not features.hashing_is_compiled() and not os.environ.get("CI"):
        pytest.skip("classifier/_hashing.c was not built here (no C compiler?)")
    assert features.hashing_is_compiled()


@pytest.mark.parametrize(("char_ngrams", "word_ngrams", "n_features"), CONFIGS)
@pytest.mark.parametrize("positions", [True, False])
def test_same_arrays_one_text_and_batches(
    char_ngrams: tuple[int, int], word_ngrams: tuple[int, int], n_features: int, positions: bool
) -> None:
    for text in TEXTS:
        _assert_same(
            hash_texts([text], n_features, char_ngrams, word_ngrams, positions),
            hash_texts_numpy([text], n_features, char_ngrams, word_ngrams, positions),
        )
    _assert_same(
        hash_texts(TEXTS, n_features, char_ngrams, word_ngrams, positions),
        hash_texts_numpy(TEXTS, n_features, char_ngrams, word_ngrams, positions),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=80), min_size=1, max_size=6), st.booleans())
def test_same_arrays_for_any_text(texts: list[str], positions: bool) -> None:
    for char_ngrams, word_ngrams, n_features in CONFIGS:
        _assert_same(
            hash_texts(texts, n_features, char_ngrams, word_ngrams, positions),
            hash_texts_numpy(texts, n_features, char_ngrams, word_ngrams, positions),
        )


def test_a_lone_surrogate_is_refused_by_both() -> None:
    # the service's validation turns these away first (pydantic); a CSV could carry one
    for hasher in (hash_texts, hash_texts_numpy):
        with pytest.raises(ValueError):
            hasher(["broken \ud800 text"], SMALL, (4, 6), (1, 2))


def test_the_number_of_columns_must_be_a_power_of_two() -> None:
    for hasher in (hash_texts, hash_texts_numpy):
        with pytest.raises(ValueError, match="power of two"):
            hasher(["text"], 1000, (4, 6), (1, 2))


def test_the_arrays_can_be_changed_in_place() -> None:
    # numpy's arrays are writable; code downstream may rely on it
    found = hash_texts(["some text"], SMALL, (4, 6), (1, 2))
    found.columns[0] = 0
    found.word_hashes[0] = 0
