"""Site adapter: learn a site's moderator labels on top of a fixed base model.

Refitting the base recipe on ~90k public rows plus a few hundred moderator labels
barely moves it (README, "Adapting to a new site: measured"). The adapter instead
fits each head on the moderator labels only, starting from the base head's logit
``d(x)``::

    z(x) = a * d(x) + b + w_site . x        (a >= 0)

``a`` and ``b`` are free; ``w_site`` (the same hashed features as the base model)
carries an L2 penalty ``|w_site|^2 / (2 C)``, with ``C`` chosen by k-fold
cross-validation on the labels (``C = 0``: no site weights, a recalibration only).
Being linear, the result folds back into one logistic regression on the same
features, ``coef = a * w_base + w_site`` and ``intercept = a * b_base + b``, so the
model format, scoring speed and explanations do not change.

The labels are used in cross-fitting: ``C`` is chosen by an inner cross-validation
inside each outer fold, so the outer folds' out-of-fold decision values are an
honest estimate of the adapted head on comments it did not learn from. They

- give the Platt calibration map and, with enough labels of each class
  (``THRESHOLD_MIN_PER_CLASS``), the thresholds, chosen as ``classifier.train``
  chooses them (review: 95 % recall on the site's own mix; reject: 98 % precision);
  with fewer, the base model's thresholds stay;
- are the gate's evidence on the site (``site_comparisons``): ROC-AUC of the
  out-of-fold scores against the base model's scores on the *same* rows, all of
  them, not a small held-out share.

A head with fewer than ``MIN_PER_CLASS`` labels of either class keeps the base head.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, minimize
from scipy.special import expit
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from classifier.data import LabeledComment
from classifier.encoder import DEFAULT_ENCODER, get_encoder
from classifier.model import HEADS, Head, Model, apply_calibration
from classifier.retraining import MODERATOR, SetComparison, paired_auc
from classifier.train import choose_thresholds, head_rows

# C = 0 is "recalibrate only"; the others are the site weights' L2 strength 1/C.
C_GRID = (0.0, 1.0, 3.0, 10.0, 30.0)
# The embedding block's scale under the same penalty (0: n-gram site weights only). A
# sentence vector has unit norm like an n-gram row, but its coordinates are dense and
# shared by every comment, so it needs its own strength. Measured at fixed penalties
# (experiments/adaptation_fixed.py, README "Semantic features"): scales 1 and 2 scored
# alike, and scale 2 beat the n-grams alone at the same C in 11 of 12 cases, so the
# search keeps one scale: each extra one adds four fits to every fold of the nested
# cross-validation, and a retrain's time is what a site waits for.
EMBEDDING_SCALES = (2.0,)
# (C, embedding scale)
Penalty = tuple[float, float]
FOLDS = 5
MIN_PER_CLASS = 5
THRESHOLD_MIN_PER_CLASS = 30
DEFAULT_SEED = 20261127
# Public rows (from the base data's validation split) that tie the adapter to the base
# model, and their total weight relative to the labels. 6,000 requested (each dataset
# gives at most its share): with 2,000, a 500-decision Davidson site fit cost the
# Stormfront test set -0.025 and was refused; with 6,000 -0.015 (experiments/ADAPTATION.md).
ANCHORS = 6000
ANCHOR_WEIGHT = 1.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SiteFit:
    """The adapter of one head: ``z = scale * d + shift + phi . beta``, where ``phi`` are
    the rows' coordinates in the span of the fitted feature rows (``_Problem``)."""

    c: float
    scale: float
    shift: float
    beta: np.ndarray
    embedding_scale: float = 0.0  # the embedding block's scale (its coordinates follow phi's)

    def decision(self, phi: np.ndarray, base: np.ndarray) -> np.ndarray:
        """Adapted logits from the rows' coordinates and base logits."""
        out = self.scale * base + self.shift
        if self.c > 0:
            out = out + phi @ self.beta
        return np.asarray(out, dtype=np.float64)


