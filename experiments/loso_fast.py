"""Fast leave-one-source-out for comparing toxicity recipe variants (ROC-AUC only).

The featurizer is stateless (hashing), so every row is vectorized once per
featurizer setting; each fold then fits only the toxicity logistic regression
exactly as ``classifier.train.fit_model`` does (``head_rows``,
``sample_weights``, ``LogisticRegression(C, max_iter, tol=1e-5)``) on the
trainer's train split of the other sources. Calibration is monotone and does
not change ROC-AUC, so it is skipped. The reported LOSO numbers come from
``modq evaluate --loso`` (full ``fit_model``); use this only to compare variants,
and say so when a variant is chosen after looking at these numbers.

    nice .venv/bin/python experiments/loso_fast.py ../shared/datasets toxicity_c=4 toxicity_c=1
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from classifier import peer
from classifier.data import load_labeled
from classifier.features import CommentFeaturizer
from classifier.loso import toxicity_domain
from classifier.train import DEFAULT_SEED, Recipe, head_rows, sample_weights, split_dataset


def parse_variant(text: str) -> Recipe:
    """``key=value,key=value`` -> a Recipe with those fields changed."""
    recipe = Recipe()
    if text in ("", "default"):
        return recipe
    changes: dict[str, object] = {}
    for part in text.split(","):
        key, value = part.split("=", 1)
        current = getattr(recipe, key)
        if isinstance(current, bool):
            changes[key] = value.lower() in ("1", "true", "yes")
        elif isinstance(current, tuple):
            changes[key] = tuple(int(v) for v in value.split("-"))
        else:
            changes[key] = type(current)(value)
    return replace(recipe, **changes)  # type: ignore[arg-type]


def main() -> None:
    data = sys.argv[1]
    variants = sys.argv[2:] or ["default"]
    rows, _ = load_labeled([data])
    tox = [r for r in rows if r.toxic is not None]
    domains = sorted({toxicity_domain(r) for r in tox})
    dom = np.array([toxicity_domain(r) for r in tox])
    y_all = np.array([r.toxic for r in tox])
    peer_p = peer.score_texts([r.text for r in tox])
    print(
        "peer    "
        + "  ".join(
            f"{d[:12]} {roc_auc_score(y_all[dom == d], peer_p[dom == d]):.3f}" for d in domains
        ),
        flush=True,
    )
    cache: dict[tuple[object, ...], object] = {}
    for text in variants:
        recipe = parse_variant(text)
        key = (recipe.n_features, recipe.char_ngrams, recipe.word_ngrams)
        if key not in cache:
            t0 = time.time()
            featurizer = CommentFeaturizer(
                n_features=recipe.n_features,
                char_ngrams=recipe.char_ngrams,
                word_ngrams=recipe.word_ngrams,
            ).fit()
            cache[key] = featurizer.transform([r.comment() for r in tox])
            print(f"  vectorized {len(tox)} rows in {time.time() - t0:.0f} s", flush=True)
        x = cache[key]
        index = {id(r): i for i, r in enumerate(tox)}
        out = []
        for held in domains:
            keep = [r for r in rows if toxicity_domain(r) != held]
            train = split_dataset(keep, seed=DEFAULT_SEED).train
            h_rows, labels, groups = head_rows(train, "toxicity")
            weights = sample_weights("toxicity", labels, groups, recipe)
            clf = LogisticRegression(C=recipe.toxicity_c, max_iter=recipe.max_iter, tol=1e-5)
            clf.fit(x[[index[id(r)] for r in h_rows]], labels, sample_weight=weights)  # type: ignore[index]
            test = dom == held
            p = clf.decision_function(x[np.flatnonzero(test)])  # type: ignore[index]
            out.append(f"{held[:12]} {roc_auc_score(y_all[test], p):.3f}")
            print(f"    {text}: {out[-1]}", flush=True)
        print(f"{text:<8} " + "  ".join(out), flush=True)


if __name__ == "__main__":
    main()
