"""How far a site fit could go with every label of the fed half, not a few hundred: the
base model's logit plus a sentence vector, a logistic regression with its penalty chosen
by cross-validation on the fed half, measured on the untouched half (the same halves as
``adaptation_offline.py``). If even this stays below ``before + 0.05``, a lift of 0.05
from 500 decisions is out of reach for that source with that encoder.

    nice -n 10 .venv/bin/python experiments/adaptation_ceiling.py olid 7 minilm-l6-int8
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegressionCV
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adaptation import feed_halves
from adaptation_offline import SOURCES, base_model

from classifier.data import load_labeled
from classifier.encoder import get_encoder

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", choices=sorted(SOURCES))
    parser.add_argument("seed", type=int)
    parser.add_argument("encoder")
    parser.add_argument("--limit", type=int, default=0, help="at most this many fed rows")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--bases", type=Path, default=ROOT / "var" / "experiments" / "bases")
    args = parser.parse_args()
    started = time.perf_counter()
    before, base_dir = base_model(args.data, args.source, args.bases)
    base_rows, _ = load_labeled([base_dir])
    fed, measured = feed_halves(
        args.data / SOURCES[args.source][1] / "data.csv",
        {r.text.strip() for r in base_rows},
        args.seed,
    )
    if args.limit:
        fed = fed[: args.limit]
    head, encoder = before.heads["toxicity"], get_encoder(args.encoder)

    def features(rows: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
        X = before.featurizer.transform([{"text": r["text"]} for r in rows])
        d = head.decision(X)
        return d, np.hstack([d.reshape(-1, 1), encoder.encode([r["text"] for r in rows])])

    y_fed = np.asarray([int(r["toxic"]) for r in fed])
    y_measured = np.asarray([int(r["toxic"]) for r in measured])
    _, F_fed = features(fed)
    d_measured, F_measured = features(measured)
    fit = LogisticRegressionCV(
        Cs=[0.1, 0.3, 1, 3, 10, 30], cv=5, scoring="neg_log_loss", l1_ratios=(0.0,)
    )
    fit.fit(F_fed, y_fed)
    after = roc_auc_score(y_measured, fit.decision_function(F_measured))
    before_auc = roc_auc_score(y_measured, d_measured)
    print(
        f"{args.source} seed {args.seed} {args.encoder}: {len(fed)} fed labels "
        f"({int(y_fed.sum())} toxic), measured {len(measured)}: before {before_auc:.4f}, "
        f"base logit + sentence vector fitted on all of them {after:.4f} "
        f"({after - before_auc:+.4f}), C {float(fit.C_[0]):g} "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )


if __name__ == "__main__":
    main()