@dataclass
class HeadAdaptation:
    """What the adapter did to one head, with the cross-fitted evidence."""

    head: str
    labels: np.ndarray
    base_decision: np.ndarray
    oof_decision: np.ndarray
    fit: SiteFit
    fitted_decision: np.ndarray  # the final fit's logits on the labels (in-sample)
    cv: dict[Penalty, float] = field(default_factory=dict)
    embedding: np.ndarray | None = None  # the embedding weights the fit added
    # at the head's review threshold, on the cross-fitted scores of the site's labels
    review_load: dict[str, float] = field(default_factory=dict)
    anchors: int = 0
    thresholds_from: str = "base"

    @property
    def rows(self) -> int:
        """Labels this head learned from."""
        return len(self.labels)

    @property
    def positives(self) -> int:
        """Positive labels among them."""
        return int(self.labels.sum())

    def summary(self) -> dict[str, Any]:
        """JSON-ready, for the card."""
        oof_auc, base_auc, _ = paired_auc(self.labels, self.oof_decision, self.base_decision)
        return {
            "rows": self.rows,
            "positives": self.positives,
            "anchors": self.anchors,
            "c": self.fit.c,
            "embedding_scale": self.fit.embedding_scale,
            "scale": round(self.fit.scale, 4),
            "shift": round(self.fit.shift, 4),
            "cv_log_loss": {_penalty_key(c): round(v, 4) for c, v in self.cv.items()},
            "roc_auc_base": round(base_auc, 4),
            "roc_auc_cross_validated": round(oof_auc, 4),
            "thresholds_from": self.thresholds_from,
            "review_load": self.review_load,
        }


def fit_site(
    phi: np.ndarray,
    base: np.ndarray,
    target: np.ndarray,
    weight: np.ndarray,
    c: float,
    start: SiteFit | None = None,
) -> SiteFit:
    """Penalized maximum likelihood (L-BFGS-B, ``scale >= 0``): rows' coordinates ``phi``,
    base logits, targets in [0, 1] (a moderator label; an anchor's base probability) and
    row weights; penalty ``|beta|^2 / (2C)``. Diagonally preconditioned, and warm-started
    from ``start`` (the fit with the next smaller C) along a C path."""
    r = phi.shape[1] if c > 0 else 0
    # curvature of the loss along each coordinate, at most 1/4 per unit weight
    precondition = np.sqrt(0.25 * (weight @ phi[:, :r] ** 2) + 1.0 / c) if r else np.ones(0)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        a, b, beta = theta[0], theta[1], theta[2:] / precondition
        z = a * base + b
        if r:
            z = z + phi[:, :r] @ beta
        loss = float(weight @ (np.logaddexp(0.0, z) - target * z))
        residual = weight * (expit(z) - target)
        grad = np.empty_like(theta)
        grad[0], grad[1] = residual @ base, residual.sum()
        if r:
            loss += 0.5 / c * float(beta @ beta)
            grad[2:] = (phi[:, :r].T @ residual + beta / c) / precondition
        return loss, grad

    theta0 = np.zeros(2 + r)
    theta0[0] = 1.0
    if start is not None:
        theta0[0], theta0[1] = start.scale, start.shift
        if r and len(start.beta) == r:
            theta0[2:] = start.beta * precondition
    lower = np.full(len(theta0), -np.inf)
    lower[0] = 0.0
    found = minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=Bounds(lower, np.full(len(theta0), np.inf)),
        # a relative loss change of 1e-8 moves no ROC-AUC; separable labels would
        # otherwise take thousands of steps towards the penalty's far-off optimum
        options={"maxiter": 1000, "ftol": 1e-8, "gtol": 1e-5},
    )
    theta = found.x
    return SiteFit(c, float(theta[0]), float(theta[1]), theta[2:] / precondition)


