"""Coalesced scoring: a comment the model cannot score fails alone, not its batch."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from classifier import Model, load_model
from classifier.model import ScoredBatch
from service.concurrency.batching import Batcher
from service.moderation.model_holder import ModelHolder
from service.moderation.scoring import Outcome, moderate
from service.settings import Settings


class _FailsOnBoom:
    """The default model, except that a batch holding "BOOM" cannot be scored."""

    def __init__(self, model: Model) -> None:
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def score_batch(self, comments: Sequence[Mapping[str, str]]) -> ScoredBatch:
        if any("BOOM" in c["text"] for c in comments):
            raise ValueError("cannot score BOOM")
        return self._model.score_batch(comments)


def test_one_failing_comment_leaves_the_others_of_its_batch_scored() -> None:
    model = load_model()
    holder = ModelHolder(_FailsOnBoom(model))  # type: ignore[arg-type]
    scorer: Batcher[Any] = Batcher(max_batch=8, max_wait_s=1.0)
    settings = Settings()
    texts = ["A fine article, thanks.", "BOOM", "Cheap pills at http://pills.example", "Hm."]
    gate = threading.Barrier(len(texts))
    outcomes: dict[str, Outcome | Exception] = {}
    sizes: list[int] = []
    real_submit = scorer.submit

    def counting_submit(item: Any, handle_many: Any) -> Any:
        def counted(batch: Sequence[Any]) -> Any:
            sizes.append(len(batch))
            return handle_many(batch)

        return real_submit(item, counted)

    scorer.submit = counting_submit  # type: ignore[method-assign]

    def request(text: str) -> None:
        comment = {"text": text, "name": "Ada", "email": "ada@example.org"}
        with scorer.coming():
            gate.wait()
            try:
                outcomes[text] = moderate(holder, scorer, settings, comment)
            except ValueError as error:
                outcomes[text] = error

    threads = [threading.Thread(target=request, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert max(sizes) > 1  # the comments did share a model call
    assert isinstance(outcomes.pop("BOOM"), ValueError)
    for text, outcome in outcomes.items():
        assert isinstance(outcome, Outcome), (text, outcome)
        alone = model.score_batch([{"text": text, "name": "Ada", "email": "ada@example.org"}])
        assert (outcome.spam, outcome.toxicity) == (alone.scores[0].spam, alone.scores[0].toxicity)


def test_a_lone_failing_comment_raises_as_before() -> None:
    holder = ModelHolder(_FailsOnBoom(load_model()))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="BOOM"):
        moderate(holder, Batcher(max_batch=1), Settings(), {"text": "BOOM", "name": "Ada"})
