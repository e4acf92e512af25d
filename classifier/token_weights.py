"""Each token's share of a head's decision value: what an explanation highlights.

A feature occurrence (a character or word n-gram, with its [start, end) in the
normalized text) adds ``coef[column] * value[column]`` to the decision value; its
column's value is shared equally by the column's occurrences. An occurrence
within one token gives that token its whole share; one that spans several (a word
bigram, a character n-gram across a space) gives half to its first token and half
to its last. Occurrences that touch no token (spaces only) give nothing.

``token_weights_numpy`` is the reference; the compiled ``classifier._hashing``
computes the same doubles in one pass (an explanation's numpy calls, not its
arithmetic, were most of its cost: about 0.14 ms per explained comment).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import numpy as np

_compiled: ModuleType | None
try:  # built by setup.py when a C compiler was there; optional
    from classifier import _hashing as _compiled
except ImportError:  # pragma: no cover - depends on the installation
    _compiled = None


def token_weights(
    columns: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    token_starts: np.ndarray,
    token_ends: np.ndarray,
    value_columns: np.ndarray,
    value_values: np.ndarray,
    coefs: Sequence[np.ndarray],
) -> list[np.ndarray]:
    """Per coefficient vector (one per head): each token's weight.

    ``columns``/``starts``/``ends``: the feature occurrences; ``token_*``: the tokens'
    bounds, in order; ``value_columns`` (sorted) and ``value_values``: the row's
    non-zero feature values (absent columns are 0).
    """
    if _compiled is None:
        return token_weights_numpy(
            columns, starts, ends, token_starts, token_ends, value_columns, value_values, coefs
        )
    arrays = [
        np.ascontiguousarray(a, dtype=np.int64)
        for a in (columns, starts, ends, token_starts, token_ends, value_columns)
    ]
    floats = np.ascontiguousarray(value_values, dtype=np.float64)
    heads = tuple(np.ascontiguousarray(c, dtype=np.float64) for c in coefs)
    return [
        np.frombuffer(out, dtype=np.float64)
        for out in _compiled.token_weights(*arrays, floats, heads)
    ]


def row_token_weights(
    columns: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    token_starts: np.ndarray,
    token_ends: np.ndarray,
    row_columns: np.ndarray,
    scale: float,
    coefs: Sequence[np.ndarray],
) -> list[np.ndarray]:
    """``token_weights`` of a scored row (``FeatureBatch``): a column's value is its count
    in ``row_columns`` (all the row's columns, field columns included) times ``scale``;
    a column not among them (never, for a scored row) has the value 0. Compiled, the
    counting takes a hash table, not numpy's sort."""
    if _compiled is None:
        value_columns, counts = np.unique(row_columns, return_counts=True)
        return token_weights_numpy(
            columns, starts, ends, token_starts, token_ends, value_columns, counts * scale, coefs
        )
    arrays = [
        np.ascontiguousarray(a, dtype=np.int64)
        for a in (columns, starts, ends, token_starts, token_ends, row_columns)
    ]
    heads = tuple(np.ascontiguousarray(c, dtype=np.float64) for c in coefs)
    return [
        np.frombuffer(out, dtype=np.float64)
        for out in _compiled.row_token_weights(*arrays, float(scale), heads)
    ]


def token_weights_numpy(
    columns: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    token_starts: np.ndarray,
    token_ends: np.ndarray,
    value_columns: np.ndarray,
    value_values: np.ndarray,
    coefs: Sequence[np.ndarray],
) -> list[np.ndarray]:
    """``token_weights`` with numpy (the reference, and the fallback when
    classifier/_hashing.c was not built)."""
    n_tokens = len(token_starts)
    # the first and the last token each occurrence touches
    left = np.searchsorted(token_ends, starts, side="right")
    right = np.searchsorted(token_starts, ends, side="left") - 1
    keep = (left <= right) & (left < n_tokens) & (right >= 0)
    columns, left, right = columns[keep], left[keep], right[keep]
    # a column's value is its count times a scale: each occurrence owns one count
    if len(value_columns):
        where = np.minimum(np.searchsorted(value_columns, columns), len(value_columns) - 1)
        present = value_columns[where] == columns
        column_values = np.where(present, value_values[where], 0.0)
        counts = np.bincount(where[present], minlength=len(value_columns))
        share = np.where(left == right, 1.0, 0.5) / np.maximum(counts[where], 1)
    else:
        column_values = share = np.zeros(len(columns))
    weights = []
    for coef in coefs:
        weight = coef[columns] * column_values * share
        per_token = np.bincount(left, weight, minlength=n_tokens) + np.bincount(
            right, weight, minlength=n_tokens
        )
        per_token -= np.bincount(left, np.where(left == right, weight, 0.0), minlength=n_tokens)
        weights.append(per_token)
    return weights