@dataclass(frozen=True)
class _Problem:
    """Labels and anchors of one head. The site weights ``w`` live in the span of these
    feature rows (their L2 penalty makes any other direction useless), so each row is
    represented by its coordinates ``phi`` in that span (``phi phi' = X X'``): every fold
    and every C is then a small dense fit, and ``w = X' alpha`` maps back exactly."""

    phi: np.ndarray
    to_alpha: np.ndarray  # beta -> alpha
    base: np.ndarray
    target: np.ndarray
    weight: np.ndarray
    n_labels: int

    dense: np.ndarray | None = None  # the rows' sentence vectors (the embedding block)

    @classmethod
    def build(
        cls,
        X: sp.csr_matrix,
        base: np.ndarray,
        target: np.ndarray,
        weight: np.ndarray,
        n: int,
        dense: np.ndarray | None = None,
    ) -> _Problem:
        """From the feature rows (labels first, then anchors) and their sentence vectors.

        The site weights live in the span of the *label* rows only: an anchor is a
        public comment whose score should stay as it was, so it only needs its
        coordinates in that span (``X_a X_l' U S^-1/2``), not directions of its own.
        The fits then cost (labels + anchors) x labels, not (labels + anchors)^2, and
        many more anchors are affordable."""
        labels = X[:n]
        gram = np.asarray((labels @ labels.T).todense(), dtype=np.float64)
        values, vectors = np.linalg.eigh(gram)
        keep = values > 1e-9 * max(float(values.max()), 1e-12)
        values, vectors = values[keep][::-1], vectors[:, keep][:, ::-1]
        to_alpha = vectors / np.sqrt(values)
        phi = np.vstack([vectors * np.sqrt(values), np.asarray(X[n:] @ labels.T @ to_alpha)])
        to_alpha = np.vstack([to_alpha, np.zeros((X.shape[0] - n, to_alpha.shape[1]))])
        return cls(phi, to_alpha, base, target, weight, n, dense)

    @property
    def sparse_rank(self) -> int:
        """Coordinates of the n-gram block (the embedding block's follow them)."""
        return int(self.phi.shape[1])

    def _phi(self, rows: np.ndarray, scale: float) -> np.ndarray:
        # the embedding block multiplied by ``scale``: under one L2 penalty, its weights'
        # strength relative to the n-gram weights' (0: no embedding block)
        if self.dense is None or scale <= 0:
            return self.phi[rows]
        return np.hstack([self.phi[rows], scale * self.dense[rows]])

    def fit(self, labels: np.ndarray, c: Penalty, start: SiteFit | None = None) -> SiteFit:
        """Fit on the given label rows plus every anchor."""
        rows = np.concatenate([labels, np.arange(self.n_labels, len(self.base))])
        phi, base = self._phi(rows, c[1]), self.base[rows]
        fit = fit_site(phi, base, self.target[rows], self.weight[rows], c[0], start)
        scale = c[1] if self.dense is not None and c[0] > 0 else 0.0
        return SiteFit(fit.c, fit.scale, fit.shift, fit.beta, scale)

    def predict(self, fit: SiteFit, scored: np.ndarray) -> np.ndarray:
        """Adapted logits of the ``scored`` rows."""
        return fit.decision(self._phi(scored, fit.embedding_scale), self.base[scored])


def _folds(y: np.ndarray, k: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    smaller = int(min(y.sum(), len(y) - y.sum()))
    k = min(k, smaller)
    if k < 2:
        return []
    return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))


def _choose_c(
    problem: _Problem, idx: np.ndarray, grid: Sequence[Penalty], k: int, seed: int
) -> tuple[Penalty, dict[Penalty, float]]:
    """The penalty of ``grid`` with the lowest out-of-fold log loss on the label rows
    ``idx``."""
    y = problem.target[idx]
    folds = _folds(y, k, seed)
    if not folds:
        return (0.0, 0.0), {}
    oof = {c: np.zeros(len(idx)) for c in grid}
    for train_at, test_at in folds:
        previous = None
        # along C for each embedding scale: each fit starts from the one before
        for c in sorted(grid, key=lambda p: (p[1], p[0])):
            previous = problem.fit(idx[train_at], c, previous)
            oof[c][test_at] = problem.predict(previous, idx[test_at])
    scores = {c: float(log_loss(y, expit(oof[c]), labels=[0, 1])) for c in grid}
    return min(grid, key=lambda c: (round(scores[c], 6), c)), scores


