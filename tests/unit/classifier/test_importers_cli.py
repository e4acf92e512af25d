"""`modq import wordpress|disqus`: labeled CSV out, a summary of every outcome on stderr."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

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
