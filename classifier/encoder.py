"""Sentence vectors for the site adapter: static token vectors, no neural network at run time.

``static-minilm-256`` holds one 256-dimensional vector per word piece of
all-MiniLM-L6-v2's vocabulary (Apache-2.0), distilled from that encoder with
``model2vec`` (``experiments/distill_static.py``: each word piece's encoder output,
PCA to 256 dimensions, Zipf weighting). A comment's vector is the mean of its word
pieces' vectors, L2-normalized: a tokenizer and one sparse product, about 40 times
cheaper than running the encoder, and it carries meaning across words the site's
labels never used ("vermin" near "parasites"), which hashed n-grams cannot.

The files ship in the package (``classifier/encoders/<name>/``: ``tokenizer.json``,
``vectors.npy`` in float16); nothing downloads at run time. An encoder is loaded once
per process and shared by every model that names it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from tokenizers import Tokenizer

# The Rust tokenizer's own thread pool only ever sees a batch's new words; left on, it
# would warn (and turn itself off) in every worker gunicorn forks after a warm-up score.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ENCODERS_DIR = Path(__file__).resolve().parent / "encoders"
STATIC = "static-minilm-256"
DEFAULT_ENCODER = STATIC
MAX_PIECES = 512  # word pieces read per comment; longer comments are cut
_WORD_CACHE = 200_000  # words whose pieces are remembered
# BERT's pre-tokenizer cuts at spaces and around every punctuation character; a word it
# cuts further (an underscore, CJK) is cut by the tokenizer itself when first seen
_WORD = re.compile(r"\w+|[^\w\s]")


class EncoderError(Exception):
    """An encoder's files are missing or do not fit together."""


class StaticEncoder:
    """Mean of static word-piece vectors, L2-normalized (``encode``)."""

    def __init__(self, name: str, directory: Path) -> None:
        tokenizer_path, vectors_path = directory / "tokenizer.json", directory / "vectors.npy"
        if not tokenizer_path.is_file() or not vectors_path.is_file():
            raise EncoderError(f"encoder {name}: {directory} lacks tokenizer.json or vectors.npy")
        self.name = name
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        # float16 on disk and in memory (15 MB, not 30, in every worker); each batch
        # widens only the rows of the pieces it uses
        self.vectors = np.load(vectors_path, allow_pickle=False)
        self.dim = int(self.vectors.shape[1])
        meta_path = directory / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        self.unknown = meta.get("unk_id")  # model2vec leaves unknown pieces out of the mean
        self.sha256 = hashlib.sha256(vectors_path.read_bytes()).hexdigest()
        if len(self.vectors) < self.tokenizer.get_vocab_size():
            raise EncoderError(f"encoder {name}: fewer vectors than the tokenizer's vocabulary")
        encode_fast = getattr(self.tokenizer, "encode_batch_fast", None)
        self._encode_batch = encode_fast or self.tokenizer.encode_batch
        self._words: dict[str, list[int]] = {}

    def piece_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's word-piece ids (no special tokens, unknown pieces left out).

        The text is cut at spaces and punctuation (where BERT's pre-tokenizer cuts too) and
        each word's pieces come from a cache: the Rust tokenizer runs only on words not
        seen before. Tokenizing every comment whole cost twice as much as scoring it."""
        cache = self._words
        words = [_WORD.findall(text.lower()) for text in texts]
        missing = {word for row in words for word in row if word not in cache}
        if missing:
            if len(cache) + len(missing) > _WORD_CACHE:
                cache.clear()  # a flood of one-off words must not grow it without bound
            learned = sorted(missing)
            unknown = self.unknown
            for word, encoding in zip(
                learned, self._encode_batch(learned, add_special_tokens=False), strict=True
            ):
                cache[word] = [i for i in encoding.ids if i != unknown]
        out = []
        for row in words:
            ids: list[int] = []
            for word in row:
                ids += cache[word]
            out.append(ids[:MAX_PIECES])
        return out

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalized row per text (a text without word pieces: zeros)."""
        ids = self.piece_ids(texts)
        if len(ids) == 1:  # one comment (an intake request): no sparse matrix to build
            sums = self.vectors[ids[0]].astype(np.float32).sum(axis=0, keepdims=True)
        else:
            sums = self._sums(ids)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)

    def _sums(self, ids: list[list[int]]) -> np.ndarray:
        lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(
            (i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum())
        )
        indptr = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        # a (texts x pieces used) count matrix times those pieces' vectors: no copy of
        # every occurrence's vector, nor of the whole table
        used, column = np.unique(flat, return_inverse=True)
        counts = sp.csr_matrix(
            (np.ones(len(flat), dtype=np.float32), column.ravel(), indptr),
            shape=(len(ids), len(used)),
        )
        return np.asarray(counts @ self.vectors[used].astype(np.float32), dtype=np.float32)


def available() -> list[str]:
    """Names of the encoders shipped in the package."""
    if not ENCODERS_DIR.is_dir():
        return []
    return sorted(p.name for p in ENCODERS_DIR.iterdir() if (p / "vectors.npy").is_file())


@functools.lru_cache(maxsize=4)
def get_encoder(name: str = DEFAULT_ENCODER) -> StaticEncoder:
    """The encoder ``name``, loaded once per process."""
    directory = ENCODERS_DIR / name
    if not directory.is_dir():
        raise EncoderError(
            f"unknown encoder {name!r}; this installation has: {', '.join(available()) or 'none'}"
        )
    return StaticEncoder(name, directory)
