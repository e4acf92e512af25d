"""Offline twin of ``adaptation.py`` for exploring: the same held-out sources, halves and
label order, but the labels go straight into ``classifier.adaptation.adapt_model`` (no
service, no Redis), so many variants are cheap. The base model per held-out source is
trained once and cached under ``--bases`` (``<bases>/<source>/models``).

    nice -n 10 .venv/bin/python experiments/adaptation_offline.py --source stormfront --seeds 7

Prints one JSON line per (source, seed, step): ROC-AUC on the measured half before and
after, the adapter's chosen C, and the gate's verdict against the base model (public
test split plus the cross-validated evidence on the labels).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))

from adaptation import base_folder, feed_halves

from classifier import load_model
from classifier.adaptation import (
    ANCHOR_WEIGHT,
    ANCHORS,
    adapt_model,
    anchor_rows,
    site_comparisons,
)
from classifier.data import dedupe, load_labeled
from classifier.encoder import DEFAULT_ENCODER, get_encoder
from classifier.model import Model
from classifier.promotion import list_models
from classifier.retraining import compare_models, decide, moderator_rows
from classifier.train import DEFAULT_SEED, split_dataset, train

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {
    "civil": (["civil_comments_autolabel", "toxic_spans_civil"], "civil_comments_autolabel"),
    "davidson": (["davidson_hate_offensive"], "davidson_hate_offensive"),
    "olid": (["olid"], "olid"),
    "stormfront": (["stormfront_hate"], "stormfront_hate"),
    "wiki_talk": (["wiki_talk_context"], "wiki_talk_context"),
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def base_model(data: Path, key: str, bases: Path) -> tuple[Model, Path]:
    """The cached base model trained without the source (trained now if missing)."""
    work = bases / key
    base = base_folder(data, set(SOURCES[key][0]), work)
    found = [m for m in list_models(work / "models") if not m.card.get("moderator_labels")]
    if not found:
        train([base], work / "models", progress=log)
        found = list_models(work / "models")
    return load_model(work / "models" / found[-1].version), base


def remember_vectors(name: str) -> None:
    """Make the (process-wide) encoder ``name`` remember each text's vector: every step and
    seed scores the same measured half and public test split again, and a full encoder
    takes milliseconds a comment."""
    encoder = get_encoder(name)
    encode, memory = encoder.encode, {}

    def remembered(texts):  # type: ignore[no-untyped-def]
        missing = list(dict.fromkeys(t for t in texts if t not in memory))
        if missing:
            memory.update(zip(missing, encode(missing), strict=True))
        return np.stack([memory[t] for t in texts]) if texts else encode(texts)

    encoder.encode = remembered  # type: ignore[method-assign]


def as_records(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """What the queue's label stream holds for these decisions (approve: spam 0, toxic 0;
    reject as toxic: toxic 1, spam unknown)."""
    return [
        {
            "id": f"m{i}",
            "text": r["text"],
            "toxic": r["toxic"],
            "spam": "0" if r["toxic"] == "0" else "",
        }
        for i, r in enumerate(rows)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "datasets")
    parser.add_argument("--source", required=True, help=f"comma-separated of {sorted(SOURCES)}")
    parser.add_argument("--seeds", default="7")
    parser.add_argument("--steps", default="100,250,500")
    parser.add_argument("--bases", type=Path, default=ROOT / "var" / "experiments" / "bases")
    parser.add_argument("--margin", type=float, default=0.01)
    parser.add_argument("--anchor-weights", default=str(ANCHOR_WEIGHT))
    parser.add_argument("--anchors", type=int, default=ANCHORS)
    parser.add_argument(
        "--encoder", default=DEFAULT_ENCODER, help="the embedding block's encoder, or none"
    )
    args = parser.parse_args()
    encoder = None if args.encoder == "none" else args.encoder
    if encoder:
        remember_vectors(encoder)
    for key in args.source.split(","):
        before, base_dir = base_model(args.data, key, args.bases)
        base_rows, _ = load_labeled([base_dir])
        base_texts = {r.text.strip() for r in base_rows}
        base_splits = split_dataset(dedupe(base_rows), seed=DEFAULT_SEED)
        anchors = anchor_rows(base_splits.val, args.anchors)
        for seed in [int(s) for s in args.seeds.split(",")]:
            fed, measured = feed_halves(args.data / SOURCES[key][1] / "data.csv", base_texts, seed)
            y = [int(r["toxic"]) for r in measured]
            texts = [{"text": r["text"]} for r in measured]
            auc_before = roc_auc_score(y, before.predict_proba(texts)["toxicity"])
            for step, weight in [
                (int(s), float(w))
                for s in args.steps.split(",")
                for w in args.anchor_weights.split(",")
            ]:
                started = time.perf_counter()
                labels = moderator_rows(as_records(fed[:step]))
                candidate, adaptations = adapt_model(
                    before,
                    labels,
                    anchors=anchors,
                    anchor_weight=weight,
                    encoder=encoder,
                    progress=log,
                )
                auc = roc_auc_score(y, candidate.predict_proba(texts)["toxicity"])
                decided = {r.text.strip() for r in labels}
                rows = [r for r in dedupe(base_rows) if r.text.strip() not in decided]
                test = split_dataset(rows, seed=DEFAULT_SEED).test
                sets = compare_models(candidate, before, test) + site_comparisons(adaptations)
                verdict = decide(sets, args.margin)
                public = [s for s in sets if s.name != "moderator" and s.smaller_class >= 20]
                print(
                    json.dumps(
                        {
                            "source": key,
                            "seed": seed,
                            "decisions": step,
                            "encoder": args.encoder,
                            "anchor_weight": weight,
                            "positives": sum(int(r["toxic"]) for r in fed[:step]),
                            "measured": len(y),
                            "measured_toxic": sum(y),
                            "before": round(auc_before, 4),
                            "after": round(auc, 4),
                            "lift": round(auc - auc_before, 4),
                            "adapter": {h: a.summary() for h, a in adaptations.items()},
                            "worst_public": min(
                                (
                                    (round(s.delta, 4), round(s.se, 4), s.head + "/" + s.name)
                                    for s in public
                                ),
                                default=None,
                            ),
                            "gate": ("promote: " if verdict.promote else "keep: ") + verdict.reason,
                            "seconds": round(time.perf_counter() - started, 1),
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
