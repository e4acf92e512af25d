"""``make retrain``: base data plus every moderator label → candidate → gate → promote or keep.

1. Read the moderator labels from Redis (the rows ``modq queue export-labels`` writes).
2. Read the base data (``--data``: the shared datasets, a site's imports, ...).
3. Fit a candidate, by one of two methods (``Method``):

   - ``adapter`` (the default): the *base model* (the current model, or the one the
     current adapted model was adapted from) adapted to the labels by a site fit
     (``classifier.adaptation``), anchored to the base model on public rows of the
     base data's validation split. Seconds, not minutes; measured to lift a new
     site's ROC-AUC about twice as much as the joint refit (README).
   - ``joint``: refit the base recipe on base data plus labels, the labels counting
     ``label_weight`` times one public source (``classifier.retraining.fit_candidate``).

4. Score the candidate and the current model on the same held-out rows and apply the
   gate (``classifier.retraining.decide``). Public sets: the base data's test split.
   The site: for ``adapter``, every label's cross-fitted score against the base
   model's score on the same label; for ``joint``, the fixed held-out share of the labels.
5. Save the candidate in the registry either way (its card records the gate), and
   promote it only if the gate says so. Running services pick it up by themselves
   (``service.moderation.reload``).

The outcome's ``line`` is the command's last line, naming the model in use first:
``promoted <candidate> (replacing <previous>): …`` or ``kept <current>: candidate
<version> is …``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

import redis

from classifier.adaptation import ANCHOR_WEIGHT, adapt_model, anchor_rows, site_comparisons
from classifier.card import render_model_card
from classifier.data import DataFile, LabeledComment, dedupe, load_labeled
from classifier.encoder import MINILM, STATIC, get_encoder
from classifier.model import Model, ModelError, load_model, save_model
from classifier.paths import DEFAULT_MODEL_DIR
from classifier.promotion import promote
from classifier.registry import current_model_dir
from classifier.retraining import (
    DEFAULT_LABEL_WEIGHT,
    GateResult,
    compare_models,
    decide,
    fit_candidate,
    gate,
    labels_file,
    moderator_rows,
)
from classifier.site_labels import FOLDER as SITE_LABELS
from classifier.site_labels import read_site_labels, with_site_labels
from classifier.train import DEFAULT_SEED, Recipe, heldout_metrics, split_dataset
from service.settings import Encoder, Settings
from service.store import keys
from service.store.decision_log import read_labels, read_labels_everywhere

Progress = Callable[[str], None]


class Method(str, Enum):
    """How a retrain turns the labels into a candidate."""

    ADAPTER = "adapter"
    JOINT = "joint"


@dataclass(frozen=True)
class RetrainOutcome:
    """What a retrain did: the candidate, the model kept or promoted, and the gate's verdict."""

    candidate: Model
    current_version: str
    result: GateResult
    labels: int

    @property
    def promoted(self) -> bool:
        """Whether the candidate is now current."""
        return self.result.promote

    @property
    def line(self) -> str:
        """The command's last line."""
        if self.promoted:
            replaced = f"replacing {self.current_version}"
            return f"promoted {self.candidate.version} ({replaced}): {self.result.reason}"
        return f"kept {self.current_version}: {self.result.reason}"


def retrain(
    settings: Settings,
    client: redis.Redis,
    data: Sequence[str | Path],
    *,
    namespace: str | None = None,
    seed: int = DEFAULT_SEED,
    recipe: Recipe | None = None,
    method: Method = Method.ADAPTER,
    anchor_weight: float = ANCHOR_WEIGHT,
    progress: Progress | None = None,
) -> RetrainOutcome:
    """Train a candidate on ``data`` plus the moderator labels in Redis; promote it if better.

    The labels are every namespace's (every site's moderator decisions, corrections and
    feedback, oldest first) unless ``namespace`` names one.
    """
    say = progress or (lambda message: None)
    if namespace is None:
        records = read_labels_everywhere(client)
    else:
        records = read_labels(client, namespace)
    say(f"{len(records)} moderator labels in Redis")
    return retrain_with_records(
        settings,
        records,
        data,
        seed=seed,
        recipe=recipe,
        method=method,
        anchor_weight=anchor_weight,
        progress=say,
        source=keys.labels(namespace or "*"),
    )


def encoder_name(setting: Encoder) -> str | None:
    """The sentence encoder MODQ_ENCODER names (None: n-gram site weights only)."""
    return {Encoder.STATIC: STATIC, Encoder.MINILM: MINILM, Encoder.NONE: None}[setting]


