"""Spam recipe variants measured on validation videos only (ROC-AUC; the reported
held-out video is never looked at).

The trainer's split (``split_dataset`` with the default seed) puts one YouTube
video in test (Eminem: the held-out figure in FINDINGS.md and the model card).
This script drops that video entirely and, for each of the other videos V,
fits the spam head as ``fit_model`` does (``_select``: the same rows, the
conversation sample and the weights; one ``LogisticRegression``) on the
train + validation rows of every other video, SMS and conversation, and scores

- ``V``: ROC-AUC on video V (spam vs its ham);
- ``V+conv``: ROC-AUC of V's spam against V's ham plus the conversation rows of
  the trainer's test split (ordinary comments must stay below the spam);
- ``conv@99``: the share of those conversation rows above the score that flags 90 %
  of V's spam (a proxy for false positives on conversation).

Calibration is monotone and skipped. Variants are ``key=value,...`` recipe
changes as in ``loso_fast.py``.

    OMP_NUM_THREADS=1 nice -n 10 .venv/bin/python experiments/spam_folds.py \
        ../shared/datasets default spam_c=4 spam_conversation_rows=10000
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from classifier.data import load_labeled
from classifier.train import DEFAULT_SEED, _select, fit_classifier, split_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loso_fast import parse_variant


def main() -> None:
    data = sys.argv[1]
    variants = sys.argv[2:] or ["default"]
    rows, _ = load_labeled([data])
    splits = split_dataset(rows, seed=DEFAULT_SEED)
    reported = {r.extra.get("video") for r in splits.test if r.dataset == "youtube_spam"}
    fit_rows = list(splits.train) + list(splits.val)
    videos = sorted({r.extra.get("video", "") for r in fit_rows if r.dataset == "youtube_spam"})
    conversation = [r for r in splits.test if r.spam is None and r.toxic is not None]
    print(f"reported held-out video {sorted(reported)} not used; validation videos {videos}")
    cache: dict[tuple[object, ...], tuple[object, object, object]] = {}
    for variant in variants:
        recipe = parse_variant(variant)
        key = recipe.featurizer_key()
        if key not in cache:
            t0 = time.time()
            featurizer = recipe.featurizer()
            x_fit = featurizer.transform([r.comment() for r in fit_rows])
            x_conv = featurizer.transform([r.comment() for r in conversation])
            cache[key] = (featurizer, x_fit, x_conv)
            print(f"  vectorized in {time.time() - t0:.0f} s", flush=True)
        _, x_fit, x_conv = cache[key]
        out = []
        for video in videos:
            inside = np.asarray([r.extra.get("video") == video for r in fit_rows])
            train = [r for r, i in zip(fit_rows, inside, strict=True) if not i]
            test = [r for r, i in zip(fit_rows, inside, strict=True) if i]
            _, h_x, labels, _, weights = _select(
                "spam",
                train,
                x_fit[np.nonzero(~inside)[0]],  # type: ignore[index]
                recipe,
            )
            clf = fit_classifier("spam", h_x, labels, weights, recipe)
            y = np.asarray([r.spam for r in test])
            p = clf.decision_function(x_fit[np.nonzero(inside)[0]])  # type: ignore[index]
            pc = clf.decision_function(x_conv)
            auc = roc_auc_score(y, p)
            pooled = roc_auc_score(np.r_[y, np.zeros(len(pc))], np.r_[p, pc])
            cut = np.quantile(p[y == 1], 0.10)
            fp = float((pc >= cut).mean())
            out.append((auc, pooled, fp))
            print(
                f"    {variant}: {video} {auc:.4f}  +conv {pooled:.4f}  conv@90%recall {fp:.4f}",
                flush=True,
            )
        mean = np.mean(out, axis=0)
        print(
            f"{variant:<50} mean AUC {mean[0]:.4f}  +conv {mean[1]:.4f}  conv@90 {mean[2]:.4f}  "
            + "  ".join(f"{v[:6]} {o[0]:.4f}" for v, o in zip(videos, out, strict=True)),
            flush=True,
        )


if __name__ == "__main__":
    main()
