"""Feature extraction: hashed word and character n-grams plus comment-form metadata.

``CommentFeaturizer`` is a stateless scikit-learn transformer: it takes comments
(mappings with ``text`` and optional ``name``, ``email``, ``url``; plain strings
are taken as the text) and returns a CSR matrix with

- columns ``[0, n_features)``: hashed counts of the normalized text's features
  (``classifier.text.normalize``): character n-grams of the text with a space on
  each side (they run across word boundaries), word unigrams and bigrams, and
  the domains of the ``url`` field and the e-mail address; each count is divided
  by the square root of the row's number of occurrences (unit L2 norm when no
  feature repeats);
- the ``META`` columns after them: metadata a comment form gives. All are
  optional: a comment with only a text gets zeros for what it lacks.

Hashing (no vocabulary) keeps scoring fast and the model small, and makes the
featurizer the same object for every head: vectorize once, score two heads.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin

from classifier.text import find_urls, normalize

_compiled: ModuleType | None
try:  # built by setup.py when a C compiler was there; optional
    from classifier import _hashing as _compiled
except ImportError:  # pragma: no cover - depends on the installation
    _compiled = None


def hashing_is_compiled() -> bool:
    """Whether the compiled hashing (classifier/_hashing.c) was built; without it the
    numpy code computes the same features, about 0.1 ms slower per comment."""
    return _compiled is not None


Comment = Mapping[str, str]


class _LazyTable(dict[int, str]):
    """str.translate table filled per code point on first use (C-speed afterwards)."""

    def __init__(self, rule: Callable[[str], str]) -> None:
        super().__init__()
        self.rule = rule

    def __missing__(self, code: int) -> str:
        value = self.rule(chr(code))
        self[code] = value
        return value


# Python's regex \w: alphanumeric or underscore. One ASCII byte per character.
# Which feature code a model was fitted with. Bump it whenever the hashing, the
# normalization or the metadata columns change what a text maps to: a model fitted
# with other feature code would load fine and silently score garbage.
FEATURES_VERSION = "3"  # 3: trailing leet digits ("fr33"), "!" after a leet word

LEXICON_META = (
    "profanity",  # words on the profanity list, 0..1 (3 or more = 1), times lexicon_scale
    "insults",  # words on the insult list, likewise
    "lexicon_any",  # any listed word, times lexicon_scale
)
LEXICON_CAP = 3

_WORD_MASK = _LazyTable(lambda c: "w" if c.isalnum() or c == "_" else " ")
# Letters only: "U" for a capital, "l" for any other letter.
_LETTER_CASE = _LazyTable(lambda c: ("U" if c.isupper() else "l") if c.isalpha() else "")

META = (
    "links",  # links in the text, 0..1 (5 or more = 1)
    "has_link",  # at least one link in the text
    "link_in_name",  # a URL or domain in the commenter's name
    "url_field",  # the commenter gave a website
    "disposable_email",  # the e-mail domain is a known disposable-address service
    "length",  # log-scaled text length, 0..1
    "caps",  # share of capitals among the letters (texts with 8+ letters)
)


def _disposable_domains() -> frozenset[str]:
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


_DISPOSABLE: frozenset[str] | None = None


def is_disposable_email(email: str) -> bool:
    """Whether the address's domain is on the disposable-email blocklist."""
    global _DISPOSABLE
    domain = email_domain(email)
    if not domain:
        return False
    if _DISPOSABLE is None:
        _DISPOSABLE = _disposable_domains()
    parts = domain.split(".")
    return any(".".join(parts[i:]) in _DISPOSABLE for i in range(len(parts) - 1))


def email_domain(email: str) -> str:
    """The lower-cased domain of an e-mail address ('' without one)."""
    _, at, domain = email.strip().rpartition("@")
    return domain.lower().strip(".") if at else ""


def url_domain(url: str) -> str:
    """The lower-cased host of a URL or bare domain, without ``www.`` ('' without one)."""
    url = url.strip().lower()
    if not url:
        return ""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url).split("/", 1)[0].split("?", 1)[0]
    host = host.rsplit("@", 1)[-1].split(":", 1)[0]
    return host.removeprefix("www.")