def retrain_with_records(
    settings: Settings,
    records: Sequence[dict[str, str]],
    data: Sequence[str | Path],
    *,
    seed: int = DEFAULT_SEED,
    recipe: Recipe | None = None,
    method: Method = Method.ADAPTER,
    anchor_weight: float = ANCHOR_WEIGHT,
    progress: Progress | None = None,
    source: str = "labels",
) -> RetrainOutcome:
    """The retrain steps after the labels are read (the adaptation experiment calls this)."""
    say = progress or (lambda message: None)
    models_dir = settings.resolved_models_dir
    name = encoder_name(settings.encoder)
    if method is Method.ADAPTER and name is not None:
        get_encoder(name)  # a missing encoder fails now, not after the base data is read
    labels = moderator_rows(records)
    say(f"reading base data: {', '.join(str(d) for d in data)}")
    base, files = load_labeled(data)
    if method is Method.ADAPTER:
        # imported history (modq import --site-labels) is the site's own, as decisions are
        imported = read_site_labels(settings.data_dir / SITE_LABELS)
        if imported:
            labels = with_site_labels(labels, imported)
            say(f"{len(imported)} imported site labels ({settings.data_dir / SITE_LABELS})")
        return _retrain_adapter(
            settings,
            labels,
            base,
            files,
            seed=seed,
            anchor_weight=anchor_weight,
            progress=say,
            source=source,
        )
    weight = settings.label_weight if settings.label_weight is not None else DEFAULT_LABEL_WEIGHT
    say(f"{len(base)} base rows, {len(labels)} usable moderator labels (weight {weight:g})")
    candidate, splits = fit_candidate(
        base,
        files,
        labels,
        label_weight=weight,
        labels_source=source,
        seed=seed,
        recipe=recipe,
        progress=say,
    )
    candidate.card["method"] = Method.JOINT.value
    current_dir = current_model_dir(models_dir) or DEFAULT_MODEL_DIR
    current = load_model(current_dir)
    say(f"comparing candidate {candidate.version} with current {current.version}")
    result = gate(candidate, current, splits.test, settings.retrain_margin)
    for line in result.table():
        say(line)
    candidate.card["gate"] = {"compared_with": current.version, **result.to_dict()}
    save_model(candidate, models_dir / candidate.version, render_model_card(candidate.card))
    if result.promote:
        promote(candidate.version, models_dir)
    return RetrainOutcome(candidate, current.version, result, len(labels))


def base_model_for(current: Model, models_dir: Path, say: Progress) -> Model:
    """The model an adapter starts from: the current model, or the base the current
    (adapted) model was adapted from, so labels are never learned twice."""
    base_version = (current.card.get("adapter") or {}).get("base_version")
    if not base_version:
        return current
    for directory in (models_dir / str(base_version), DEFAULT_MODEL_DIR):
        try:
            model = load_model(directory)
        except ModelError:
            continue
        if model.version == base_version:
            return model
    say(f"base model {base_version} of {current.version} is gone: adapting {current.version}")
    return current


def _retrain_adapter(
    settings: Settings,
    labels: list[LabeledComment],
    base_rows: list[LabeledComment],
    files: Sequence[DataFile],
    *,
    seed: int,
    anchor_weight: float,
    progress: Progress,
    source: str,
) -> RetrainOutcome:
    say = progress
    models_dir = settings.resolved_models_dir
    current = load_model(current_model_dir(models_dir) or DEFAULT_MODEL_DIR)
    base = base_model_for(current, models_dir, say)
    decided = {row.text.strip() for row in labels}
    rows = [row for row in dedupe(base_rows) if row.text.strip() not in decided]
    splits = split_dataset(rows, seed=seed)
    say(f"{len(rows)} base rows, {len(labels)} usable moderator labels")
    say(f"adapting {base.version} to the labels (anchor weight {anchor_weight:g})")
    anchors = anchor_rows(splits.val, seed=seed)
    candidate, adaptations = adapt_model(
        base,
        labels,
        anchors=anchors,
        anchor_weight=anchor_weight,
        encoder=encoder_name(settings.encoder),
        review_budget=settings.review_budget,
        seed=seed,
        progress=say,
    )
    candidate.card.update(
        {
            "method": Method.ADAPTER.value,
            "data": [
                *(base.card.get("data") or []),
                asdict(labels_file(labels, source)) | {"dataset": "moderator"},
            ],
            "splits": splits.counts(),
            "metrics": {"test": heldout_metrics(candidate, splits.test)},
            "moderator_label_split": {"cross_fitted": len(labels)},
        }
    )
    if not adaptations:
        result = GateResult(
            False,
            f"candidate {candidate.version} was not compared: too few moderator labels to adapt "
            "(a head needs 5 of each class)",
            0.0,
        )
    else:
        say(f"comparing candidate {candidate.version} with current {current.version}")
        sets = compare_models(candidate, current, splits.test) + site_comparisons(adaptations)
        result = decide(sets, settings.retrain_margin, candidate=f"candidate {candidate.version}")
    for line in result.table():
        say(line)
    candidate.card["gate"] = {
        "compared_with": current.version,
        "site_compared_with": base.version,
        **result.to_dict(),
    }
    save_model(candidate, models_dir / candidate.version, render_model_card(candidate.card))
    if result.promote:
        promote(candidate.version, models_dir)
    return RetrainOutcome(candidate, current.version, result, len(labels))