def _cross_fitted(problem: _Problem, grid: Sequence[Penalty], k: int, seed: int) -> np.ndarray:
    """Out-of-fold adapted logits of every label, C chosen inside each outer fold."""
    idx = np.arange(problem.n_labels)
    y = problem.target[idx]
    out = problem.base[idx].copy()
    for number, (train_at, test_at) in enumerate(_folds(y, k, seed)):
        c, _ = _choose_c(problem, idx[train_at], grid, k - 1, seed + number + 1)
        out[test_at] = problem.predict(problem.fit(idx[train_at], c), idx[test_at])
    return out


def penalty_grid(
    c_grid: Sequence[float] = C_GRID, scales: Sequence[float] = EMBEDDING_SCALES
) -> list[Penalty]:
    """Every (C, embedding scale) the cross-validation tries; C = 0 (recalibration
    only) once."""
    grid: list[Penalty] = [(0.0, 0.0)] if 0.0 in c_grid else []
    grid.extend((c, g) for g in scales for c in c_grid if c > 0)
    return grid


def adapt_head(
    head: Head,
    X: sp.csr_matrix,
    y: np.ndarray,
    name: str,
    *,
    anchors: sp.csr_matrix | None = None,
    anchor_weight: float = 0.0,
    vectors: np.ndarray | None = None,
    anchor_vectors: np.ndarray | None = None,
    grid: Sequence[Penalty] | None = None,
    seed: int = DEFAULT_SEED,
    review_budget: float | None = None,
) -> tuple[Head, HeadAdaptation, dict[str, float] | None]:
    """Adapt one head to labels ``y`` of feature rows ``X`` (and their sentence vectors,
    if given: the embedding block), anchored to the base head on the ``anchors`` rows
    (their total weight ``anchor_weight`` times the labels'); returns the new head, the
    evidence, and thresholds chosen on the labels (None: keep the base's; ``review_budget``:
    the review band holds at most that share of the site's benign comments)."""
    X = sp.csr_matrix(X)
    n = X.shape[0]
    anchored = anchors is not None and anchor_weight > 0
    A = sp.csr_matrix(anchors) if anchored else X[:0]
    rows_X = sp.vstack([X, A], format="csr")
    dense = None
    if vectors is not None:
        parts = [vectors, anchor_vectors] if anchored and anchor_vectors is not None else [vectors]
        dense = np.vstack(parts).astype(np.float64)
        if len(dense) != rows_X.shape[0]:
            raise ValueError("one sentence vector per label and anchor row is needed")
    elif head.embedding is not None:
        raise ValueError("the head has embedding weights: the rows' sentence vectors are needed")
    if grid is None:
        grid = penalty_grid(scales=EMBEDDING_SCALES if dense is not None else (0.0,))
    base = head.decision(rows_X, dense)
    target = np.concatenate([y.astype(np.float64), expit(base[n:])])
    weight = np.ones(len(base))
    if A.shape[0]:
        weight[n:] = anchor_weight * n / A.shape[0]
    problem = _Problem.build(rows_X, base, target, weight, n, dense)
    c, cv = _choose_c(problem, np.arange(n), grid, FOLDS, seed)
    fit = problem.fit(np.arange(n), c)
    oof = _cross_fitted(problem, grid, FOLDS, seed)

    coef = fit.scale * head.coef
    embedding = None if head.embedding is None else fit.scale * head.embedding
    added = None
    if fit.c > 0:
        r = problem.sparse_rank
        coef = coef + np.asarray(rows_X.T @ (problem.to_alpha @ fit.beta[:r])).ravel()
        if fit.embedding_scale > 0:
            added = fit.embedding_scale * fit.beta[r:]
            embedding = added if embedding is None else embedding + added
    classifier = copy.deepcopy(head.classifier)
    classifier.coef_ = coef.reshape(1, -1)
    classifier.intercept_ = np.asarray([fit.scale * head.intercept + fit.shift])
    calibrator = LogisticRegression(C=1e6, max_iter=1000)
    calibrator.fit(oof.reshape(-1, 1), y)
    fitted = problem.predict(fit, np.arange(n))
    adaptation = HeadAdaptation(
        name, y, base[:n], oof, fit, fitted, cv, embedding=added, anchors=A.shape[0]
    )
    thresholds = None
    if min(int(y.sum()), n - int(y.sum())) >= THRESHOLD_MIN_PER_CLASS:
        thresholds = choose_thresholds(
            apply_calibration(calibrator, oof), y, review_budget=review_budget
        )
        adaptation.thresholds_from = "moderator labels (cross-fitted)"
    return Head(classifier, calibrator, embedding), adaptation, thresholds


