"""The ONNX sentence encoder (MODQ_ENCODER=minilm), checked on a tiny graph built here.

The real encoder (``make encoder-minilm``, 22 MB) is not in the repository; its graph is
replaced by an embedding lookup (``Gather``) with the same inputs and output, and its
tokenizer by a small WordPiece one, in a temporary ``$MODQ_DATA_DIR/encoders``. One test
reads the real encoder when it has been built on this machine.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnx
import pytest
import skops.io
from onnx import TensorProto, helper, numpy_helper
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece

from classifier.adaptation import adapt_model
from classifier.encoder import (
    MINILM,
    STATIC,
    EncoderError,
    OnnxEncoder,
    available,
    get_encoder,
)
from classifier.model import TRUSTED_TYPES, Model, ModelError, load_model, save_model
from classifier.paths import encoders_dir
from service.moderation.model_holder import ModelHolder
from service.moderation.reload import ModelReloader
from tests.unit.classifier.test_adaptation import site_labels

DIM = 8
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
WORDS = [
    *["noob", "scrub", "hardstuck", "trashcan", "map", "patch", "ranked", "tonight"],
    *["clutch", "round", "what", "a", "great", "game", "word"],
    *[str(d) for d in range(10)],
    *[f"##{d}" for d in range(10)],
]


def _tokenizer() -> Tokenizer:
    vocab = {piece: i for i, piece in enumerate(SPECIAL + WORDS)}
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def _graph(table: np.ndarray, types: np.ndarray) -> onnx.ModelProto:
    """BERT's interface around an embedding lookup: last_hidden_state[b, p] =
    table[input_ids[b, p]] + types[token_type_ids[b, p]] (attention_mask unread)."""
    pieces = ["batch", "pieces"]
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["table", "input_ids"], ["words"]),
            helper.make_node("Gather", ["types", "token_type_ids"], ["kinds"]),
            helper.make_node("Add", ["words", "kinds"], ["last_hidden_state"]),
        ],
        "tiny-encoder",
        [
            helper.make_tensor_value_info(name, TensorProto.INT64, pieces)
            for name in ("input_ids", "attention_mask", "token_type_ids")
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, [*pieces, DIM])],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(types, "types")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8  # readable by every onnxruntime the extra allows
    onnx.checker.check_model(model)
    return model


def write_tiny_encoder(directory: Path, seed: int = 0) -> np.ndarray:
    """A tiny encoder's files in ``directory``; returns its embedding table."""
    rng = np.random.default_rng(seed)
    table = rng.normal(size=(len(SPECIAL) + len(WORDS), DIM)).astype(np.float32)
    types = np.zeros((2, DIM), dtype=np.float32)
    directory.mkdir(parents=True)
    (directory / "model.onnx").write_bytes(_graph(table, types).SerializeToString())
    _tokenizer().save(str(directory / "tokenizer.json"))
    meta = {
        "dimensions": DIM,
        "max_pieces": 128,
        "model_sha256": hashlib.sha256((directory / "model.onnx").read_bytes()).hexdigest(),
    }
    (directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return table


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh MODQ_DATA_DIR, and no encoder remembered from another test."""
    monkeypatch.setenv("MODQ_DATA_DIR", str(tmp_path))
    get_encoder.cache_clear()
    yield tmp_path
    get_encoder.cache_clear()


@pytest.fixture
def tiny(data_dir: Path) -> tuple[OnnxEncoder, np.ndarray]:
    """A tiny encoder built where ``make encoder-minilm`` writes, under the minilm name."""
    table = write_tiny_encoder(encoders_dir() / MINILM)
    encoder = get_encoder(MINILM)
    assert isinstance(encoder, OnnxEncoder)
    return encoder, table


def _mean(table: np.ndarray, ids: list[int]) -> np.ndarray:
    row = table[ids].mean(axis=0)
    return row / np.linalg.norm(row)


def test_the_encoder_is_found_in_the_data_directory(tiny: tuple[OnnxEncoder, np.ndarray]) -> None:
    encoder, _ = tiny
    assert available() == sorted([MINILM, STATIC])  # the package's and the data dir's
    assert get_encoder(MINILM) is encoder  # loaded once per process
    assert encoder.dim == DIM and encoder.name == MINILM
    model_file = encoders_dir() / MINILM / "model.onnx"
    assert encoder.sha256 == hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert get_encoder(STATIC).dim == 256  # the shipped one still comes from the package


def test_rows_are_the_mean_over_the_pieces_with_cls_and_sep_normalized(
    tiny: tuple[OnnxEncoder, np.ndarray],
) -> None:
    encoder, table = tiny
    vectors = encoder.encode(["What a great game", "noob", "", "zzz unknown"])
    assert vectors.dtype == np.float32 and vectors.shape == (4, DIM)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    ids = encoder.tokenizer.encode("What a great game").ids
    assert ids[0] == 2 and ids[-1] == 3 and len(ids) == 6
    np.testing.assert_allclose(vectors[0], _mean(table, ids), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(vectors[2], _mean(table, [2, 3]), rtol=1e-5, atol=1e-6)


def test_padding_is_left_out_of_the_mean_and_batches_keep_the_input_order(
    tiny: tuple[OnnxEncoder, np.ndarray],
) -> None:
    encoder, _ = tiny
    texts = [
        "noob scrub hardstuck trashcan map patch ranked tonight clutch round",
        "noob",
        "what a great game 1234",
        "",
        "map",
        "great clutch round tonight",
    ]
    alone = np.vstack([encoder.encode([text]) for text in texts])
    assert encoder.batch_size == 1  # int8 graphs: a vector must not depend on batch mates
    for batch_size in (2, 4, 32):  # chunks sorted by length, each padded to its longest
        encoder.batch_size = batch_size
        np.testing.assert_allclose(encoder.encode(texts), alone, rtol=1e-5, atol=1e-6)
    assert encoder.encode([]).shape == (0, DIM)


def test_comments_are_cut_at_128_word_pieces_with_cls_and_sep(
    tiny: tuple[OnnxEncoder, np.ndarray],
) -> None:
    encoder, table = tiny
    words = ["noob", "map"] * 100
    assert len(encoder.tokenizer.encode(" ".join(words)).ids) == 128
    np.testing.assert_allclose(
        encoder.encode([" ".join(words)])[0],
        _mean(table, [2, *[encoder.tokenizer.token_to_id(w) for w in words[:126]], 3]),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        encoder.encode([" ".join(words)]), encoder.encode([" ".join([*words[:126], "clutch"])])
    )


def test_an_adapted_model_names_the_onnx_encoder_and_loads_with_it(
    tiny: tuple[OnnxEncoder, np.ndarray], tiny_model: Model, tmp_path: Path
) -> None:
    encoder, _ = tiny
    labels = site_labels(60)
    adapted, adaptations = adapt_model(tiny_model, labels, grid=[(3.0, 1.0)], encoder=MINILM)
    assert adapted.encoder_name == MINILM
    assert adaptations["toxicity"].embedding is not None
    card = adapted.card["adapter"]["encoder"]
    assert card == {"name": MINILM, "dimensions": DIM, "vectors_sha256": encoder.sha256}

    save_model(adapted, tmp_path / "m")
    state = skops.io.load(tmp_path / "m" / "model.skops", trusted=list(TRUSTED_TYPES))
    assert state["format"] == 2 and state["encoder"] == MINILM
    assert state["heads"]["toxicity"]["embedding"].shape == (DIM,)
    loaded = load_model(tmp_path / "m")
    comments = [r.comment() for r in labels[:10]] + ["what a noob", ""]
    np.testing.assert_allclose(
        loaded.predict_proba(comments)["toxicity"], adapted.predict_proba(comments)["toxicity"]
    )

    # the same model where the encoder is not built: refused, saying how to build it
    (encoders_dir() / MINILM / "model.onnx").unlink()
    get_encoder.cache_clear()
    with pytest.raises(ModelError, match="make encoder-minilm"):
        load_model(tmp_path / "m")

    # promoted there, it is logged and the serving model stays
    registry = tmp_path / "models"
    shutil.copytree(tmp_path / "m", registry / adapted.version)
    holder = ModelHolder(tiny_model)
    reloader = ModelReloader(holder, registry, 60.0)
    (registry / "CURRENT").write_text(adapted.version + "\n", encoding="utf-8")
    assert reloader.check() is False
    assert holder.get() is tiny_model


def test_a_missing_encoder_names_the_command_that_builds_it(data_dir: Path) -> None:
    with pytest.raises(EncoderError, match=r"not built.*`make encoder-minilm`") as error:
        get_encoder(MINILM)
    assert str(data_dir / "encoders" / MINILM) in str(error.value)


def test_a_changed_model_file_is_refused(data_dir: Path) -> None:
    directory = encoders_dir() / MINILM
    write_tiny_encoder(directory)
    meta = json.loads((directory / "meta.json").read_text())
    (directory / "meta.json").write_text(json.dumps(meta | {"model_sha256": "0" * 64}))
    with pytest.raises(EncoderError, match="sha256"):
        get_encoder(MINILM)


def test_without_onnxruntime_the_error_names_the_extra(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_encoder(encoders_dir() / MINILM)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import fails
    with pytest.raises(EncoderError, match=r"pip install 'modq\[minilm\]'"):
        get_encoder(MINILM)


# Invented; the first two say the same thing in other words
PARAPHRASES = [
    "You people are vermin and should go back where you came from.",
    "Those people are parasites, send them all home.",
    "What time does the library open on Sundays?",
    "Thanks for the recipe, the bread came out great.",
]


def test_the_built_minilm_encoder_matches_the_reference_it_was_built_with() -> None:
    directory = encoders_dir() / MINILM
    if not (directory / "model.onnx").is_file():
        pytest.skip(f"minilm encoder not built here ({directory}): make encoder-minilm")
    pytest.importorskip("onnxruntime")
    get_encoder.cache_clear()
    encoder = get_encoder(MINILM)
    meta = json.loads((directory / "meta.json").read_text())
    assert encoder.dim == 384 and encoder.sha256 == meta["model_sha256"]
    # the fp32 torch vectors the build stored: this run-time's tokenizing and pooling
    reference = np.load(directory / "check.npy")
    cosines = (encoder.encode(meta["check"]["sentences"]) * reference).sum(axis=1)
    assert cosines.min() > 0.95 and cosines.mean() > 0.98
    v = encoder.encode(PARAPHRASES)
    similar, unrelated = float(v[0] @ v[1]), max(float(v[0] @ v[2]), float(v[0] @ v[3]))
    assert similar > unrelated + 0.2