@dataclass(frozen=True)
class Metadata:
    """What the comment form tells beyond the words: the values behind ``META``."""

    links: int
    link_in_name: bool
    url: str
    url_domain: str
    email_domain: str
    disposable_email: bool
    length: int
    caps: float

    def vector(self) -> list[float]:
        """The META columns, in order."""
        return [
            min(self.links, 5) / 5.0,
            1.0 if self.links else 0.0,
            1.0 if self.link_in_name else 0.0,
            1.0 if self.url else 0.0,
            1.0 if self.disposable_email else 0.0,
            min(math.log1p(self.length) / math.log(2001.0), 1.0),
            self.caps,
        ]


def _field(comment: Comment | str, key: str) -> str:
    if isinstance(comment, str):
        return comment if key == "text" else ""
    value = comment.get(key)
    return value if isinstance(value, str) else ""


_ASCII_LETTERS = string.ascii_letters.encode()
_ASCII_UPPER = string.ascii_uppercase.encode()


def _capitals_share(text: str) -> float:
    """Share of capitals among the letters; 0 for texts with fewer than 8 letters."""
    if len(text) < 8:
        return 0.0
    if text.isascii():
        # bytes.translate deletes in C: about 10x faster than the str table (the common case).
        raw = text.encode("ascii")
        letters = len(raw) - len(raw.translate(None, _ASCII_LETTERS))
        upper = len(raw) - len(raw.translate(None, _ASCII_UPPER))
    else:
        cases = text.translate(_LETTER_CASE)
        letters, upper = len(cases), cases.count("U")
    return upper / letters if letters >= 8 else 0.0


def extract_metadata(comment: Comment | str) -> Metadata:
    """The metadata of one comment (missing fields count as absent)."""
    text = _field(comment, "text")
    name = _field(comment, "name")
    email = _field(comment, "email")
    url = _field(comment, "url").strip()
    caps = _capitals_share(text)
    return Metadata(
        links=len(find_urls(text)),
        link_in_name=bool(name and find_urls(name)),
        url=url,
        url_domain=url_domain(url),
        email_domain=email_domain(email),
        disposable_email=is_disposable_email(email),
        length=len(text),
        caps=min(caps, 1.0),
    )


_U64 = np.uint64
_PRIME = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_PRIME_INV = pow(_PRIME, -1, 2**64)
_SALT_WORD = _U64(0x9E3779B97F4A7C15)
_SALT_BIGRAM = _U64(0xC2B2AE3D27D4EB4F)
_SALT_CHAR = _U64(0x165667B19E3779F9)
_SALT_FIELD = _U64(0x27D4EB2F165667C5)
_powers: dict[int, np.ndarray] = {}


def _power_table(base: int, size: int) -> np.ndarray:
    table = _powers.get(base)
    if table is None or len(table) < size:
        grown = max(size, 4096, 2 * (len(table) if table is not None else 0))
        table = np.full(grown, base, dtype=np.uint64)
        table[0] = 1
        table = np.cumprod(table, dtype=np.uint64)  # wraps modulo 2**64, as intended
        _powers[base] = table
    return table


# numpy scalars made once: making a uint64 from a Python int costs more than a short
# array operation
_MIX_SHIFT = _U64(33)
_MIX_1 = _U64(0xFF51AFD7ED558CCD)
_MIX_2 = _U64(0xC4CEB9FE1A85EC53)
_ONE = _U64(1)
_PRIME_U64 = _U64(_PRIME)


