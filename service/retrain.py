"""``make retrain``: base data plus every moderator label → candidate → gate → promote or keep.

1. Read the moderator labels from Redis (the rows ``modq queue export-labels`` writes).
2. Read the base data (``--data``: the shared datasets, a site's imports, ...).
3. Fit a candidate on both (``classifier.retraining.fit_candidate``); the labels
   count ``label_weight`` times one public source.
4. Score the candidate and the current model on the same held-out rows (base test
   split plus the fixed held-out share of the labels) and apply the gate.
5. Save the candidate in the registry either way (its card records the gate), and
   promote it only if the gate says so. Running services pick it up by themselves
   (``service.reload``).

The outcome's ``line`` is the command's last line: ``promoted <version>: …`` or
``kept <version>: <why>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import redis

from classifier.card import render_model_card
from classifier.data import load_labeled
from classifier.model import Model, load_model, save_model
from classifier.paths import DEFAULT_MODEL_DIR
from classifier.promotion import promote
from classifier.registry import current_model_dir
from classifier.retraining import (
    DEFAULT_LABEL_WEIGHT,
    GateResult,
    fit_candidate,
    gate,
    moderator_rows,
)
from classifier.train import DEFAULT_SEED, Recipe
from service import keys
from service.decision_log import read_labels
from service.settings import Settings

Progress = Callable[[str], None]


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
            return f"promoted {self.candidate.version}: {self.result.reason}"
        return f"kept {self.current_version}: {self.result.reason}"


def retrain(
    settings: Settings,
    client: redis.Redis,
    data: Sequence[str | Path],
    *,
    namespace: str = keys.DEFAULT_NAMESPACE,
    seed: int = DEFAULT_SEED,
    recipe: Recipe | None = None,
    progress: Progress | None = None,
) -> RetrainOutcome:
    """Train a candidate on ``data`` plus the moderator labels in Redis; promote it if better."""
    say = progress or (lambda message: None)
    records = read_labels(client, namespace)
    say(f"{len(records)} moderator labels in Redis")
    return retrain_with_records(
        settings, records, data, seed=seed, recipe=recipe, progress=say, source=keys.labels()
    )


def retrain_with_records(
    settings: Settings,
    records: Sequence[dict[str, str]],
    data: Sequence[str | Path],
    *,
    seed: int = DEFAULT_SEED,
    recipe: Recipe | None = None,
    progress: Progress | None = None,
    source: str = "labels",
) -> RetrainOutcome:
    """The retrain steps after the labels are read (the adaptation experiment calls this)."""
    say = progress or (lambda message: None)
    models_dir = settings.resolved_models_dir
    labels = moderator_rows(records)
    say(f"reading base data: {', '.join(str(d) for d in data)}")
    base, files = load_labeled(data)
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
