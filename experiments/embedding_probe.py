"""Probe: do sentence embeddings add cross-source signal to the hashed n-grams?

Not part of the product. The embeddings are computed outside the project's
environment (``experiments/embed_texts.py``, FINDINGS section 9) and saved as
one ``.npy`` row per labeled row, in ``load_labeled`` order; ``dump`` writes
those rows' texts for it. For every held-out unit (toxicity source or
YouTube video) this fits, on the trainer's train split of the other units and
with the recipe's own weights:

- ``ngram``: the shipped recipe's logistic regression (``fit_classifier``);
- ``emb``: a logistic regression on the embedding alone;
- ``late``: the two decision values, each divided by its standard deviation on
  the training rows, added with equal weight (fixed, not tuned);

and prints each one's ROC-AUC on all labeled rows of the held-out unit.

    .venv/bin/python experiments/embedding_probe.py dump ../shared/datasets /tmp/texts.json
    OMP_NUM_THREADS=1 nice .venv/bin/python experiments/embedding_probe.py \
        ../shared/datasets /tmp/m2v.npy [--only olid,wiki_talk_context] [--head spam]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from classifier.data import load_labeled
from classifier.train import (
    Recipe,
    fit_classifier,
)

sys.path.insert(0, str(Path(__file__).parent))
from loso_fast import _held, _units, fold_training  # a sibling script


def main() -> None:
    args = sys.argv[1:]
    if args[0] == "dump":
        rows, _ = load_labeled([args[1]])
        with open(args[2], "w", encoding="utf-8") as out:
            json.dump([r.text for r in rows], out)
        return
    only: list[str] = []
    head = "toxicity"
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1].split(",")
        del args[i : i + 2]
    if "--head" in args:
        i = args.index("--head")
        head = args[i + 1]
        del args[i : i + 2]
    data, emb_path = args[0], args[1]
    rows, _ = load_labeled([data])
    emb = np.load(emb_path)
    assert emb.shape[0] == len(rows), (emb.shape, len(rows))
    index = {id(r): i for i, r in enumerate(rows)}
    recipe = Recipe()
    t0 = time.time()
    x = recipe.featurizer().transform([r.comment() for r in rows])
    print(f"vectorized {len(rows)} rows in {time.time() - t0:.0f} s", flush=True)
    label = "toxic" if head == "toxicity" else "spam"
    for unit in _units(rows, head):
        if only and unit not in only:
            continue
        h_rows, labels, weights = fold_training(rows, head, unit, recipe)
        tr = [index[id(r)] for r in h_rows]
        ngram = fit_classifier(head, x[tr], labels, weights, recipe)
        dense = LogisticRegression(C=4.0, max_iter=2000).fit(emb[tr], labels, sample_weight=weights)
        test = [r for r in rows if _held(r, head, unit) and getattr(r, label) is not None]
        te = [index[id(r)] for r in test]
        y = np.array([getattr(r, label) for r in test])
        d1, d2 = ngram.decision_function(x[te]), dense.decision_function(emb[te])
        s1 = float(np.std(ngram.decision_function(x[tr])))
        s2 = float(np.std(dense.decision_function(emb[tr])))
        late = d1 / s1 + d2 / s2
        aucs = [roc_auc_score(y, d) for d in (d1, d2, late)]
        auc_text = "  ".join(
            f"{n} {a:.3f}" for n, a in zip(("ngram", "emb", "late"), aucs, strict=True)
        )
        print(f"{unit[:28]:<28} n={len(test):>6} {auc_text}", flush=True)


if __name__ == "__main__":
    main()
