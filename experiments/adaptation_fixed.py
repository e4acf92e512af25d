"""The site adapter at fixed penalties, without its cross-validation: a cheap look at
what the embedding block can add, for choosing the search grid.

The same held-out sources, halves, label order and anchors as
``adaptation_offline.py``, but for each ``C:scale`` given the adapter fits the toxicity
head once on all the fed decisions (no nested cross-validation, no gate) and prints
the ROC-AUC on the measured half. Picking the best line afterwards tunes on the
measured half: the numbers are an upper bound of what the adapter's own choice reaches.

    nice -n 15 .venv/bin/python experiments/adaptation_fixed.py olid 7 500 3:0,1:2,3:2 \\
        --data ../shared/datasets
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import expit
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adaptation import feed_halves
from adaptation_offline import SOURCES, as_records, base_model

from classifier.adaptation import ANCHOR_WEIGHT, ANCHORS, _Problem, anchor_rows
from classifier.data import dedupe, load_labeled
from classifier.encoder import STATIC, get_encoder
from classifier.retraining import moderator_rows
from classifier.train import DEFAULT_SEED, head_rows, split_dataset

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", choices=sorted(SOURCES))
    parser.add_argument("seed", type=int)
    parser.add_argument("decisions", type=int)
    parser.add_argument("penalties", help="comma-separated C:scale (scale 0: n-grams only)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--bases", type=Path, default=ROOT / "var" / "experiments" / "bases")
    args = parser.parse_args()
    started = time.perf_counter()
    before, base_dir = base_model(args.data, args.source, args.bases)
    base_rows, _ = load_labeled([base_dir])
    anchors = anchor_rows(split_dataset(dedupe(base_rows), seed=DEFAULT_SEED).val, ANCHORS)
    anchors, _, _ = head_rows(anchors, "toxicity")
    fed, measured = feed_halves(
        args.data / SOURCES[args.source][1] / "data.csv", {r.text.strip() for r in base_rows},
        args.seed,
    )  # fmt: skip
    labels = moderator_rows(as_records(fed[: args.decisions]))
    rows, y, _ = head_rows(labels, "toxicity")
    encoder, head = get_encoder(STATIC), before.heads["toxicity"]
    X = before.featurizer.transform([r.comment() for r in rows + anchors])
    V = encoder.encode([r.text for r in rows + anchors]).astype(np.float64)
    n = len(rows)
    base = head.decision(X)
    target = np.concatenate([y.astype(np.float64), expit(base[n:])])
    weight = np.ones(len(base))
    weight[n:] = ANCHOR_WEIGHT * n / len(anchors)
    problem = _Problem.build(X, base, target, weight, n, V)
    truth = np.asarray([int(r["toxic"]) for r in measured])
    Xm = before.featurizer.transform([{"text": r["text"]} for r in measured])
    Vm = encoder.encode([r["text"] for r in measured]).astype(np.float64)
    base_m = head.decision(Xm)
    print(
        f"{args.source} seed {args.seed}, {args.decisions} decisions ({int(y.sum())} toxic), "
        f"measured {len(truth)} ({int(truth.sum())} toxic): before "
        f"{roc_auc_score(truth, base_m):.4f} ({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    for item in args.penalties.split(","):
        c, scale = (float(x) for x in item.split(":"))
        t = time.perf_counter()
        fit = problem.fit(np.arange(n), (c, scale))
        r = problem.sparse_rank
        z = fit.scale * base_m + fit.shift + Xm @ (X.T @ (problem.to_alpha @ fit.beta[:r]))
        if fit.embedding_scale > 0:
            z = z + Vm @ (fit.embedding_scale * fit.beta[r:])
        print(
            f"  C {c:g}, embedding scale {scale:g}: {roc_auc_score(truth, z):.4f} "
            f"({time.perf_counter() - t:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
