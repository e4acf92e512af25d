"""Label harmonization: per-row weight factors from the datasets' own annotation columns.

The toxicity sources label different things with different confidence
(Davidson: a majority of three or more coders; Civil Comments: rater
fractions; Stormfront: hate judged with or without the surrounding sentences).
A rule maps a row to a factor in [0, 1] that scales its training weight inside
its (domain, label) cell, so the domain and class totals of
``classifier.train.sample_weights`` stay as they are and only the mix inside
a cell moves toward the rows whose label is clear. A rule that does not apply to
a row leaves it at 1. Rules are named in ``Recipe.harmonize``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from classifier.data import LabeledComment

Rule = Callable[[LabeledComment], float]


def _number(extra: Mapping[str, str], key: str) -> float | None:
    try:
        return float(extra.get(key, ""))
    except ValueError:
        return None


def davidson_votes(row: LabeledComment) -> float:
    """Davidson: the share of coders who chose the row's side (toxic = hate or offensive)."""
    if row.dataset != "davidson_hate_offensive" or row.toxic is None:
        return 1.0
    n = _number(row.extra, "n_annotators")
    neither = _number(row.extra, "votes_neither")
    if not n or neither is None:
        return 1.0
    return (n - neither) / n if row.toxic else neither / n


def civil_fraction(row: LabeledComment) -> float:
    """Civil Comments rater fractions: |2 * toxicity - 1| (a 50/50 comment counts nothing);
    toxic_spans_civil: the share of span annotators who did not tick "not toxic"."""
    if row.dataset == "civil_comments_autolabel":
        fraction = _number(row.extra, "toxicity")
        return 1.0 if fraction is None else abs(2.0 * fraction - 1.0)
    if row.dataset == "toxic_spans_civil":
        n = _number(row.extra, "n_span_annotators")
        not_toxic = _number(row.extra, "n_marked_not_toxic")
        if not n or not_toxic is None:
            return 1.0
        return max(0.0, 1.0 - not_toxic / n)
    return 1.0


def stormfront_context(row: LabeledComment) -> float:
    """Stormfront: a sentence whose label needed surrounding sentences counts half."""
    if row.dataset != "stormfront_hate":
        return 1.0
    contexts = _number(row.extra, "num_contexts")
    return 0.5 if contexts else 1.0


def olid_untargeted(row: LabeledComment) -> float:
    """OLID: untargeted profanity (subtask_b UNT) counts half as a toxic example."""
    if row.dataset != "olid" or row.extra.get("subtask_b") != "UNT":
        return 1.0
    return 0.5


RULES: dict[str, Rule] = {
    "davidson_votes": davidson_votes,
    "civil_fraction": civil_fraction,
    "stormfront_context": stormfront_context,
    "olid_untargeted": olid_untargeted,
}


def row_factors(rows: Sequence[LabeledComment], rules: Sequence[str]) -> np.ndarray:
    """The product of the named rules' factors for each row (1 for every row without rules)."""
    factors = np.ones(len(rows), dtype=np.float64)
    for name in rules:
        try:
            rule = RULES[name]
        except KeyError:
            raise ValueError(
                f"unknown harmonization rule {name!r}; known: {sorted(RULES)}"
            ) from None
        factors *= np.fromiter((rule(r) for r in rows), dtype=np.float64, count=len(rows))
    return factors


__all__ = ["RULES", "row_factors"]
