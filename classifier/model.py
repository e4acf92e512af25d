"""The Model: load and save a model directory, score batches, explain one comment.

A model directory holds

- ``model.skops``: ``{"format": 1, "featurizer": CommentFeaturizer, "heads":
  {"spam": {"classifier": LogisticRegression, "calibrator": ...}, "toxicity": ...}}``
  saved with skops. Loading never runs code from the file: its types are checked
  against ``TRUSTED_TYPES`` first, and a pickle file is refused.
  An adapted model whose heads read sentence vectors is format 2: ``"encoder"``
  names its encoder (``classifier.encoder``: shipped in the package, or built into
  ``$MODQ_DATA_DIR/encoders``; a model whose encoder is missing is refused on load)
  and each such head has ``"embedding"``, one weight per dimension.
- ``card.json``: version, created_at, library versions, training data files
  (sha256, rows), metrics per held-out split, thresholds per head.
- ``MODEL_CARD.md``: the human-readable card.

Both heads share one featurizer: a batch is vectorized once, then each head is a
sparse dot product, an intercept and a calibration map (sigmoid or isotonic) on
the decision value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import scipy.sparse as sp
import sklearn
import skops
import skops.io as sio
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from classifier import registry
from classifier.encoder import EncoderError, get_encoder
from classifier.features import (
    FEATURES_VERSION,
    LEXICON_META,
    META,
    CommentFeaturizer,
    FeatureBatch,
    HashedText,
    Metadata,
    _field,
    extract_metadata,
)
from classifier.paths import DEFAULT_MODEL_DIR
from classifier.text import Normalized, normalize_with_offsets
from classifier.token_weights import row_token_weights, token_weights

HEADS = ("spam", "toxicity")
LABEL_COLUMN = {"spam": "spam", "toxicity": "toxic"}
MODEL_FILE = "model.skops"
CARD_FILE = "card.json"
MODEL_CARD_FILE = "MODEL_CARD.md"
FORMAT = 1
# A model whose heads read sentence vectors: code that knows only format 1 would score
# it without them, so it refuses the file instead.
FORMAT_WITH_ENCODER = 2
LIBRARIES = ("scikit-learn", "numpy", "scipy", "skops")

# Every non-builtin type a model file may contain; anything else is refused.
TRUSTED_TYPES = (
    "classifier.features.CommentFeaturizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.isotonic.IsotonicRegression",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.float64",
    "numpy.int64",
    "builtins.tuple",
)

_PICKLE_MAGIC = (b"\x80", b"(", b"]", b"}")
_SPAN_LIMIT = 5
_KEEP_POSITIONS_UP_TO = 32  # batch sizes whose occurrences keep their positions
_SPAN_MIN_WEIGHT = 0.1  # logit units: weaker pushes are noise, not reasons
_TOKEN = re.compile(r"\S+")


# Each token's weight per head: (occurrences, token starts, token ends, coefficients).
WeighTokens = Callable[[HashedText, np.ndarray, np.ndarray, list[np.ndarray]], list[np.ndarray]]


class ModelError(Exception):
    """A model directory cannot be loaded."""


class ModelNotFoundError(ModelError):
    """No model at the given place."""


class ModelVersionError(ModelError):
    """The model was saved by other library versions than the installed ones."""


class UnsafeModelError(ModelError):
    """The model file is a pickle or contains types outside TRUSTED_TYPES."""


def library_versions() -> dict[str, str]:
    """Versions of the libraries a saved model depends on."""
    return {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
    }


@dataclass(frozen=True)
class Scores:
    """Probabilities in [0, 1] for one comment."""

    spam: float
    toxicity: float

    def to_dict(self) -> dict[str, float]:
        """{"spam": p, "toxicity": p}."""
        return {"spam": self.spam, "toxicity": self.toxicity}


@dataclass(frozen=True)
class Reason:
    """A reason code and a human sentence (codes: links, link_in_name, url_field,
    disposable_email, profanity, insults, caps, terms)."""

    code: str
    message: str


@dataclass(frozen=True)
class Span:
    """A part of the ORIGINAL text that raised a head's score (weight: logit units)."""

    start: int
    end: int
    text: str
    weight: float


