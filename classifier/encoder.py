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

``minilm-l6-int8`` is the full all-MiniLM-L6-v2 encoder (384 dimensions), exported to
ONNX with int8 weights and run by ``onnxruntime`` on one thread (``OnnxEncoder``). Its
22 MB file does not ship in the package: ``make encoder-minilm`` builds it once into
``$MODQ_DATA_DIR/encoders/`` (``scripts/build_encoder_minilm.py``, torch at build time
only), and ``onnxruntime`` comes with the ``minilm`` extra. Encoders are looked up in
the package first, then in that directory.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from tokenizers import Tokenizer

from classifier.paths import encoders_dir

# The Rust tokenizer's own thread pool only ever sees a batch's new words; left on, it
# would warn (and turn itself off) in every worker gunicorn forks after a warm-up score.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ENCODERS_DIR = Path(__file__).resolve().parent / "encoders"
STATIC = "static-minilm-256"
MINILM = "minilm-l6-int8"
DEFAULT_ENCODER = STATIC
# Encoders too large for the package, and the command that builds each
BUILT_BY = {MINILM: "make encoder-minilm"}
MAX_PIECES = 512  # word pieces read per comment; longer comments are cut
_WORD_CACHE = 200_000  # words whose pieces are remembered
# BERT's pre-tokenizer cuts at spaces and around every punctuation character; a word it
# cuts further (an underscore, CJK) is cut by the tokenizer itself when first seen
_WORD = re.compile(r"\w+|[^\w\s]")


class EncoderError(Exception):
    """An encoder's files are missing or do not fit together."""


class SentenceEncoder(Protocol):
    """What a model reads from an encoder: its name, width, fingerprint and vectors."""

    name: str
    dim: int
    sha256: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalized float32 row per text."""
        ...


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


class OnnxEncoder:
    """A transformer encoder in ONNX under onnxruntime: mean of its last hidden state
    over the comment's word pieces (at most ``max_pieces``, [CLS] and [SEP] included),
    L2-normalized, as sentence-transformers pools all-MiniLM-L6-v2. An empty comment
    still has [CLS] and [SEP], so its row is not zeros (the static encoder's is)."""

    def __init__(self, name: str, directory: Path) -> None:
        model_path, tokenizer_path = directory / "model.onnx", directory / "tokenizer.json"
        meta_path = directory / "meta.json"
        if not (model_path.is_file() and tokenizer_path.is_file() and meta_path.is_file()):
            raise EncoderError(
                f"encoder {name}: {directory} lacks model.onnx, tokenizer.json or meta.json"
                + _build_hint(name)
            )
        try:
            import onnxruntime as ort
        except ImportError as error:
            raise EncoderError(
                f"encoder {name} runs under onnxruntime, which is not installed: "
                "pip install 'modq[minilm]'"
            ) from error
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        self.name = name
        self.dim = int(meta["dimensions"])
        self.max_pieces = int(meta.get("max_pieces", 128))
        self.sha256 = hashlib.sha256(model_path.read_bytes()).hexdigest()
        expected = meta.get("model_sha256")
        if expected is not None and expected != self.sha256:
            raise EncoderError(
                f"encoder {name}: model.onnx does not match the sha256 in meta.json"
                + _build_hint(name)
            )
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=self.max_pieces)
        options = ort.SessionOptions()
        # one gunicorn worker per core: a thread pool would only contend with the others
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}
        # One comment per run. int8 dynamic quantization scales each layer's activations
        # by the batch's largest value, so a batched comment's vector depended on its
        # batch mates (cosine down to 0.953 against the same comment alone) and strayed
        # further from fp32 (min 0.956 vs 0.973 alone). Alone, the vector a model was
        # fitted on is the one served; batches of 32 took only 23 % less time per comment.
        self.batch_size = 1
        self._output = str(meta.get("output", "last_hidden_state"))

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalized float32 row per text, in the order given.

        With ``batch_size`` above 1, texts run in chunks of similar length (sorted by
        word pieces), so a short comment is not padded to the longest of the batch."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        step = max(1, self.batch_size)
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            out[rows] = self._run([encodings[i].ids for i in rows])
        return out

    def _run(self, pieces: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in pieces)
        ids = np.zeros((len(pieces), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, row_ids in enumerate(pieces):
            ids[row, : len(row_ids)] = row_ids
            mask[row, : len(row_ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(
            [self._output], {k: v for k, v in feeds.items() if k in self._inputs}
        )[0]
        # padding must not count: mean over the comment's own pieces only
        weights = mask.astype(np.float32)
        sums = np.einsum("bpd,bp->bd", hidden.astype(np.float32, copy=False), weights)
        sums /= np.maximum(weights.sum(axis=1, keepdims=True), 1.0)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        return np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)


def _build_hint(name: str) -> str:
    command = BUILT_BY.get(name)
    return f"; build it with `{command}` (writes {encoders_dir() / name})" if command else ""


def _directories() -> list[Path]:
    """Where encoders are looked up: the package's, then the data directory's."""
    return [ENCODERS_DIR, encoders_dir()]


def available() -> list[str]:
    """Names of the encoders this installation has: shipped in the package or built
    into ``$MODQ_DATA_DIR/encoders``."""
    names: set[str] = set()
    for root in _directories():
        if root.is_dir():
            names.update(
                p.name
                for p in root.iterdir()
                if (p / "vectors.npy").is_file() or (p / "model.onnx").is_file()
            )
    return sorted(names)


@functools.lru_cache(maxsize=4)
def get_encoder(name: str = DEFAULT_ENCODER) -> SentenceEncoder:
    """The encoder ``name``, loaded once per process."""
    for root in _directories():
        directory = root / name
        if (directory / "vectors.npy").is_file():
            return StaticEncoder(name, directory)
        if (directory / "model.onnx").is_file():
            return OnnxEncoder(name, directory)
    if name in BUILT_BY:
        raise EncoderError(f"encoder {name!r} is not built on this machine{_build_hint(name)}")
    raise EncoderError(
        f"unknown encoder {name!r}; this installation has: {', '.join(available()) or 'none'}"
    )
