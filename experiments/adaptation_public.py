"""What an adaptation run's candidates cost on the public data: ROC-AUC per public
held-out set (the base data's test split, as the gate sees it) of each step's candidate
against the base model ("before"), not against the model current at the time.

    .venv/bin/python experiments/adaptation_public.py var/experiments/adaptation/<run> \\
        --data var/experiments/adaptation/<run>/base

Prints one JSON line per step: the worst change on a set with at least 20 of each class
and every set's change.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from classifier import load_model
from classifier.data import dedupe, load_labeled
from classifier.retraining import GATE_MIN_PER_CLASS, compare_models
from classifier.train import DEFAULT_SEED, split_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="a run directory of experiments/adaptation.py")
    parser.add_argument("--data", type=Path, required=True, help="the run's base data folder")
    args = parser.parse_args()
    results = json.loads((args.run / "results.json").read_text())
    rows, _ = load_labeled([args.data])
    test = split_dataset(dedupe(rows), seed=DEFAULT_SEED).test
    before = load_model(args.run / "models" / results["before"]["version"])
    for step in results["steps"]:
        candidate = load_model(args.run / "models" / step["candidate"])
        sets = [s for s in compare_models(candidate, before, test) if s.head == "toxicity"]
        big = [s for s in sets if s.smaller_class >= GATE_MIN_PER_CLASS]
        worst = min(big, key=lambda s: s.delta)
        print(
            json.dumps(
                {
                    "feed": results["feed"],
                    "seed": results["seed"],
                    "decisions": step["decisions"],
                    "worst": [worst.name, round(worst.delta, 4), round(worst.se, 4)],
                    "sets": {s.name: round(s.delta, 4) for s in sets},
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