@dataclass(frozen=True)
class HeadExplanation:
    """One head's score, its reasons and the spans that pushed it up most."""

    score: float
    reasons: list[Reason] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """{"score", "reasons": [{"code", "message"}], "spans": [{"start", "end", "text",
        "weight"}]} (what ``dataclasses.asdict`` gives, built directly: it is much faster)."""
        return {
            "score": self.score,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
            "spans": [
                {"start": s.start, "end": s.end, "text": s.text, "weight": s.weight}
                for s in self.spans
            ],
        }


@dataclass(frozen=True)
class Explanation:
    """Why a comment got its scores, per head; ``to_dict()`` is JSON-serializable."""

    spam: HeadExplanation
    toxicity: HeadExplanation

    def to_dict(self) -> dict[str, Any]:
        """{"spam": {"score", "reasons": [{"code", "message"}], "spans": [...]}, ...}."""
        return {"spam": self.spam.to_dict(), "toxicity": self.toxicity.to_dict()}


@dataclass
class Head:
    """One linear head: a classifier on the shared features and a calibration map;
    an adapted head may add a linear term on the comment's sentence vector
    (``embedding``: one weight per dimension of the model's encoder)."""

    classifier: LogisticRegression
    calibrator: IsotonicRegression | LogisticRegression
    embedding: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.coef = np.asarray(self.classifier.coef_, dtype=np.float64).ravel()
        self.intercept = float(np.asarray(self.classifier.intercept_).ravel()[0])
        # Platt's a and b, read once: scoring one comment should not pay for it each time
        self._platt = platt_parameters(self.calibrator)

    def decision(
        self, X: sp.csr_matrix | FeatureBatch, vectors: np.ndarray | None = None
    ) -> np.ndarray:
        """Raw decision values (logits) of the linear classifier (``vectors``: the rows'
        sentence vectors, needed when the head has embedding weights)."""
        if isinstance(X, FeatureBatch):
            out = X.dot(self.coef) + self.intercept
        else:
            out = np.asarray(X @ self.coef, dtype=np.float64) + self.intercept
        return out + self.embedding_term(vectors)

    def embedding_term(self, vectors: np.ndarray | None) -> np.ndarray | float:
        """The embedding weights' part of the logit (0 for a head without them)."""
        if self.embedding is None:
            return 0.0
        if vectors is None:
            raise ModelError("this head has embedding weights: pass the rows' sentence vectors")
        return np.asarray(vectors @ self.embedding, dtype=np.float64)

    def calibrate(self, decision: np.ndarray) -> np.ndarray:
        """Calibrated probabilities from decision values."""
        if self._platt is None:
            return apply_calibration(self.calibrator, decision)
        return _sigmoid(self._platt, decision)


def platt_parameters(
    calibrator: IsotonicRegression | LogisticRegression,
) -> tuple[float, float] | None:
    """Platt's (a, b) of a sigmoid calibrator; None for an isotonic one."""
    if isinstance(calibrator, IsotonicRegression):
        return None
    return (
        float(np.asarray(calibrator.coef_).ravel()[0]),
        float(np.asarray(calibrator.intercept_).ravel()[0]),
    )


def _sigmoid(platt: tuple[float, float], decision: np.ndarray) -> np.ndarray:
    a, b = platt
    # expit, not 1 / (1 + exp(-z)): a far-off logit (a site fit to separable labels)
    # would overflow exp and warn, and pytest makes warnings errors
    return np.asarray(expit(a * decision + b))


def apply_calibration(
    calibrator: IsotonicRegression | LogisticRegression, decision: np.ndarray
) -> np.ndarray:
    """A calibration map (isotonic, or Platt's sigmoid as a 1-D logistic regression)."""
    platt = platt_parameters(calibrator)
    if platt is not None:
        return _sigmoid(platt, decision)
    out = np.interp(decision, calibrator.X_thresholds_, calibrator.y_thresholds_)
    return np.clip(out, 0.0, 1.0)