def _mix(h: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finalizer, vectorized (wrapping uint64 arithmetic)."""
    h = h ^ (h >> _MIX_SHIFT)
    h = h * _MIX_1
    h = h ^ (h >> _MIX_SHIFT)
    h = h * _MIX_2
    return h ^ (h >> _MIX_SHIFT)


def _word_bounds(padded: str) -> tuple[np.ndarray, np.ndarray]:
    """[begin, end) of every word (regex \\w+) of a text that starts and ends with a space."""
    is_word = np.frombuffer(padded.translate(_WORD_MASK).encode("ascii"), dtype=np.uint8) == 119
    edges = np.diff(is_word.view(np.int8))
    return np.flatnonzero(edges == 1) + 1, np.flatnonzero(edges == -1) + 1


@dataclass(frozen=True)
class HashedText:
    """Hashed features of a batch of normalized texts.

    Each occurrence of a feature has a row (the text), a column, and the
    [start, end) of the normalized text it was made from (for explanations).
    """

    rows: np.ndarray
    columns: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    # every word (regex \\w+): its row, 64-bit hash (for word lists) and [start, end)
    word_rows: np.ndarray
    word_hashes: np.ndarray
    word_starts: np.ndarray
    word_ends: np.ndarray


def hash_texts(
    texts: Sequence[str],
    n_features: int,
    char_ngrams: tuple[int, int],
    word_ngrams: tuple[int, int],
    positions: bool = True,
) -> HashedText:
    """Character n-grams (of the text with a space on each side), word unigrams and bigrams
    (words as regex \\w+) of normalized texts, hashed to ``[0, n_features)``.

    Without ``positions`` a batch's starts and ends are left empty (scoring); one text
    (a request's comment) always has them. Computed by the compiled ``_hashing`` module
    when it was built, else by ``hash_texts_numpy``: the same arrays either way.
    """
    if _compiled is None:
        return hash_texts_numpy(texts, n_features, char_ngrams, word_ngrams, positions)
    bits = _hash_bits(n_features)
    arrays = _compiled.hash_texts(
        texts, bits, *char_ngrams, *word_ngrams, positions or len(texts) == 1
    )
    rows, columns, starts, ends, word_rows, word_hashes, word_starts, word_ends = (
        np.frombuffer(array, dtype=np.int64) for array in arrays
    )
    word_hashes = word_hashes.view(_U64)  # the same 64 bits, unsigned as the numpy code has them
    return HashedText(rows, columns, starts, ends, word_rows, word_hashes, word_starts, word_ends)


def _hash_bits(n_features: int) -> int:
    bits = n_features.bit_length() - 1
    if n_features != 1 << bits:
        raise ValueError(f"n_features must be a power of two, not {n_features}")
    return bits


def hash_texts_numpy(
    texts: Sequence[str],
    n_features: int,
    char_ngrams: tuple[int, int],
    word_ngrams: tuple[int, int],
    positions: bool = True,
) -> HashedText:
    """``hash_texts`` in numpy: the reference the compiled module is tested against, and
    the fallback where it was not built.

    Vectorized over the whole batch with a polynomial rolling hash, so the cost
    per text is a few numpy operations, not a Python loop over its n-grams.
    """
    bits = _hash_bits(n_features)
    if len(texts) == 1:
        return _hash_one(texts[0], bits, char_ngrams, word_ngrams)
    shift = _U64(64 - bits)
    padded = [f" {t} " for t in texts]
    lengths = np.fromiter((len(p) for p in padded), dtype=np.int64, count=len(padded))
    doc_starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1])).astype(np.int64)
    doc_ends = doc_starts + lengths
    joined = "\n".join(padded)
    size = len(joined)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    powers = _power_table(_PRIME, size + 1)
    inverse = _power_table(_PRIME_INV, size + 1)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum((codes + _ONE) * powers[:size], out=prefix[1:])
    end_of = np.repeat(doc_ends, lengths + 1)[:size]
    row_of = np.repeat(np.arange(len(padded), dtype=np.int64), lengths + 1)[:size]

    rows: list[np.ndarray] = []
    columns: list[np.ndarray] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []

    def substring_hash(begin: np.ndarray, finish: np.ndarray) -> np.ndarray:
        return (prefix[finish] - prefix[begin]) * inverse[begin]

    index = np.arange(size, dtype=np.int64)
    # salted, unmixed char n-gram hashes; mixed once, together, below
    char_hashes: list[np.ndarray] = []
    for n in range(max(char_ngrams[0], 1), char_ngrams[1] + 1):
        if size < n:
            continue
        count = size - n + 1
        # every position at once by slicing (the same values as substring_hash, no gathers)
        every = (prefix[n:] - prefix[:count]) * inverse[:count]
        valid = index[:count] + n <= end_of[:count]  # inside one text
        char_hashes.append(every[valid] + _SALT_CHAR * _U64(n))
        rows.append(row_of[:count][valid])
        if positions:
            begin = index[:count][valid]
            starts.append(begin)
            ends.append(begin + n)
    if char_hashes:
        mixed = _mix(np.concatenate(char_hashes)) if len(char_hashes) > 1 else _mix(char_hashes[0])
        columns.append((mixed >> shift).astype(np.int64))

    low, high = word_ngrams
    w_begin, w_end = _word_bounds(joined)
    w_hash = _mix(substring_hash(w_begin, w_end) + _SALT_WORD)
    w_row = row_of[w_begin] if len(w_begin) else np.zeros(0, dtype=np.int64)
    if high >= 1:
        if low <= 1:
            rows.append(w_row)
            columns.append((w_hash >> shift).astype(np.int64))
            if positions:
                starts.append(w_begin)
                ends.append(w_end)
        if high >= 2 and len(w_begin) > 1:
            same = w_row[1:] == w_row[:-1]  # both words in one text
            pair = _mix(w_hash[:-1][same] * _PRIME_U64 + w_hash[1:][same] + _SALT_BIGRAM)
            rows.append(w_row[:-1][same])
            if positions:
                starts.append(w_begin[:-1][same])
                ends.append(w_end[1:][same])
            columns.append((pair >> shift).astype(np.int64))

    all_rows = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    all_starts = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
    # positions relative to each normalized text (the padding space is position -1)
    offset = doc_starts[all_rows] + 1 if positions else 0
    return HashedText(
        rows=all_rows,
        columns=np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64),
        starts=all_starts - offset,
        ends=(np.concatenate(ends) if ends else np.zeros(0, dtype=np.int64)) - offset,
        word_rows=w_row,
        word_hashes=w_hash,
        word_starts=w_begin - doc_starts[w_row] - 1,
        word_ends=w_end - doc_starts[w_row] - 1,
    )


_CACHED_WINDOWS_UP_TO = 400  # text sizes whose windows are kept: at most ~6 MB in all


def _char_windows(size: int, low: int, high: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every character window of n = low..high in a text of ``size``: begin, end, salt.
    Kept for comment-sized texts (most requests); a long text makes its own."""
    if size <= _CACHED_WINDOWS_UP_TO:
        return _cached_char_windows(size, low, high)
    return _make_char_windows(size, low, high)


def _make_char_windows(size: int, low: int, high: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sizes = [n for n in range(low, high + 1) if size >= n]
    if not sizes:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.uint64)
    begin = np.concatenate([np.arange(size - n + 1, dtype=np.int64) for n in sizes])
    end = np.concatenate([np.arange(n, size + 1, dtype=np.int64) for n in sizes])
    salt = np.concatenate(
        [np.full(size - n + 1, _SALT_CHAR * _U64(n), dtype=np.uint64) for n in sizes]
    )
    return begin, end, salt


_cached_char_windows = functools.lru_cache(maxsize=_CACHED_WINDOWS_UP_TO + 1)(_make_char_windows)


def _hash_one(
    text: str, bits: int, char_ngrams: tuple[int, int], word_ngrams: tuple[int, int]
) -> HashedText:
    """``hash_texts`` of one text (a request's comment): the same features and positions
    in about half the numpy calls, which is what one short text's cost is made of."""
    shift = _U64(64 - bits)
    padded = f" {text} "
    size = len(padded)
    codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum((codes + _ONE) * _power_table(_PRIME, size + 1)[:size], out=prefix[1:])
    inverse = _power_table(_PRIME_INV, size + 1)

    low, high = word_ngrams
    w_begin, w_end = _word_bounds(padded)
    c_begin, c_end, c_salt = _char_windows(size, max(char_ngrams[0], 1), char_ngrams[1])
    # char n-grams and words hashed and mixed together: one pass for both
    begin = np.concatenate((c_begin, w_begin))
    end = np.concatenate((c_end, w_end))
    salt = np.concatenate((c_salt, np.full(len(w_begin), _SALT_WORD, dtype=np.uint64)))
    mixed = _mix((prefix[end] - prefix[begin]) * inverse[begin] + salt)
    w_hash = mixed[len(c_begin) :]
    # the words themselves are features only with unigrams on
    kept = len(mixed) if low <= 1 <= high else len(c_begin)
    parts, starts, ends = [mixed[:kept]], [begin[:kept]], [end[:kept]]
    if high >= 2 and len(w_begin) > 1:
        parts.append(_mix(w_hash[:-1] * _PRIME_U64 + w_hash[1:] + _SALT_BIGRAM))
        starts.append(w_begin[:-1])
        ends.append(w_end[1:])
    columns = (np.concatenate(parts) >> shift).astype(np.int64)
    all_starts = np.concatenate(starts) - 1  # the padding space is position -1
    return HashedText(
        rows=np.zeros(len(columns), dtype=np.int64),
        columns=columns,
        starts=all_starts,
        ends=np.concatenate(ends) - 1,
        word_rows=np.zeros(len(w_begin), dtype=np.int64),
        word_hashes=w_hash,
        word_starts=w_begin - 1,
        word_ends=w_end - 1,
    )


@functools.lru_cache(maxsize=8)
def word_hashes(words: tuple[str, ...]) -> np.ndarray:
    """The 64-bit word hashes (as ``HashedText.word_hashes``) of single-word entries."""
    single = [w for w in words if _SINGLE_WORD.fullmatch(w)]
    if not single:
        return np.zeros(0, dtype=np.uint64)
    return np.unique(hash_texts(single, 2, (0, 0), (0, 0)).word_hashes)


_SINGLE_WORD = re.compile(r"\w+")


# word lists: a text with this many words or fewer looks its words up in a dict
_DICT_LOOKUP_UP_TO = 256
# batches up to this many rows build their META block with Python numbers
_PYTHON_ROWS_UP_TO = 16

_lexicon_tables: dict[tuple[int, int], tuple[Any, Any, np.ndarray, np.ndarray, dict[int, int]]] = {}


def _lexicon_table(
    profanity: Sequence[str], insults: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, dict[int, int]]:
    """Both word lists' hashes (sorted) and, per hash, 1 profane, 2 insulting, 3 both;
    and the same as a dict (one comment's few words look up faster in it).
    Made once per pair of lists: a model's lists are long and looked up per comment."""
    key = (id(profanity), id(insults))
    cached = _lexicon_tables.get(key)
    # the lists are kept in the cache, so an id is not reused while its entry lives
    if cached is None or cached[0] is not profanity or cached[1] is not insults:
        profane, insulting = word_hashes(tuple(profanity)), word_hashes(tuple(insults))
        table = np.union1d(profane, insulting)
        kinds = _member(table, profane).astype(np.int8) + 2 * _member(table, insulting).astype(
            np.int8
        )
        if len(_lexicon_tables) >= 8:  # a few models over a process's life
            _lexicon_tables.clear()
        lookup = dict(zip(table.tolist(), kinds.tolist(), strict=True))
        cached = (profanity, insults, table, kinds, lookup)
        _lexicon_tables[key] = cached
    return cached[2], cached[3], cached[4]


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """values in sorted_set (np.isin without its sorting of both sides: much faster here)."""
    if len(sorted_set) == 0 or len(values) == 0:
        return np.zeros(len(values), dtype=bool)
    found = np.searchsorted(sorted_set, values)
    return sorted_set[np.minimum(found, len(sorted_set) - 1)] == values


def field_columns(meta: Metadata, n_features: int) -> list[int]:
    """Hashed columns for the url field's and the e-mail's domains."""
    names = []
    if meta.url_domain:
        names.append("url:" + meta.url_domain)
    if meta.email_domain:
        names.append("email:" + meta.email_domain)
    # Real domain names (<= 253 characters) are cached: the same few come back often.
    return [
        _cached_field_column(name, n_features)
        if len(name) <= 260
        else _field_column(name, n_features)
        for name in names
    ]


def _field_column(name: str, n_features: int) -> int:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    value = _mix(np.asarray([int.from_bytes(digest, "little")], dtype=np.uint64) + _SALT_FIELD)
    return int(value[0] >> _U64(64 - (n_features.bit_length() - 1)))


_cached_field_column = functools.lru_cache(maxsize=4096)(_field_column)


class CommentFeaturizer(TransformerMixin, BaseEstimator):
    """Comments -> sparse features (hashed n-grams of the normalized text + META columns)."""

    def __init__(
        self,
        n_features: int = 2**18,
        char_ngrams: tuple[int, int] = (2, 4),
        word_ngrams: tuple[int, int] = (1, 2),
        metadata: bool = True,
        profanity: tuple[str, ...] = (),
        insults: tuple[str, ...] = (),
        lexicon_scale: float = 3.0,
    ) -> None:
        self.n_features = n_features
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.metadata = metadata
        self.profanity = profanity
        self.insults = insults
        self.lexicon_scale = lexicon_scale

    def fit(self, X: Any = None, y: Any = None) -> CommentFeaturizer:
        """Nothing to learn (hashing); present for the Pipeline protocol."""
        self.n_features_out_ = self.n_output
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    @property
    def lexicon(self) -> bool:
        """Whether the word-list features (LEXICON_META) are on."""
        return bool(getattr(self, "profanity", ()) or getattr(self, "insults", ()))

    @property
    def meta_names(self) -> tuple[str, ...]:
        """Names of the columns after the hashed block, in order."""
        return (META if self.metadata else ()) + (LEXICON_META if self.lexicon else ())

    @property
    def n_output(self) -> int:
        """Number of output columns (hashed text features, then ``meta_names``)."""
        return int(self.n_features) + len(self.meta_names)

    def _word_kinds(self, found: HashedText) -> np.ndarray:
        """Per word of ``found``: 1 on the profanity list, 2 on the insults, 3 on both."""
        table, kinds, lookup = _lexicon_table(self.profanity, self.insults)
        hashes = found.word_hashes
        if len(table) == 0 or len(hashes) == 0:
            return np.zeros(len(hashes), dtype=np.int8)
        if len(hashes) <= _DICT_LOOKUP_UP_TO:
            found_kinds = [lookup.get(h, 0) for h in hashes.tolist()]
            return np.asarray(found_kinds, dtype=np.int8)
        where = np.minimum(np.searchsorted(table, hashes), len(table) - 1)
        return np.where(table[where] == hashes, kinds[where], np.int8(0))

    def _lexicon_columns(self, found: HashedText, n_rows: int) -> np.ndarray:
        """LEXICON_META values per row: capped counts of profanity and insults, any hit
        (one comment: ``_lexicon_values_of_one``)."""
        kinds = self._word_kinds(found)
        cap = float(LEXICON_CAP)
        rows = found.word_rows
        p = np.minimum(np.bincount(rows[(kinds & 1) > 0], minlength=n_rows), cap) / cap
        i = np.minimum(np.bincount(rows[(kinds & 2) > 0], minlength=n_rows), cap) / cap
        values = np.stack((p, i, ((p + i) > 0).astype(np.float64)), axis=1)
        return values * float(self.lexicon_scale)

    def lexicon_hits(self, found: HashedText) -> np.ndarray:
        """Per word of ``found``: whether it is on one of the word lists."""
        if not self.lexicon:
            return np.zeros(len(found.word_hashes), dtype=bool)
        return self._word_kinds(found) > 0

    def hashed(self, texts: Sequence[str], positions: bool = True) -> HashedText:
        """Feature occurrences of normalized texts (see ``hash_texts``)."""
        return hash_texts(
            texts,
            int(self.n_features),
            (int(self.char_ngrams[0]), int(self.char_ngrams[1])),
            (int(self.word_ngrams[0]), int(self.word_ngrams[1])),
            positions,
        )

    def transform(self, X: Sequence[Comment | str]) -> sp.csr_matrix:
        """The feature matrix of a batch of comments (rows in input order)."""
        return self.featurize(X).to_csr()

    def featurize(
        self,
        X: Sequence[Comment | str],
        texts: Sequence[str] | None = None,
        positions: bool = False,
    ) -> FeatureBatch:
        """Features of a batch as occurrences (``texts``: the normalized texts, if known).
        With ``positions`` the batch keeps its occurrences with their places in the
        normalized texts (``FeatureBatch.occurrences``), for explaining without hashing
        again."""
        if texts is None:
            texts = [normalize(_field(comment, "text")) for comment in X]
        if len(texts) == 1:
            return self._featurize_one(X[0], texts[0], positions)
        n_rows = len(texts)
        n_features = int(self.n_features)
        occurrences = self.hashed(texts, positions=positions)
        rows, columns = occurrences.rows, occurrences.columns
        metas: list[Metadata] = [extract_metadata(c) for c in X] if self.metadata else []
        extra = [
            (i, col) for i, meta in enumerate(metas) for col in field_columns(meta, n_features)
        ]
        if extra:
            rows = np.concatenate((rows, np.asarray([r for r, _ in extra], dtype=np.int64)))
            columns = np.concatenate((columns, np.asarray([c for _, c in extra], dtype=np.int64)))
        per_row = np.bincount(rows, minlength=n_rows).astype(np.float64)
        scale = 1.0 / np.sqrt(np.maximum(per_row, 1.0))
        k = len(META) if self.metadata else 0
        if self.lexicon and n_rows <= _PYTHON_ROWS_UP_TO:
            # a few rows (concurrent requests scored together): Python numbers, one array
            lexicon = self._lexicon_rows(occurrences, n_rows)
            vectors = [m.vector() for m in metas] if metas else [[] for _ in range(n_rows)]
            rows_values = [v + extra for v, extra in zip(vectors, lexicon, strict=True)]
            dense = np.asarray(rows_values, dtype=np.float64).reshape(n_rows, k + 3)
        else:
            dense = np.asarray([m.vector() for m in metas], dtype=np.float64).reshape(n_rows, k)
            if self.lexicon:
                dense = np.hstack((dense, self._lexicon_columns(occurrences, n_rows)))
        kept = (occurrences, tuple(texts)) if positions else None
        return FeatureBatch(n_rows, n_features, rows, columns, scale, dense, kept, tuple(metas))

    def _featurize_one(self, comment: Comment | str, text: str, positions: bool) -> FeatureBatch:
        """``featurize`` of one comment (a request's): the same arrays, bit for bit, with
        Python numbers where the batch code makes a numpy call per step."""
        n_features = int(self.n_features)
        occurrences = self.hashed([text], positions=positions)
        columns = occurrences.columns
        dense: list[float] = []
        metas: tuple[Metadata, ...] = ()
        if self.metadata:
            meta = extract_metadata(comment)
            metas = (meta,)
            extra = field_columns(meta, n_features)
            if extra:
                columns = np.concatenate((columns, np.asarray(extra, dtype=np.int64)))
            dense = meta.vector()
        if self.lexicon:
            dense += self._lexicon_values_of_one(occurrences)
        # correctly rounded sqrt and division: the batch code's numbers exactly
        scale = np.asarray([1.0 / math.sqrt(max(len(columns), 1))])
        kept = (occurrences, (text,)) if positions else None
        rows = np.zeros(len(columns), dtype=np.int64)
        meta_block = np.asarray([dense], dtype=np.float64).reshape(1, len(dense))
        return FeatureBatch(1, n_features, rows, columns, scale, meta_block, kept, metas)

    def _lexicon_values_of_one(self, found: HashedText) -> list[float]:
        """``_lexicon_columns`` of one text, as Python floats."""
        kinds = self._word_kinds(found).tolist()
        return self._lexicon_values(
            sum(1 for kind in kinds if kind & 1), sum(1 for kind in kinds if kind & 2)
        )

    def _lexicon_rows(self, found: HashedText, n_rows: int) -> list[list[float]]:
        """``_lexicon_columns`` of a few texts, as Python floats, row by row."""
        profane, insulting = [0] * n_rows, [0] * n_rows
        kinds = self._word_kinds(found)
        hits = np.flatnonzero(kinds)  # usually none: no per-word loop then
        for row, kind in zip(found.word_rows[hits].tolist(), kinds[hits].tolist(), strict=True):
            profane[row] += kind & 1
            insulting[row] += (kind & 2) >> 1
        return [self._lexicon_values(p, i) for p, i in zip(profane, insulting, strict=True)]

    def _lexicon_values(self, profane_words: int, insulting_words: int) -> list[float]:
        # the numpy code's numbers exactly: min(count, cap) / cap, times the scale
        cap, scale = float(LEXICON_CAP), float(self.lexicon_scale)
        profane = min(profane_words, LEXICON_CAP) / cap
        insulting = min(insulting_words, LEXICON_CAP) / cap
        return [profane * scale, insulting * scale, float(profane + insulting > 0) * scale]


def row_dots(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Each row of ``matrix`` times ``vector``, summed left to right from 0.0.

    ``matrix @ vector`` would let BLAS pick a kernel, and with it an order of
    summation, by the matrix's shape: one row alone and the same row in a batch then
    differed in the last bit for 5 % of comments. A fixed order gives the same bits
    for any number of rows: Python floats for one row, a column at a time for more.
    """
    if matrix.shape[0] == 1:
        total = 0.0
        for value, weight in zip(matrix[0].tolist(), vector.tolist(), strict=True):
            total += value * weight
        return np.asarray([total], dtype=np.float64)
    totals = np.zeros(matrix.shape[0], dtype=np.float64)
    for column in range(matrix.shape[1]):
        totals += matrix[:, column] * vector[column]
    return totals


@dataclass(frozen=True)
class FeatureBatch:
    """A batch's features before they become a matrix.

    Text block: every occurrence of a hashed feature adds ``scale[row]`` to its
    column (counts divided by the square root of the row's number of
    occurrences). META block: ``meta`` (rows x len(META)) after column ``n_features``.
    Scoring takes the dot product straight from here (``dot``), without building
    a sparse matrix; training uses ``to_csr``. Both give the same numbers.
    """

    n_rows: int
    n_features: int
    rows: np.ndarray
    columns: np.ndarray
    scale: np.ndarray
    meta: np.ndarray
    # with positions, and the normalized texts they index, when featurized with them
    occurrences: tuple[HashedText, tuple[str, ...]] | None = None
    # each row's metadata, when featurized with metadata (explanations give reasons from it)
    metas: tuple[Metadata, ...] = ()

    def occurrences_of(self, row: int, text: str) -> HashedText | None:
        """The kept occurrences of one row (as ``hash_texts`` gives for that text alone),
        if the batch kept them and ``text`` is the normalized text they were found in."""
        if self.occurrences is None or self.occurrences[1][row] != text:
            return None
        found = self.occurrences[0]
        if self.n_rows == 1:
            return found
        mine, words = found.rows == row, found.word_rows == row
        return HashedText(
            rows=np.zeros(int(mine.sum()), dtype=np.int64),
            columns=found.columns[mine],
            starts=found.starts[mine],
            ends=found.ends[mine],
            word_rows=np.zeros(int(words.sum()), dtype=np.int64),
            word_hashes=found.word_hashes[words],
            word_starts=found.word_starts[words],
            word_ends=found.word_ends[words],
        )

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """X @ weights for a weight vector of length n_features + len(META).

        A row's result is the same to the last bit whatever the batch around it, so a
        comment scores the same alone and coalesced with others (``service.concurrency.batching``).
        """
        text = np.bincount(self.rows, weights[self.columns], minlength=self.n_rows) * self.scale
        if self.meta.shape[1]:
            text += row_dots(self.meta, weights[self.n_features :])
        return text

    def dots(self, weights: Sequence[np.ndarray]) -> list[np.ndarray]:
        """``dot`` of each weight vector (a model's heads), the same doubles, in one
        compiled pass when ``_hashing`` was built: for a request's few comments, the
        numpy calls of ``dot`` cost more than its arithmetic."""
        if _compiled is None:
            return [self.dot(w) for w in weights]
        out = _compiled.decisions(
            np.ascontiguousarray(self.rows, dtype=np.int64),
            np.ascontiguousarray(self.columns, dtype=np.int64),
            np.ascontiguousarray(self.scale, dtype=np.float64),
            np.ascontiguousarray(self.meta, dtype=np.float64),
            self.n_rows,
            self.n_features,
            tuple(np.ascontiguousarray(w, dtype=np.float64) for w in weights),
        )
        return [np.frombuffer(values, dtype=np.float64) for values in out]

    def to_csr(self) -> sp.csr_matrix:
        """The batch as a CSR matrix (duplicates summed, META columns last)."""
        k = self.meta.shape[1]
        values = self.scale[self.rows]
        rows, columns = self.rows, self.columns
        if k:
            meta_rows = np.repeat(np.arange(self.n_rows), k)
            meta_columns = np.tile(np.arange(self.n_features, self.n_features + k), self.n_rows)
            rows = np.concatenate((rows, meta_rows))
            columns = np.concatenate((columns, meta_columns))
            values = np.concatenate((values, self.meta.ravel()))
        matrix = sp.csr_matrix((values, (rows, columns)), shape=(self.n_rows, self.n_features + k))
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        return matrix
