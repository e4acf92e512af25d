"""Features: hashed text n-grams plus optional comment-form metadata."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.features import (
    META,
    CommentFeaturizer,
    extract_metadata,
    hash_texts,
    is_disposable_email,
    url_domain,
)
from classifier.text import normalize

SMALL = 2**12


def _meta(row: np.ndarray, name: str) -> float:
    return float(row[SMALL + META.index(name)])


def test_text_only_comment_has_zero_form_metadata() -> None:
    matrix = CommentFeaturizer(n_features=SMALL).transform([{"text": "hello there friend"}])
    row = matrix.toarray()[0]
    assert matrix.shape == (1, SMALL + len(META))
    for name in ("links", "link_in_name", "url_field", "disposable_email"):
        assert _meta(row, name) == 0.0
    assert (row[:SMALL] >= 0).all() and row[:SMALL].any()


def test_metadata_columns_reflect_the_form_fields() -> None:
    comment = {
        "text": "BUY NOW at http://a.example.com and http://b.example.com",
        "name": "deals www.shop.example.com",
        "email": "x@mailinator.com",
        "url": "https://www.Shop.example.com/path",
    }
    row = CommentFeaturizer(n_features=SMALL).transform([comment]).toarray()[0]
    assert _meta(row, "links") == pytest.approx(2 / 5)
    assert _meta(row, "has_link") == 1.0
    assert _meta(row, "link_in_name") == 1.0
    assert _meta(row, "url_field") == 1.0
    assert _meta(row, "disposable_email") == 1.0
    assert _meta(row, "caps") > 0.0


def test_plain_strings_and_missing_fields_are_accepted() -> None:
    featurizer = CommentFeaturizer(n_features=SMALL)
    as_string = featurizer.transform(["just words"]).toarray()
    as_dict = featurizer.transform([{"text": "just words", "email": ""}]).toarray()
    assert np.array_equal(as_string, as_dict)


def test_without_metadata_only_text_columns() -> None:
    matrix = CommentFeaturizer(n_features=SMALL, metadata=False).transform(["a b c"])
    assert matrix.shape == (1, SMALL)


def test_scoring_dot_product_equals_the_matrix_product() -> None:
    featurizer = CommentFeaturizer(n_features=SMALL)
    comments = [{"text": "some words, some words", "url": "http://x.example.com"}, {"text": ""}]
    weights = np.random.default_rng(0).normal(size=featurizer.n_output)
    batch = featurizer.featurize(comments)
    assert np.allclose(batch.dot(weights), batch.to_csr() @ weights)


def test_batch_rows_equal_single_rows() -> None:
    featurizer = CommentFeaturizer(n_features=SMALL)
    comments = [{"text": "first comment here"}, {"text": ""}, {"text": "third, with www.x.com"}]
    batch = featurizer.transform(comments).toarray()
    for i, comment in enumerate(comments):
        assert np.array_equal(batch[i], featurizer.transform([comment]).toarray()[0])


def test_obfuscated_spelling_gives_the_same_features() -> None:
    featurizer = CommentFeaturizer(n_features=SMALL)
    plain, hidden = featurizer.transform(["free viagra", "ｆｒｅｅ v1agra"]).toarray()
    assert np.array_equal(plain, hidden)


def test_hashed_occurrences_carry_their_text_positions() -> None:
    text = "big cat"
    found = hash_texts([text], SMALL, (2, 3), (1, 2))
    padded = f" {text} "
    pieces = {padded[s + 1 : e + 1] for s, e in zip(found.starts, found.ends, strict=True)}
    assert {"big", "cat", "big cat", " b", "t "} <= pieces


def test_domains_and_disposable_list() -> None:
    assert url_domain("HTTPS://www.Example.com:8080/x?y") == "example.com"
    assert is_disposable_email("someone@mailinator.com")
    assert not is_disposable_email("someone@gmail.com")
    assert not is_disposable_email("not-an-address")
    assert extract_metadata({"text": "hi"}).links == 0


def test_lexicon_columns_count_listed_words_after_folding() -> None:
    from classifier.lexicon import insult_words, profanity_words

    featurizer = CommentFeaturizer(
        n_features=SMALL, profanity=profanity_words(), insults=insult_words(), lexicon_scale=1.0
    )
    assert featurizer.meta_names[-3:] == ("profanity", "insults", "lexicon_any")
    matrix = featurizer.transform(["you st*pid 1d10t", "sh1t, ｆｕｃｋ", "a kind word"]).toarray()
    lexicon = matrix[:, -3:]
    assert lexicon[1, 0] == pytest.approx(2 / 3)  # two profane words
    assert lexicon[2].tolist() == [0.0, 0.0, 0.0]
    assert lexicon[1, 2] == 1.0


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60), st.text(max_size=20))
def test_one_text_hashes_as_it_does_inside_a_batch(text: str, other: str) -> None:
    # a request's comment takes the one-text path; training and batches the batch path
    for char_ngrams, word_ngrams in (((4, 6), (1, 2)), ((2, 3), (1, 1)), ((0, 0), (2, 2))):
        alone = hash_texts([text], SMALL, char_ngrams, word_ngrams)
        batch = hash_texts([text, other], SMALL, char_ngrams, word_ngrams)
        mine, words = batch.rows == 0, batch.word_rows == 0
        for field, row_of in (("columns", mine), ("starts", mine), ("ends", mine)):
            assert np.array_equal(getattr(alone, field), getattr(batch, field)[row_of])
        for field in ("word_hashes", "word_starts", "word_ends"):
            assert np.array_equal(getattr(alone, field), getattr(batch, field)[words])


def test_lexicon_columns_of_one_comment_equal_its_row_in_a_batch() -> None:
    from classifier.lexicon import insult_words, profanity_words

    featurizer = CommentFeaturizer(
        n_features=SMALL, profanity=profanity_words(), insults=insult_words(), lexicon_scale=0.5
    )
    texts = ["you st*pid 1d10t moron idiot", "sh1t, ｆｕｃｋ", "a kind word", ""]
    batch = featurizer.featurize(texts).meta
    for row, text in enumerate(texts):
        assert np.array_equal(featurizer.featurize([text]).meta[0], batch[row])


_FORM_COMMENTS = st.fixed_dictionaries(
    {"text": st.text(max_size=80)},
    optional={
        "name": st.sampled_from(["ann", "deals www.shop.example.com", ""]),
        "email": st.sampled_from(["a@mailinator.com", "bob@example.org", "broken", ""]),
        "url": st.sampled_from(["https://www.Shop.example.com/x", "ftp://x", ""]),
    },
)


@settings(max_examples=200, deadline=None)
@given(_FORM_COMMENTS, _FORM_COMMENTS)
def test_one_comment_featurizes_as_its_row_in_a_batch(comment: dict, other: dict) -> None:
    # a request's comment takes a path of its own (Python numbers); it must give the
    # batch code's numbers bit for bit, or a score would depend on the batch it was in
    from classifier.lexicon import insult_words, profanity_words

    featurizer = CommentFeaturizer(
        n_features=SMALL, profanity=profanity_words(), insults=insult_words(), lexicon_scale=0.5
    )
    for positions in (True, False):
        alone = featurizer.featurize([comment], positions=positions)
        batch = featurizer.featurize([comment, other], positions=positions)
        mine = batch.rows == 0
        assert np.array_equal(alone.columns, batch.columns[mine])
        assert np.array_equal(alone.rows, batch.rows[mine])
        assert alone.scale.tolist() == batch.scale[:1].tolist()
        assert alone.meta.tolist() == batch.meta[:1].tolist()
        assert alone.metas == batch.metas[:1]
        # the decision value too, bit for bit, in any place of a batch of any size
        # (coalesced scoring puts a request's comment in a batch of others)
        weights = np.linspace(-1.0, 1.0, featurizer.n_output)
        assert alone.dot(weights)[0] == batch.dot(weights)[0]
        crowd = featurizer.featurize([other] * 5 + [comment] + [other] * 3)
        assert alone.dot(weights)[0] == crowd.dot(weights)[5]


@settings(max_examples=100, deadline=None)
@given(st.lists(_FORM_COMMENTS, min_size=1, max_size=20))
def test_a_few_rows_get_the_numpy_codes_meta_block_bit_for_bit(comments: list[dict]) -> None:
    # up to _PYTHON_ROWS_UP_TO rows the META block is built with Python numbers (coalesced
    # requests); past it with numpy. Both must give the same doubles.
    from classifier import features as module
    from classifier.lexicon import insult_words, profanity_words

    comments = [*comments, {"text": "you idiot, damn this crap"}, {"text": "fine, thanks"}]
    featurizer = CommentFeaturizer(
        n_features=SMALL, profanity=profanity_words(), insults=insult_words(), lexicon_scale=0.5
    )
    found = featurizer.hashed([normalize(c["text"]) for c in comments])
    python_rows = featurizer._lexicon_rows(found, len(comments))
    numpy_rows = featurizer._lexicon_columns(found, len(comments))
    assert np.asarray(python_rows).tobytes() == numpy_rows.tobytes()
    small = featurizer.featurize(comments)
    assert len(comments) > module._PYTHON_ROWS_UP_TO or small.meta.shape[1] == len(META) + 3
    saved = module._PYTHON_ROWS_UP_TO
    try:
        module._PYTHON_ROWS_UP_TO = 0  # the numpy code for any size
        assert featurizer.featurize(comments).meta.tobytes() == small.meta.tobytes()
    finally:
        module._PYTHON_ROWS_UP_TO = saved