class Model:
    """A loaded model: ``score`` a batch, ``explain`` one comment."""

    def __init__(
        self,
        featurizer: CommentFeaturizer,
        heads: Mapping[str, Head],
        card: Mapping[str, Any],
        directory: Path | None = None,
        encoder: str | None = None,
    ) -> None:
        missing = [name for name in HEADS if name not in heads]
        if missing:
            raise ModelError(f"model has no head {', '.join(missing)}")
        self.featurizer = featurizer
        self.heads = dict(heads)
        self.card: dict[str, Any] = dict(card)
        self.directory = directory
        # the sentence encoder the heads' embedding weights read (None: no head has any)
        self.encoder_name = encoder
        if encoder is None and any(h.embedding is not None for h in self.heads.values()):
            raise ModelError("a head has embedding weights but the model names no encoder")

    def sentence_vectors(self, comments: Sequence[Mapping[str, str] | str]) -> np.ndarray | None:
        """The comments' sentence vectors (None when no head reads them)."""
        if self.encoder_name is None:
            return None
        return get_encoder(self.encoder_name).encode([_field(c, "text") for c in comments])

    @property
    def version(self) -> str:
        """Unique version of this trained model, e.g. ``2026.11.27-3fa9c1``."""
        return str(self.card["version"])

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        """Per head: ``review`` and ``reject`` thresholds chosen on validation data."""
        raw = self.card.get("thresholds", {})
        return {h: {k: float(v) for k, v in raw.get(h, {}).items()} for h in HEADS}

    def predict_proba(self, comments: Sequence[Mapping[str, str] | str]) -> dict[str, np.ndarray]:
        """Per head, an array of calibrated probabilities for a batch."""
        batch = self.featurizer.featurize(comments)
        return self._probabilities(batch, self.sentence_vectors(comments))

    def decisions(self, comments: Sequence[Mapping[str, str] | str]) -> dict[str, np.ndarray]:
        """Per head, the raw decision values (logits) for a batch."""
        batch = self.featurizer.featurize(comments)
        vectors = self.sentence_vectors(comments)
        return {name: head.decision(batch, vectors) for name, head in self.heads.items()}

    def _probabilities(
        self, batch: FeatureBatch, vectors: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        # Head.decision of each head, the heads' dot products in one pass
        heads = list(self.heads.items())
        dots = batch.dots([head.coef for _name, head in heads])
        return {
            name: head.calibrate(dot + head.intercept + head.embedding_term(vectors))
            for (name, head), dot in zip(heads, dots, strict=True)
        }

    def score(self, comments: Sequence[Mapping[str, str] | str]) -> list[Scores]:
        """Scores for a batch of comments (dicts with "text", optional "name", "email", "url")."""
        if not comments:
            return []
        return self.score_batch(comments).scores

    def score_batch(self, comments: Sequence[Mapping[str, str] | str]) -> ScoredBatch:
        """``score`` that keeps the batch's features, so explaining one of its comments
        (``ScoredBatch.explain``) does not featurize that comment again."""
        # Small batches (a request's) keep their occurrences' positions: explaining one
        # then costs no second hashing, for a few percent more on scoring.
        positions = len(comments) <= _KEEP_POSITIONS_UP_TO
        features = self.featurizer.featurize(comments, positions=positions)
        probabilities = self._probabilities(features, self.sentence_vectors(comments))
        return ScoredBatch(self, comments, features, probabilities)

    def explain(self, comment: Mapping[str, str] | str) -> Explanation:
        """Per head: score, reason codes from the metadata, and the spans of the original
        text that raised the score most (start/end index the original text)."""
        normalized = normalize_with_offsets(_field(comment, "text"))
        features = self.featurizer.featurize([comment], [normalized.text])
        row = features.to_csr()
        vectors = self.sentence_vectors([comment])
        probabilities = {
            name: float(head.calibrate(head.decision(row, vectors))[0])
            for name, head in self.heads.items()
        }
        values = _RowValues(row.indices, row.data)
        base, names = int(self.featurizer.n_features), self.featurizer.meta_names
        meta_values = dict(
            zip(names, values.at(np.arange(base, base + len(names))).tolist(), strict=True)
        )

        def weigh(
            found: HashedText, starts: np.ndarray, ends: np.ndarray, coefs: list[np.ndarray]
        ) -> list[np.ndarray]:
            return token_weights(
                found.columns, found.starts, found.ends, starts, ends,
                values.columns, values.values, coefs,
            )  # fmt: skip

        heads = self._explain(comment, normalized, meta_values, weigh, probabilities, HEADS)
        return Explanation(spam=heads["spam"], toxicity=heads["toxicity"])

    def _explain(
        self,
        comment: Mapping[str, str] | str,
        normalized: Normalized,
        meta_values: Mapping[str, float],
        weigh: WeighTokens,
        probabilities: Mapping[str, float],
        heads: Sequence[str],
        found: HashedText | None = None,
        meta: Metadata | None = None,
    ) -> dict[str, HeadExplanation]:
        featurizer = self.featurizer
        text = normalized.text
        tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        token_starts = np.asarray([t[0] for t in tokens], dtype=np.int64)
        token_ends = np.asarray([t[1] for t in tokens], dtype=np.int64)
        if found is None:
            found = featurizer.hashed([text])
        base = int(featurizer.n_features)
        names = featurizer.meta_names
        # tokens holding a listed word share the lexicon columns' push
        lexicon_columns = np.asarray(
            [base + names.index(name) for name in LEXICON_META if featurizer.lexicon],
            dtype=np.int64,
        )
        lexicon_values = np.asarray([meta_values[n] for n in LEXICON_META if n in meta_values])
        if lexicon_values.any():
            hits = featurizer.lexicon_hits(found)
            hit_tokens = np.searchsorted(token_ends, found.word_starts[hits], side="right")
        else:  # no listed word in the text
            hit_tokens = np.zeros(0, dtype=np.int64)
        if meta is None and featurizer.metadata:
            meta = extract_metadata(comment)
        explained: dict[str, HeadExplanation] = {}
        per_token_of_head = weigh(
            found, token_starts, token_ends, [self.heads[name].coef for name in heads]
        )
        for name, per_token in zip(heads, per_token_of_head, strict=True):
            head = self.heads[name]
            probability = probabilities[name]
            if len(hit_tokens):
                pushed = float(head.coef[lexicon_columns] @ lexicon_values)
                per_token += np.bincount(
                    hit_tokens, np.full(len(hit_tokens), pushed / len(hit_tokens)), len(tokens)
                )
            spans = _top_spans(normalized, tokens, per_token)
            reasons = self._meta_reasons(name, head, meta, meta_values)
            if spans and probability >= self.thresholds[name].get("review", 0.5):
                quoted = ", ".join(f"“{span.text}”" for span in spans[:3])
                reasons.append(Reason("terms", f"wording that raises the score: {quoted}"))
            explained[name] = HeadExplanation(probability, reasons, spans)
        return explained

    def _meta_reasons(
        self, head_name: str, head: Head, meta: Metadata | None, value_of: Mapping[str, float]
    ) -> list[Reason]:
        if meta is None:
            return []
        base = int(self.featurizer.n_features)
        names = self.featurizer.meta_names

        def pushes_up(*pushing: str) -> bool:
            total = 0.0
            for meta_name in pushing:
                total += head.coef[base + META.index(meta_name)] * value_of[meta_name]
            return total > 0

        reasons: list[Reason] = []
        spam = head_name == "spam"
        if meta.links and (pushes_up("links", "has_link") or (spam and meta.links >= 2)):
            plural = "link" if meta.links == 1 else "links"
            reasons.append(Reason("links", f"{meta.links} {plural} in the text"))
        if meta.link_in_name and (spam or pushes_up("link_in_name")):
            reasons.append(Reason("link_in_name", "the name contains a link"))
        if meta.url and pushes_up("url_field"):
            reasons.append(Reason("url_field", f"a website is given ({meta.url_domain})"))
        if meta.disposable_email and (spam or pushes_up("disposable_email")):
            reasons.append(
                Reason(
                    "disposable_email", f"disposable e-mail address domain ({meta.email_domain})"
                )
            )
        for name, what in (("profanity", "profane"), ("insults", "insulting")):
            if name in value_of:
                column = base + names.index(name)
                if value_of[name] > 0 and head.coef[column] > 0:
                    reasons.append(Reason(name, f"{what} words in the text"))
        if meta.caps >= 0.5 and pushes_up("caps"):
            reasons.append(
                Reason("caps", f"{round(meta.caps * 100)} % of the letters are capitals")
            )
        return reasons


class ScoredBatch:
    """A scored batch (``Model.score_batch``): its scores, and ``explain(i)`` for any of
    its comments, which reuses the features scoring computed (same result as
    ``Model.explain``; the score shown is the one ``scores`` holds)."""

    def __init__(
        self,
        model: Model,
        comments: Sequence[Mapping[str, str] | str],
        features: FeatureBatch,
        probabilities: Mapping[str, np.ndarray],
    ) -> None:
        self.model = model
        self.comments = comments
        self.features = features
        self.probabilities = {name: p.tolist() for name, p in probabilities.items()}
        self.scores = [
            Scores(s, t)
            for s, t in zip(self.probabilities["spam"], self.probabilities["toxicity"], strict=True)
        ]

    def explain(self, index: int) -> Explanation:
        """``Model.explain`` of the batch's comment ``index``."""
        heads = self.explain_heads(index, HEADS)
        return Explanation(spam=heads["spam"], toxicity=heads["toxicity"])

    def explain_heads(self, index: int, heads: Sequence[str]) -> dict[str, HeadExplanation]:
        """The explanation of comment ``index`` for these heads only (a head's part costs
        about as much as scoring the comment)."""
        comment = self.comments[index]
        normalized = normalize_with_offsets(_field(comment, "text"))
        features = self.features
        # A column's value is its count in the row times the row's scale (Model.explain's
        # CSR matrix sums one scale per occurrence: the same up to rounding).
        if features.n_rows == 1:
            row_columns = features.columns
        else:
            row_columns = features.columns[features.rows == index]
        scale = float(features.scale[index])
        names = self.model.featurizer.meta_names
        meta_values = dict(zip(names, features.meta[index].tolist(), strict=True))

        def weigh(
            found: HashedText, starts: np.ndarray, ends: np.ndarray, coefs: list[np.ndarray]
        ) -> list[np.ndarray]:
            return row_token_weights(
                found.columns, found.starts, found.ends, starts, ends, row_columns, scale, coefs
            )

        probabilities = {name: p[index] for name, p in self.probabilities.items()}
        found = features.occurrences_of(index, normalized.text)
        metadata = features.metas[index] if features.metas else None
        return self.model._explain(
            comment, normalized, meta_values, weigh, probabilities, heads, found, metadata
        )


class _RowValues:
    """One feature row as sorted (column, value) pairs; absent columns are 0."""

    def __init__(self, columns: np.ndarray, values: np.ndarray) -> None:
        order = np.argsort(np.asarray(columns, dtype=np.int64), kind="stable")
        self.columns = np.asarray(columns, dtype=np.int64)[order]
        self.values = np.asarray(values, dtype=np.float64)[order]

    def at(self, columns: np.ndarray) -> np.ndarray:
        """The values of these columns."""
        if len(self.columns) == 0:
            return np.zeros(len(columns), dtype=np.float64)
        where = np.minimum(np.searchsorted(self.columns, columns), len(self.columns) - 1)
        return np.where(self.columns[where] == columns, self.values[where], 0.0)


def _top_spans(
    normalized: Normalized, tokens: list[tuple[int, int]], per_token: np.ndarray
) -> list[Span]:
    order = np.argsort(-per_token)
    spans: list[Span] = []
    seen: set[tuple[int, int]] = set()
    top = float(per_token[order[0]]) if len(order) else 0.0
    for index in order.tolist():
        weight = float(per_token[index])
        if weight < max(_SPAN_MIN_WEIGHT, 0.2 * top) or len(spans) >= _SPAN_LIMIT:
            break
        start, end = normalized.original_span(tokens[index][0], tokens[index][1])
        if (start, end) in seen or end <= start:
            continue
        seen.add((start, end))
        spans.append(Span(start, end, normalized.original[start:end], round(weight, 4)))
    return spans


def _check_versions(directory: Path, card: Mapping[str, Any]) -> None:
    features = card.get("features_version")
    if features != FEATURES_VERSION:
        raise ModelVersionError(
            f"the model in {directory} was fitted with feature code version {features or '?'}, "
            f"but this installation computes features version {FEATURES_VERSION}: its scores "
            "would be meaningless. Retrain it with `make train` (or `modq train --data PATH`)."
        )
    saved = card.get("libraries", {})
    installed = library_versions()
    differ = [lib for lib in LIBRARIES if str(saved.get(lib)) != installed[lib]]
    if differ:
        was = ", ".join(f"{lib} {saved.get(lib, '?')}" for lib in differ)
        now = ", ".join(f"{lib} {installed[lib]}" for lib in differ)
        raise ModelVersionError(
            f"the model in {directory} was saved with {was}, but this installation has {now}. "
            "Retrain it with `make train` (or `modq train --data PATH`), "
            "or install the library versions named in its card.json."
        )


def _check_safe(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(2)
    if head[:1] in _PICKLE_MAGIC or head != b"PK":
        raise UnsafeModelError(
            f"{path} is not a skops file (it looks like a pickle); pickles can run code "
            "when loaded and are refused"
        )
    untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise UnsafeModelError(
            f"{path} contains types outside the trusted list: {', '.join(sorted(untrusted))}"
        )


def read_model_dir(directory: str | Path) -> Model:
    """Load the model in ``directory`` (checks: no pickle, trusted types, library versions)."""
    directory = Path(directory)
    card_path = directory / CARD_FILE
    if not card_path.is_file():
        raise ModelNotFoundError(f"{directory} is not a model directory (no {CARD_FILE})")
    for suspicious in ("*.pkl", "*.pickle", "*.joblib"):
        found = sorted(directory.glob(suspicious))
        if found:
            raise UnsafeModelError(f"{found[0]} is a pickle file; pickles are refused")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    _check_versions(directory, card)
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ModelNotFoundError(f"{directory} has no {MODEL_FILE}")
    _check_safe(model_path)
    state = sio.load(model_path, trusted=list(TRUSTED_TYPES))
    if not isinstance(state, dict) or state.get("format") not in (FORMAT, FORMAT_WITH_ENCODER):
        raise ModelError(f"{model_path}: unknown model format")
    heads = {
        name: Head(parts["classifier"], parts["calibrator"], parts.get("embedding"))
        for name, parts in state["heads"].items()
    }
    encoder = state.get("encoder")
    if encoder is not None:
        try:
            get_encoder(str(encoder))
        except EncoderError as error:
            raise ModelError(f"{model_path}: {error}") from error
    return Model(state["featurizer"], heads, card, directory, encoder)


def load_model(path: str | Path | None = None) -> Model:
    """The model in ``path``; with no path the current model of the registry
    (see ``classifier.registry``), else the default model shipped with the package."""
    if path is not None:
        return read_model_dir(path)
    try:
        current = registry.current_model_dir()
    except registry.RegistryError as error:
        raise ModelNotFoundError(str(error)) from error
    return read_model_dir(current if current is not None else DEFAULT_MODEL_DIR)


def save_model(model: Model, directory: str | Path, model_card_md: str | None = None) -> Path:
    """Write ``model`` to ``directory`` (model.skops, card.json, MODEL_CARD.md)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    heads: dict[str, dict[str, Any]] = {}
    for name, head in model.heads.items():
        heads[name] = {"classifier": head.classifier, "calibrator": head.calibrator}
        if head.embedding is not None:
            heads[name]["embedding"] = np.asarray(head.embedding, dtype=np.float64)
    state: dict[str, Any] = {"format": FORMAT, "featurizer": model.featurizer, "heads": heads}
    if model.encoder_name is not None:
        state["format"] = FORMAT_WITH_ENCODER
        state["encoder"] = model.encoder_name
    sio.dump(state, directory / MODEL_FILE, compression=8)
    card = dict(model.card)
    card["libraries"] = library_versions()
    card["features_version"] = FEATURES_VERSION
    model.card = card
    (directory / CARD_FILE).write_text(
        json.dumps(card, indent=2, sort_keys=False, default=_json_default) + "\n", encoding="utf-8"
    )
    if model_card_md is not None:
        (directory / MODEL_CARD_FILE).write_text(model_card_md, encoding="utf-8")
    model.directory = directory
    return directory


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serializable: {type(value).__name__}")
