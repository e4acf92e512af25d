"""Fast leave-one-source-out for comparing toxicity recipe variants (ROC-AUC only).

The featurizer is stateless (hashing), so every row is vectorized once per
featurizer setting; each fold then fits only the toxicity logistic regression
exactly as ``classifier.train.fit_model`` does (``head_rows``,
``sample_weights``, ``fit_classifier``) on the
trainer's train split of the other sources (``spam:`` variants: of the other YouTube
videos, with SMS and conversation rows as the recipe mixes them). Calibration is monotone and does
not change ROC-AUC, so it is skipped. The reported LOSO numbers come from
``modq evaluate --loso`` (full ``fit_model``); use this only to compare variants,
and say so when a variant is chosen after looking at these numbers.

    nice .venv/bin/python experiments/loso_fast.py ../shared/datasets toxicity:toxicity_c=1 \
        spam:spam_c=2 spam:default
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from classifier import peer
from classifier.data import LabeledComment, load_labeled
from classifier.harmonize import row_factors
from classifier.loso import toxicity_domain
from classifier.train import (
    DEFAULT_SEED,
    Recipe,
    fit_classifier,
    head_rows,
    sample_weights,
    split_dataset,
)


def parse_variant(text: str) -> Recipe:
    """``key=value,key=value`` -> a Recipe with those fields changed (a mapping is
    written ``name:number+name:number``, a tuple ``low-high``)."""
    recipe = Recipe()
    if text in ("", "default"):
        return recipe
    changes: dict[str, object] = {}
    for part in text.split(","):
        key, value = part.split("=", 1)
        current = getattr(recipe, key)
        if isinstance(current, bool):
            changes[key] = value.lower() in ("1", "true", "yes")
        elif isinstance(current, Mapping):  # spam_weights=youtube_spam:1+sms_spam:0.25
            changes[key] = {k: float(v) for k, v in (kv.split(":") for kv in value.split("+"))}
        elif key in ("harmonize", "crossfit", "calibrate_unweighted", "review_unweighted"):
            changes[key] = tuple(v for v in value.split("+") if v)  # harmonize=a+b
        elif isinstance(current, tuple):
            changes[key] = tuple(int(v) for v in value.split("-"))
        else:
            changes[key] = type(current)(value)
    return replace(recipe, **changes)  # type: ignore[arg-type]


def _units(rows: list[LabeledComment], head: str) -> list[str]:
    if head == "toxicity":
        return sorted({toxicity_domain(r) for r in rows if r.toxic is not None})
    return sorted({r.extra.get("video", "") for r in rows if r.dataset == "youtube_spam"} - {""})


def _held(r: LabeledComment, head: str, unit: str) -> bool:
    if head == "toxicity":
        return toxicity_domain(r) == unit
    return r.dataset == "youtube_spam" and r.extra.get("video") == unit


def fold_training(
    rows: list[LabeledComment], head: str, unit: str, recipe: Recipe
) -> tuple[list[LabeledComment], np.ndarray, np.ndarray]:
    """A fold's training rows for ``head`` without ``unit``: the trainer's train split
    of the other units, with their labels and the recipe's sample weights."""
    keep = [r for r in rows if not _held(r, head, unit)]
    train = split_dataset(keep, seed=DEFAULT_SEED).train
    h_rows, labels, groups = head_rows(train, head)
    factors = row_factors(h_rows, recipe.harmonize) if head == "toxicity" else None
    return h_rows, labels, sample_weights(head, labels, groups, recipe, factors)


def main() -> None:
    args = sys.argv[1:]
    only: list[str] = []
    if "--only" in args:  # --only olid,civil: these held-out units only
        i = args.index("--only")
        only = args[i + 1].split(",")
        del args[i : i + 2]
    data = args[0]
    # each variant: [spam:|toxicity:]key=value,... (default head: toxicity)
    variants = [v if ":" in v.split("=", 1)[0] else f"toxicity:{v}" for v in args[1:]]
    variants = variants or ["toxicity:default"]
    rows, _ = load_labeled([data])
    index = {id(r): i for i, r in enumerate(rows)}
    if any(v.startswith("toxicity:") for v in variants):
        line = []
        for unit in _units(rows, "toxicity"):
            if only and unit not in only:
                continue
            test = [r for r in rows if _held(r, "toxicity", unit) and r.toxic is not None]
            y = np.array([r.toxic for r in test])
            auc = roc_auc_score(y, peer.score_texts([r.text for r in test]))
            line.append(f"{unit[:12]} {auc:.3f}")
        print("peer     " + "  ".join(line), flush=True)
    cache: dict[tuple[object, ...], Any] = {}
    results: dict[str, dict[str, float]] = {}  # variant -> held-out unit -> ROC-AUC
    for variant in variants:
        head, text = variant.split(":", 1)
        label = "toxic" if head == "toxicity" else "spam"
        recipe = parse_variant(text)
        key = recipe.featurizer_key()
        if key not in cache:
            t0 = time.time()
            featurizer = recipe.featurizer()
            cache[key] = featurizer.transform([r.comment() for r in rows])
            print(f"  vectorized {len(rows)} rows in {time.time() - t0:.0f} s", flush=True)
        x = cache[key]
        out = []
        for unit in _units(rows, head):
            if only and unit not in only:
                continue
            h_rows, labels, weights = fold_training(rows, head, unit, recipe)
            clf = fit_classifier(head, x[[index[id(r)] for r in h_rows]], labels, weights, recipe)
            test = [r for r in rows if _held(r, head, unit) and getattr(r, label) is not None]
            y = np.array([getattr(r, label) for r in test])
            p = clf.decision_function(x[[index[id(r)] for r in test]])
            results.setdefault(variant, {})[unit] = float(roc_auc_score(y, p))
            out.append(f"{unit[:12]} {results[variant][unit]:.3f}")
            print(f"    {text}: {out[-1]}", flush=True)
        print(f"{variant:<8} " + "  ".join(out), flush=True)
    print_nested_choice(results)


def print_nested_choice(results: Mapping[str, Mapping[str, float]]) -> None:
    """For each held-out unit, the variant with the best mean ROC-AUC over the *other*
    units of its head, and what it scores on this one: a choice made without looking
    at the number it reports (same head's variants only)."""
    for head in sorted({v.split(":", 1)[0] for v in results}):
        mine = {v: r for v, r in results.items() if v.startswith(head + ":")}
        units = sorted(set.intersection(*(set(r) for r in mine.values())))
        if len(mine) < 2 or len(units) < 2:
            continue
        print(f"nested choice ({head}: each unit's variant chosen on the other units' mean)")
        for unit in units:
            others = [u for u in units if u != unit]
            chosen = max(mine, key=lambda v: float(np.mean([mine[v][u] for u in others])))
            print(f"  {unit[:28]:<28} {chosen:<40} {mine[chosen][unit]:.3f}", flush=True)


if __name__ == "__main__":
    main()
