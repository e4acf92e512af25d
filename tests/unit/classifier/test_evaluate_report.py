"""The HTML report and the evaluation sets, with a fake model and a fake peer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from classifier import evaluation_sets, peer
from classifier.evaluate import Scored
from classifier.evaluation_sets import Pool, parse_label, score_pool
from classifier.report import write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class FakeScores:
    spam: float
    toxicity: float


class FakeModel:
    """Spam score 0.9 when the text mentions 'buy', toxicity 0.8 when it says 'idiot'."""

    thresholds: Mapping[str, Mapping[str, float]] = {
        "spam": {"review": 0.5, "reject": 0.85},
        "toxicity": {"review": 0.5, "reject": 0.9},
    }

    def score(self, comments: Sequence[Mapping[str, str]]) -> list[FakeScores]:
        return [
            FakeScores(
                spam=0.9 if "buy" in c["text"] else 0.1,
                toxicity=0.8 if "idiot" in c["text"] else 0.2,
            )
            for c in comments
        ]


def _fake_peer(texts: Sequence[str]) -> npt.NDArray[np.float64]:
    return np.array([0.6 if "idiot" in t else 0.4 for t in texts])


ROWS = [
    {"text": "buy pills now", "spam": "1", "toxic": "", "source": "shop"},
    {"text": "nice post", "spam": "0", "toxic": "0", "source": "shop"},
    {"text": "you idiot", "spam": "0", "toxic": "1", "source": "forum"},
    {"text": "agreed", "spam": "", "toxic": "0", "source": "forum"},
    {"text": "idiot buy", "spam": "1", "toxic": "1", "source": "forum"},
]


def test_labels_parse_one_zero_and_empty() -> None:
    assert parse_label("1") == 1.0 and parse_label("0") == 0.0
    assert np.isnan(parse_label("")) and np.isnan(parse_label(None))
    with pytest.raises(ValueError, match="label must be"):
        parse_label("maybe")


def test_pool_adds_a_set_per_source_when_a_file_mixes_sources() -> None:
    pool = Pool()
    pool.add("file.csv", ROWS)
    assert pool.sets == {
        "file.csv": [0, 1, 2, 3, 4],
        "file.csv · forum": [2, 3, 4],
        "file.csv · shop": [0, 1],
    }


def test_score_pool_scores_only_labeled_rows_per_head(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peer, "score_texts", _fake_peer)
    pool = Pool()
    pool.add("file.csv", ROWS, split_sources=False)
    scored = {(s.head, s.scorer): s for s in score_pool(FakeModel(), pool)}
    assert set(scored) == {("spam", "modq"), ("toxicity", "modq"), ("toxicity", peer.NAME)}
    assert list(scored["spam", "modq"].y_true) == [1, 0, 0, 1]
    assert list(scored["toxicity", "modq"].scores) == [0.2, 0.8, 0.2, 0.8]
    assert list(scored["toxicity", peer.NAME].scores) == [0.4, 0.6, 0.4, 0.6]
    assert scored["toxicity", peer.NAME].thresholds == {"default": 0.5}
    assert evaluation_sets.BATCH >= 1


def test_report_writes_html_that_links_existing_pngs(tmp_path: Path) -> None:
    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.1, 0.9, 0.3, 0.7, 0.4, 0.6])
    scored = [
        Scored("news <b>", "toxicity", "modq", y, p, {"review": 0.5, "reject": 0.8}),
        Scored("news <b>", "toxicity", peer.NAME, y, p[::-1], {"default": 0.5}),
        Scored("positives only", "toxicity", "modq", np.ones(2, int), p[:2], {}),
    ]
    html_path = write_report(scored, tmp_path / "out", notes=["held-out rows only"])
    page = html_path.read_text(encoding="utf-8")
    assert html_path.name == "report.html"
    assert "news &lt;b&gt;" in page and "held-out rows only" in page
    pngs = sorted((tmp_path / "out").glob("*.png"))
    assert [p.name for p in pngs] == [
        "news-b-toxicity-calibration.png",
        "news-b-toxicity-pr.png",
        "news-b-toxicity-roc.png",
    ]
    for png in pngs:
        assert f"src='{png.name}'" in page
        assert png.read_bytes().startswith(PNG_MAGIC)
