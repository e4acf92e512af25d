"""Leave-one-source-out with the full trainer (``fit_model``), optionally with a
changed recipe: the script behind the LOSO table in FINDINGS.md.

    nice .venv/bin/python experiments/loso.py ../shared/datasets [key=value,...] [--only a,b]
    # same as `modq evaluate --loso --data ../shared/datasets` when no recipe change is given
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from classifier.data import load_labeled
from classifier.loso import format_loso, results_json, run_loso
from classifier.train import DEFAULT_SEED

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loso_fast import parse_variant


def main() -> None:
    args = sys.argv[1:]
    only: list[str] = []
    if "--only" in args:
        i = args.index("--only")
        only = args[i + 1].split(",")
        del args[i : i + 2]
    data = args[0]
    variant = args[1] if len(args) > 1 else "default"
    recipe = parse_variant(variant)
    rows, _ = load_labeled([data])
    results = run_loso(rows, seed=DEFAULT_SEED, recipe=recipe, only=only, say=print)
    print(f"recipe: {variant}")
    print(format_loso(results))
    out = Path("var/loso") / f"loso-{variant.replace('=', '_').replace(',', '+')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results_json(results), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
