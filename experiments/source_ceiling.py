"""In-source ceiling of the toxicity head on one dataset: train on that dataset's
train + validation split only (no other source, no weighting), test on its test split.

    OMP_NUM_THREADS=1 nice .venv/bin/python experiments/source_ceiling.py ../shared/datasets olid
"""

from __future__ import annotations

import sys
from dataclasses import replace

import numpy as np
from sklearn.metrics import roc_auc_score

from classifier.data import load_labeled
from classifier.train import DEFAULT_SEED, Recipe, fit_classifier, split_dataset


def main() -> None:
    data, datasets = sys.argv[1], sys.argv[2:]
    recipe = Recipe()
    featurizer = recipe.featurizer()
    for dataset in datasets:
        rows, _ = load_labeled([f"{data}/{dataset}"])
        rows = [r for r in rows if r.toxic is not None]
        splits = split_dataset(rows, seed=DEFAULT_SEED)
        train = list(splits.train) + list(splits.val)
        x_train = featurizer.transform([r.comment() for r in train])
        x_test = featurizer.transform([r.comment() for r in splits.test])
        y_train = np.array([r.toxic for r in train])
        y_test = np.array([r.toxic for r in splits.test])
        for c in (0.5, 1.0, 4.0):
            weights = np.ones(len(y_train))
            clf = fit_classifier(
                "toxicity", x_train, y_train, weights, replace(recipe, toxicity_c=c)
            )
            auc = roc_auc_score(y_test, clf.decision_function(x_test))
            print(f"{dataset} C {c}: train {len(train)}, test {len(y_test)}, ROC-AUC {auc:.3f}")


if __name__ == "__main__":
    main()
