"""Calibration experiment: does fitting the calibrator on the *unweighted*
validation split (the rows as they come) instead of the class-balanced weights
lower the expected calibration error on the held-out test split?

No refit: uses a trained model's classifier weights, re-fits only the Platt /
isotonic map on the trainer's validation split (same seed as the model card),
and measures ECE and ROC-AUC on the test split. The test split is never used to
choose anything here.

    nice .venv/bin/python experiments/calibration.py [MODEL_DIR] [DATA]
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from classifier import load_model
from classifier.data import load_labeled
from classifier.evaluate import expected_calibration_error
from classifier.train import Recipe, head_rows, sample_weights, split_dataset


def main() -> None:
    model = load_model(sys.argv[1] if len(sys.argv) > 1 else None)
    data = sys.argv[2] if len(sys.argv) > 2 else "../shared/datasets"
    rows, _ = load_labeled([data])
    splits = split_dataset(rows, seed=int(model.card["seed"]))
    recipe = Recipe()
    print(f"model {model.version}; ECE on the test split (10 equal-width bins)")
    for head in ("spam", "toxicity"):
        v_rows, v_y, v_groups = head_rows(splits.val, head)
        t_rows, t_y, _ = head_rows(splits.test, head)
        h = model.heads[head]
        v_d = h.decision(model.featurizer.transform([r.comment() for r in v_rows]))
        t_d = h.decision(model.featurizer.transform([r.comment() for r in t_rows]))
        weighted = sample_weights(head, v_y, v_groups, recipe)
        variants = {
            "shipped calibrator": h.calibrate(t_d),
        }
        for name, w in (("platt, balanced weights", weighted), ("platt, unweighted", None)):
            platt = LogisticRegression(C=1e6, max_iter=1000)
            platt.fit(v_d.reshape(-1, 1), v_y, sample_weight=w)
            variants[name] = platt.predict_proba(t_d.reshape(-1, 1))[:, 1]
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(v_d, v_y)
        variants["isotonic, unweighted"] = iso.predict(t_d)
        datasets = sorted({r.dataset for r in t_rows})
        for name, p in variants.items():
            per = []
            for ds in datasets:
                m = np.array([r.dataset == ds for r in t_rows])
                per.append(f"{ds[:14]} {expected_calibration_error(t_y[m], p[m]):.3f}")
            print(
                f"{head:<9} {name:<24} pooled ECE {expected_calibration_error(t_y, p):.3f}  "
                + "  ".join(per)
            )


if __name__ == "__main__":
    main()
