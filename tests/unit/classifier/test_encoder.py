"""The static sentence encoder the site adapter reads: shipped files, arithmetic, cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import classifier
from classifier.encoder import STATIC, EncoderError, available, get_encoder


def test_the_static_encoder_ships_with_the_package() -> None:
    assert STATIC in available()
    encoder = get_encoder(STATIC)
    assert encoder.dim == 256
    assert get_encoder(STATIC) is encoder  # loaded once per process


def test_vectors_are_unit_rows_and_a_text_without_words_is_zero() -> None:
    vectors = get_encoder(STATIC).encode(["Thanks for the lovely recipe!", "", "   ", "ok"])
    assert vectors.shape == (4, 256) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, 3]], axis=1), 1.0, rtol=1e-5)
    assert not vectors[1].any() and not vectors[2].any()


def test_words_of_like_meaning_lie_closer_than_unrelated_ones() -> None:
    v = get_encoder(STATIC).encode(
        ["those people are vermin", "those people are parasites", "the bread recipe was great"]
    )
    assert v[0] @ v[1] > v[0] @ v[2] + 0.1


def test_word_cache_gives_the_tokenizers_own_pieces() -> None:
    encoder = get_encoder(STATIC)
    texts = ["Hello, WORLD!! it's 3:45pm... naïve café?", "un_der score and ünïcödé", "a" * 30]
    whole = [
        [i for i in e.ids if i != encoder.unknown]
        for e in encoder.tokenizer.encode_batch(texts, add_special_tokens=False)
    ]
    assert encoder.piece_ids(texts) == whole
    assert encoder.piece_ids(texts) == whole  # again, from the cache


def test_an_unknown_encoder_is_refused_by_name() -> None:
    with pytest.raises(EncoderError, match="unknown encoder 'nope'"):
        get_encoder("nope")


def test_package_with_default_model_and_vectors_stays_under_40_mb() -> None:
    root = Path(classifier.__file__).parent
    size = sum(
        p.stat().st_size
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".so", ".o")
    )
    assert size < 40 * 2**20
