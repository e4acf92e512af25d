"""Labeled CSVs: format validation, folders, de-duplication across files."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifier.data import DataFormatError, find_csv_files, load_labeled, read_labeled_csv


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_rows_keep_labels_source_and_extra_columns(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "yt" / "data.csv",
        'id,text,spam,toxic,source,video\n1,"hi, there",1,,yt/a,a\n2,bye,0,1,,b\n',
    )
    rows, info = read_labeled_csv(path)
    assert [(r.spam, r.toxic) for r in rows] == [(1, None), (0, 1)]
    assert rows[0].source == "yt/a"
    assert rows[0].dataset == "yt"
    assert rows[1].source == "yt"  # empty source: the folder name
    assert rows[0].group == rows[0].group and rows[0].group.endswith("video:a")
    assert info.rows == 2 and len(info.sha256) == 64


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("body,spam\nx,1\n", "no 'text' column"),
        ("text,spam\nhello,yes\n", "must be 1, 0 or empty"),
        ("text,toxic\n,1\n", "empty 'text'"),
    ],
)
def test_bad_files_are_refused_with_the_place(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path / "bad.csv", content)
    with pytest.raises(DataFormatError, match=message) as error:
        read_labeled_csv(path)
    assert "bad.csv" in str(error.value)


def test_folders_recurse_to_data_csv_and_texts_are_deduplicated(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "data.csv", "text,toxic\nsame text,1\nonly a,0\n")
    _write(tmp_path / "b" / "data.csv", "text,toxic,spam\nsame text ,1,0\nonly b,0,\n")
    _write(tmp_path / "b" / "raw" / "original.csv", "text\nignored\n")
    assert len(find_csv_files([tmp_path])) == 2
    rows, files = load_labeled([tmp_path])
    assert len(files) == 2
    by_text = {r.text.strip(): r for r in rows}
    assert len(rows) == 3
    assert (by_text["same text"].toxic, by_text["same text"].spam) == (1, 0)


def test_conflicting_labels_become_unknown(tmp_path: Path) -> None:
    _write(tmp_path / "x.csv", "text,toxic\nhmm,1\nhmm,0\nfine,0\n")
    rows, _ = load_labeled([tmp_path / "x.csv"])
    assert {r.text: r.toxic for r in rows} == {"hmm": None, "fine": 0}


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="no such file"):
        load_labeled([tmp_path / "nope"])
