"""The compiled decision values (classifier/_hashing.c ``decisions``) are
``FeatureBatch.dot``'s doubles, bit for bit, alone and in batches."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier import features
from classifier.features import CommentFeaturizer
from classifier.lexicon import insult_words, profanity_words

SMALL = 2**12
COMMENTS = [
    {"text": "hello there friend"},
    {"text": "FREE v1agra at www.example.com!!", "url": "http://spam.example/buy"},
    {"text": "you are an idiot", "email": "x@mailinator.com", "name": "http://x.example"},
    {"text": ""},
    {"text": "héllo wörld 😀 " * 40},
]

pytestmark = pytest.mark.skipif(
    not features.hashing_is_compiled(), reason="classifier/_hashing.c was not built"
)


def _featurizer(metadata: bool = True) -> CommentFeaturizer:
    return CommentFeaturizer(
        n_features=SMALL,
        metadata=metadata,
        profanity=profanity_words(),
        insults=insult_words(),
        lexicon_scale=0.5,
    )


def _weights(featurizer: CommentFeaturizer, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=featurizer.n_output), rng.normal(size=featurizer.n_output) * 1e-3]


@pytest.mark.parametrize("metadata", [True, False])
@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_same_doubles_as_dot(metadata: bool, size: int) -> None:
    featurizer = _featurizer(metadata)
    for start in range(len(COMMENTS)):
        batch = featurizer.featurize((COMMENTS * 2)[start : start + size])
        weights = _weights(featurizer, start)
        compiled = batch.dots(weights)
        for mine, reference in zip(compiled, [batch.dot(w) for w in weights], strict=True):
            assert mine.tobytes() == reference.tobytes()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(max_size=120), min_size=1, max_size=6), st.integers(0, 2**31))
def test_same_doubles_for_any_texts(texts: list[str], seed: int) -> None:
    texts = [t for t in texts if _encodable(t)]
    if not texts:
        return
    featurizer = _featurizer()
    batch = featurizer.featurize([{"text": t} for t in texts])
    weights = _weights(featurizer, seed)
    for mine, reference in zip(batch.dots(weights), [batch.dot(w) for w in weights], strict=True):
        assert mine.tobytes() == reference.tobytes()


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False  # a lone surrogate: hashing refuses it before any scoring
    return True


def test_weights_of_the_wrong_length_are_refused() -> None:
    featurizer = _featurizer()
    batch = featurizer.featurize(COMMENTS[:2])
    with pytest.raises(ValueError, match="disagree"):
        batch.dots([np.zeros(featurizer.n_output + 1)])
    with pytest.raises(ValueError, match="disagree"):
        batch.dots([np.zeros(5)])  # shorter than the hashed block
