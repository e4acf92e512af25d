"""`modq import wordpress|disqus`: labeled CSV out, a summary of every outcome on stderr."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.data import LabeledComment
from classifier.site_labels import read_site_labels, with_site_labels
from service.cli.imports import import_group

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_import_wordpress_writes_labeled_csv(tmp_path: Path) -> None:
    out = tmp_path / "labels" / "wordpress.csv"
    result = CliRunner().invoke(
        import_group, ["wordpress", str(FIXTURES / "wordpress" / "wp_comments.sql"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines(keepends=True)))
    assert [(r["spam"], r["toxic"]) for r in rows].count(("1", "")) == 3
    assert len(rows) == 7
    assert "imported 7 labeled rows" in result.stderr
    assert "skipped_trash=1" in result.stderr


def test_import_disqus_deleted_as_toxic_to_stdout() -> None:
    result = CliRunner().invoke(
        import_group,
        ["disqus", str(FIXTURES / "disqus" / "export.xml"), "--deleted-as", "toxic"],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert sum(r["toxic"] == "1" for r in rows) == 2
    assert "toxic=2" in result.stderr


def test_import_of_a_wrong_file_fails_with_a_message(tmp_path: Path) -> None:
    bad = tmp_path / "export.xml"
    bad.write_text("<disqus><post>", encoding="utf-8")
    result = CliRunner().invoke(import_group, ["disqus", str(bad)])
    assert result.exit_code == 1
    assert "not well-formed XML" in result.stderr


def test_import_as_site_labels_keeps_them_apart_for_the_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODQ_DATA_DIR", str(tmp_path))
    args = ["wordpress", str(FIXTURES / "wordpress" / "wp_comments.sql"), "--site-labels"]

    first = CliRunner().invoke(import_group, args)
    again = CliRunner().invoke(import_group, args)

    assert first.exit_code == 0 and again.exit_code == 0, first.output
    [stored] = (tmp_path / "site_labels").glob("*.csv")  # the same export twice: one file
    assert "as 7 site labels" in first.stderr
    imported = read_site_labels(tmp_path / "site_labels")
    assert len(imported) == 7 and {r.source for r in imported} == {"import/wordpress"}
    moderator = [LabeledComment(text=imported[0].text, spam=0, source="moderator")]
    merged = with_site_labels(moderator, imported)
    assert len(merged) == 7 and merged[0].source == "moderator"  # the moderator wins
    assert stored.name.startswith("wordpress-")


def test_site_labels_and_output_exclude_each_other(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        import_group,
        [
            "disqus",
            str(FIXTURES / "disqus" / "export.xml"),
            "--site-labels",
            "-o",
            str(tmp_path / "x.csv"),
        ],
    )
    assert result.exit_code == 2 and "leave out --output" in result.stderr


def test_import_wordpress_csv_keeps_doubled_quotes_through_to_the_labeled_csv(
    tmp_path: Path,
) -> None:
    out = tmp_path / "wordpress.csv"
    export = FIXTURES / "wordpress" / "phpmyadmin.csv"
    result = CliRunner().invoke(import_group, ["wordpress", str(export), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        texts = {row["id"]: row["text"] for row in csv.DictReader(handle)}
    assert texts["wordpress:wp_comments:202"] == 'Multi-line\ncomment with "quotes"'
    assert texts["wordpress:wp_comments:206"] == '"Quoted from start to end"'


def test_import_wordpress_takes_a_delimiter_and_guesses_only_when_told(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("1|'It''s | fine'|1\n", encoding="utf-8")
    refused = CliRunner().invoke(import_group, ["wordpress", str(export)])
    assert refused.exit_code == 1
    assert "--delimiter" in refused.stderr
    header = "comment_ID|comment_content|comment_approved\n"
    export.write_text(header + '1|"It\'s | fine"|1\n', encoding="utf-8")
    read = CliRunner().invoke(import_group, ["wordpress", str(export), "--delimiter", "|"])
    assert read.exit_code == 0, read.output
    assert "It's | fine" in read.stdout
    export.write_text(header + "1|'It is | fine'|1\n2|'Spam | spam'|spam\n", encoding="utf-8")
    guessed = CliRunner().invoke(
        import_group, ["wordpress", str(export), "--delimiter", "|", "--guess-dialect"]
    )
    assert guessed.exit_code == 0, guessed.output
    assert "It is | fine" in guessed.stdout
