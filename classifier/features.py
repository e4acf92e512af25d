"""Feature extraction: hashed word and character n-grams plus comment-form metadata.

``CommentFeaturizer`` is a stateless scikit-learn transformer: it takes comments
(mappings with ``text`` and optional ``name``, ``email``, ``url``; plain strings
are taken as the text) and returns a CSR matrix with

- columns ``[0, n_features)``: hashed binary features of the normalized text
  (``classifier.text.normalize``): character n-grams inside each word (with a
  space on both sides, like scikit-learn's ``char_wb``), word unigrams and
  bigrams, and the domains of the ``url`` field and the e-mail address; the row
  is scaled to unit L2 norm;
- the ``META`` columns after them: metadata a comment form gives. All are
  optional: a comment with only a text gets zeros for what it lacks.

Hashing (no vocabulary) keeps scoring fast and the model small, and makes the
featurizer the same object for every head: vectorize once, score two heads.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction import FeatureHasher

from classifier.text import find_urls, normalize

Comment = Mapping[str, str]

META = (
    "links",  # links in the text, 0..1 (5 or more = 1)
    "has_link",  # at least one link in the text
    "link_in_name",  # a URL or domain in the commenter's name
    "url_field",  # the commenter gave a website
    "disposable_email",  # the e-mail domain is a known disposable-address service
    "length",  # log-scaled text length, 0..1
    "caps",  # share of capitals among the letters (texts with 8+ letters)
)

_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")
_UPPER = re.compile(r"[A-ZÀ-ÖØ-Þ]")
WORD_PREFIX = "\x01"
FIELD_PREFIX = "\x02"


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


def extract_metadata(comment: Comment | str) -> Metadata:
    """The metadata of one comment (missing fields count as absent)."""
    text = _field(comment, "text")
    name = _field(comment, "name")
    email = _field(comment, "email")
    url = _field(comment, "url").strip()
    letters = len(_LETTER.findall(text)) if len(text) >= 8 else 0
    caps = len(_UPPER.findall(text)) / letters if letters >= 8 else 0.0
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


def token_features(token: str, char_ngrams: tuple[int, int]) -> list[str]:
    """Character n-grams of one whitespace-free token, padded with a space on each side."""
    padded = f" {token} "
    size = len(padded)
    low, high = char_ngrams
    grams: list[str] = []
    for n in range(low, high + 1):
        if size < n:
            break
        grams.extend([padded[i : i + n] for i in range(size - n + 1)])
    return grams


def text_features(
    normalized: str, char_ngrams: tuple[int, int], word_ngrams: tuple[int, int]
) -> list[str]:
    """The hashed-feature names of a normalized text (with repeats)."""
    grams: list[str] = []
    low, high = char_ngrams
    for token in normalized.split(" "):
        if not token:
            continue
        padded = f" {token} "
        size = len(padded)
        for n in range(low, high + 1):
            if size < n:
                break
            grams.extend([padded[i : i + n] for i in range(size - n + 1)])
    words = _WORD.findall(normalized)
    if word_ngrams[0] <= 1 <= word_ngrams[1]:
        grams.extend([WORD_PREFIX + w for w in words])
    if word_ngrams[1] >= 2:
        grams.extend([f"{WORD_PREFIX}{a} {b}" for a, b in itertools.pairwise(words)])
    return grams


def field_features(meta: Metadata) -> list[str]:
    """Hashed-feature names for the url field's and the e-mail's domains."""
    out = []
    if meta.url_domain:
        out.append(f"{FIELD_PREFIX}url:{meta.url_domain}")
    if meta.email_domain:
        out.append(f"{FIELD_PREFIX}email:{meta.email_domain}")
    return out


class CommentFeaturizer(TransformerMixin, BaseEstimator):
    """Comments -> sparse features (hashed n-grams of the normalized text + META columns)."""

    def __init__(
        self,
        n_features: int = 2**18,
        char_ngrams: tuple[int, int] = (2, 4),
        word_ngrams: tuple[int, int] = (1, 2),
        metadata: bool = True,
    ) -> None:
        self.n_features = n_features
        self.char_ngrams = char_ngrams
        self.word_ngrams = word_ngrams
        self.metadata = metadata

    def fit(self, X: Any = None, y: Any = None) -> CommentFeaturizer:
        """Nothing to learn (hashing); present for the Pipeline protocol."""
        self.n_features_out_ = self.n_output
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    @property
    def n_output(self) -> int:
        """Number of output columns (hashed text features plus META)."""
        return int(self.n_features) + (len(META) if self.metadata else 0)

    def _hasher(self) -> FeatureHasher:
        return FeatureHasher(
            n_features=int(self.n_features),
            input_type="string",
            alternate_sign=False,
            dtype=np.float64,
        )

    def hash_names(self, names: Iterable[str]) -> np.ndarray:
        """Column index of each hashed-feature name (the same hashing as ``transform``)."""
        names = list(names)
        if not names:
            return np.zeros(0, dtype=np.int64)
        matrix = self._hasher().transform([[name] for name in names])
        return np.asarray(matrix.indices, dtype=np.int64)

    def transform(self, X: Sequence[Comment | str]) -> sp.csr_matrix:
        """The feature matrix of a batch of comments (rows in input order)."""
        char_ngrams = (int(self.char_ngrams[0]), int(self.char_ngrams[1]))
        word_ngrams = (int(self.word_ngrams[0]), int(self.word_ngrams[1]))
        bags: list[list[str]] = []
        metas: list[list[float]] = []
        for comment in X:
            bag = text_features(normalize(_field(comment, "text")), char_ngrams, word_ngrams)
            if self.metadata:
                meta = extract_metadata(comment)
                bag.extend(field_features(meta))
                metas.append(meta.vector())
            bags.append(bag)
        hashed = self._hasher().transform(bags).tocsr()
        hashed.data[:] = 1.0
        norms = np.sqrt(np.diff(hashed.indptr)).astype(np.float64)
        norms[norms == 0] = 1.0
        hashed.data /= np.repeat(norms, np.diff(hashed.indptr))
        if not self.metadata:
            return hashed
        return sp.hstack([hashed, sp.csr_matrix(np.asarray(metas))], format="csr")