def anchor_rows(
    rows: Sequence[LabeledComment], size: int = ANCHORS, seed: int = DEFAULT_SEED
) -> list[LabeledComment]:
    """A seeded sample of public rows, the same number from each dataset (as far as it
    has them), for anchoring the adapter to the base model."""
    by_dataset: dict[str, list[LabeledComment]] = {}
    for row in rows:
        by_dataset.setdefault(row.dataset, []).append(row)
    if not by_dataset:
        return []
    each = max(1, size // len(by_dataset))
    picked: list[LabeledComment] = []
    for name in sorted(by_dataset):
        ordered = sorted(by_dataset[name], key=lambda r: _unit(seed, r.group + r.text))
        picked.extend(ordered[:each])
    return picked


def adapt_model(
    base: Model,
    labels: Sequence[LabeledComment],
    *,
    anchors: Sequence[LabeledComment] = (),
    anchor_weight: float = ANCHOR_WEIGHT,
    encoder: str | None = DEFAULT_ENCODER,
    grid: Sequence[Penalty] | None = None,
    seed: int = DEFAULT_SEED,
    review_budget: float | None = None,
    progress: Progress | None = None,
) -> tuple[Model, dict[str, HeadAdaptation]]:
    """A new model: ``base`` with each head adapted to the moderator labels it has enough
    of (the others copied), anchored to ``base`` on the ``anchors`` rows (public rows the
    gate does not test on), with an embedding block read by ``encoder`` (None: n-gram
    site weights only; a base that already reads an encoder keeps its own). Its card says
    what was adapted and from which base."""
    say = progress or (lambda message: None)
    heads = dict(base.heads)
    thresholds = {h: dict(v) for h, v in base.thresholds.items()}
    adaptations: dict[str, HeadAdaptation] = {}
    together = [*labels, *anchors]
    X_all = base.featurizer.transform([row.comment() for row in together]) if labels else None
    encoder_name = base.encoder_name or encoder
    V_all = None
    if labels and encoder_name is not None:
        V_all = get_encoder(encoder_name).encode([row.text for row in together])
    index = {id(row): i for i, row in enumerate(together)}
    for name in HEADS:
        rows, y, _ = head_rows([r for r in labels if _labeled(r, name)], name)
        smaller = min(int(y.sum()), len(y) - int(y.sum())) if len(y) else 0
        if X_all is None or smaller < MIN_PER_CLASS:
            say(f"{name}: {len(y)} labels, {smaller} of the rarer class: head kept as it is")
            continue
        at = [index[id(r)] for r in rows]
        X = X_all[at]
        anchored, _, _ = head_rows(anchors, name)
        anchor_at = [index[id(r)] for r in anchored]
        A = X_all[anchor_at] if anchored else None
        say(
            f"{name}: adapting to {len(y)} labels ({int(y.sum())} positive), "
            f"{len(anchored)} anchors"
        )
        heads[name], adaptations[name], chosen = adapt_head(
            base.heads[name],
            X,
            y,
            name,
            anchors=A,
            anchor_weight=anchor_weight,
            vectors=None if V_all is None else V_all[at],
            anchor_vectors=None if V_all is None or not anchored else V_all[anchor_at],
            grid=grid,
            seed=seed,
            review_budget=review_budget,
        )
        if chosen is not None:
            thresholds[name] = chosen
        adaptations[name].review_load = review_load(
            heads[name].calibrate(adaptations[name].oof_decision), y, thresholds[name]["review"]
        )
        info = adaptations[name].summary()
        say(
            f"{name}: C {info['c']:g}, embedding scale {info['embedding_scale']:g}, "
            f"scale {info['scale']}, ROC-AUC on the labels "
            f"{info['roc_auc_base']} -> {info['roc_auc_cross_validated']} (cross-validated)"
        )
    now = datetime.now(UTC)
    card = copy.deepcopy(base.card)
    for stale in ("gate", "metrics", "adapter"):
        card.pop(stale, None)
    base_of = (base.card.get("adapter") or {}).get("base_version")
    card.update(
        {
            "version": f"{now:%Y.%m.%d}-{secrets.token_hex(3)}",
            "created_at": now.isoformat(timespec="seconds"),
            "thresholds": thresholds,
            "moderator_labels": len(labels),
            "adapter": {
                "base_version": base_of or base.version,
                "seed": seed,
                "anchor_weight": anchor_weight,
                "review_budget": review_budget,
                "label_sources": dict(Counter(row.source or "?" for row in labels)),
                "encoder": _encoder_card(encoder_name, heads),
                "heads": {name: a.summary() for name, a in adaptations.items()},
            },
        }
    )
    reads = any(head.embedding is not None for head in heads.values())
    return Model(base.featurizer, heads, card, None, encoder_name if reads else None), adaptations


def review_load(probs: np.ndarray, labels: np.ndarray, review: float) -> dict[str, float]:
    """Shares of the benign comments held at ``review`` and of the harmful ones caught."""
    held = probs >= review
    benign, harmful = labels == 0, labels == 1
    return {
        "review": round(float(review), 6),
        "benign_held": round(float(held[benign].mean()), 4) if benign.any() else float("nan"),
        "harmful_caught": round(float(held[harmful].mean()), 4) if harmful.any() else float("nan"),
    }


def site_comparisons(adaptations: dict[str, HeadAdaptation]) -> list[SetComparison]:
    """Per adapted head, the gate's evidence on the site: base scores vs cross-fitted
    adapted scores on every label (``current`` is the base model's ROC-AUC)."""
    sets = []
    for name, a in adaptations.items():
        oof_auc, base_auc, se = paired_auc(a.labels, a.oof_decision, a.base_decision)
        sets.append(SetComparison(name, MODERATOR, a.rows, a.positives, base_auc, oof_auc, se))
    return sets


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC (nan when one class is missing)."""
    if 0 < labels.sum() < len(labels):
        return float(roc_auc_score(labels, scores))
    return float("nan")


def _encoder_card(name: str | None, heads: dict[str, Head]) -> dict[str, Any] | None:
    if name is None or all(head.embedding is None for head in heads.values()):
        return None
    encoder = get_encoder(name)
    return {"name": name, "dimensions": encoder.dim, "vectors_sha256": encoder.sha256}


def _penalty_key(penalty: Penalty) -> str:
    return f"C={penalty[0]:g},embedding={penalty[1]:g}"


def _unit(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"anchor:{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _labeled(row: LabeledComment, head: str) -> bool:
    return (row.spam if head == "spam" else row.toxic) is not None
