"""alt-profanity-check, the pretrained offensive-language model shown beside modq.

It is a development dependency (the ``dev`` extra): evaluation and benchmarks
show it when installed and say so when it is not. Its package loads its model
with joblib (pickle) at import time; it comes from PyPI, not from a user's file,
and modq itself never loads pickles.

Caveat for reading comparisons: its training data included the Davidson et al.
tweets and Wikipedia talk comments, so on those sources it is not scoring
unseen data.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

NAME = "alt-profanity-check"
DISTRIBUTION = "alt-profanity-check"
# The threshold its own ``predict`` uses; the peer has no review/reject pair.
DEFAULT_THRESHOLD = 0.5


class PeerUnavailableError(RuntimeError):
    """alt-profanity-check is not installed in this environment."""


@lru_cache(maxsize=1)
def _predict_prob() -> Callable[[Sequence[str]], npt.NDArray[np.float64]]:
    try:
        module = importlib.import_module("profanity_check")
    except ImportError as exc:
        raise PeerUnavailableError(
            f"{DISTRIBUTION} is not installed; install the dev extra: pip install -e '.[dev]'"
        ) from exc
    fn: Callable[[Sequence[str]], npt.NDArray[np.float64]] = module.predict_prob
    return fn


def is_available() -> bool:
    """True when alt-profanity-check can be imported."""
    try:
        _predict_prob()
    except PeerUnavailableError:
        return False
    return True


def load_peer() -> None:
    """Import the peer model now (its import loads the model; ~2 s)."""
    _predict_prob()


def version() -> str:
    """The installed alt-profanity-check version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(DISTRIBUTION)
    except PackageNotFoundError as exc:
        raise PeerUnavailableError(f"{DISTRIBUTION} is not installed") from exc


def score_texts(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    """Probability of offensive language for each text, in [0, 1]."""
    if not texts:
        return np.zeros(0, dtype=np.float64)
    return np.asarray(_predict_prob()(list(texts)), dtype=np.float64)
