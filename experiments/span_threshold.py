"""Which of the model's toxicity spans should the moderator page mark?

The explanation gives up to five spans per head, each with a weight (logit units).
Marking all of them also marks ordinary words ("What a load of"). This measures,
against the human toxic-span annotations of the Toxic Spans dataset (Civil
Comments news comments, CC0; characters a majority of a comment's annotators
marked), how precise and complete the marks are when the page keeps only the
strongest spans that together carry a share of the spans' total weight.

    nice .venv/bin/python experiments/span_threshold.py [N] [DATA_DIR]

Prints one row per share: spans marked per comment, character precision, recall
and F1 against the annotators' majority (comments the model holds or rejects only).

Run on 2026-12-07 (default model, 1,500 random comments, 1,490 held or rejected):

    share  spans/comment  precision  recall  F1
     0.25           1.01      0.774   0.489  0.599
     0.50           1.21      0.716   0.537  0.614
     0.75           1.66      0.620   0.630  0.625
     1.00           2.04      0.546   0.671  0.602   (every span the explanation gives)

The page keeps 0.5 (service.queue.marks.EVIDENCE_SHARE): 41% fewer marks than before,
wrong characters among the marked down from 45% to 28%, for the same F1.
"""

from __future__ import annotations

import csv
import random
import sys
from collections import defaultdict
from pathlib import Path

import service.queue.marks as marks
from classifier import load_model

SHARES = (0.25, 0.5, 0.75, 1.0)


def _gold(raw: Path) -> dict[str, tuple[str, set[int]]]:
    """comment id -> (text, characters a majority of its annotators marked toxic)."""
    texts = {}
    with open(raw / "data_comments.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts[row["comment_id"]] = row["comment_text"]
    owner, annotators = {}, defaultdict(set)
    with open(raw / "data_annotations.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            owner[row["annotation"]] = row["comment_id"]
            annotators[row["comment_id"]].add(row["annotation"])
    votes: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    with open(raw / "data_spans.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            cid = owner.get(row["annotation"])
            if cid is None:
                continue
            for i in range(int(row["start"]), int(row["end"])):
                votes[cid][i] += 1  # (overlapping spans of one annotator count once below)
    gold = {}
    for cid, text in texts.items():
        need = len(annotators[cid]) / 2
        chars = {i for i, n in votes[cid].items() if n > need}
        if chars:
            gold[cid] = (text, chars)
    return gold


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    data = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/datasets")
    gold = _gold(data / "toxic_spans_civil" / "raw")
    ids = sorted(gold)
    random.Random(20261207).shuffle(ids)
    model = load_model()
    review = model.thresholds["toxicity"].get("review", 0.5)
    totals = {share: [0, 0, 0, 0] for share in SHARES}  # spans, marked, hit, gold
    used = 0
    for cid in ids[:n]:
        text, chars = gold[cid]
        head = model.explain({"text": text}).toxicity
        if head.score < review or not head.spans:
            continue
        used += 1
        reason = {"head": "toxicity", "spans": [s.__dict__ for s in head.spans]}
        for share in SHARES:
            marks.EVIDENCE_SHARE = share
            kept = marks.strong_spans(reason)
            marked = {i for s in kept for i in range(s["start"], s["end"])}
            t = totals[share]
            t[0] += len(kept)
            t[1] += len(marked)
            t[2] += len(marked & chars)
            t[3] += len(chars)
    print(f"{used} comments held or rejected for toxicity (of {min(n, len(ids))} read)")
    print("share  spans/comment  precision  recall  F1")
    for share, (spans, marked, hit, gold_chars) in totals.items():
        p = hit / marked if marked else 0.0
        r = hit / gold_chars if gold_chars else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{share:5.2f}  {spans / max(used, 1):13.2f}  {p:9.3f}  {r:6.3f}  {f1:.3f}")


if __name__ == "__main__":
    main()
