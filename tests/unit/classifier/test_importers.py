"""Importers: WordPress (CSV and SQL dump) and Disqus exports into labeled rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from classifier.importers import (
    LABELED_COLUMNS,
    ImportFormatError,
    Outcome,
    RemovedAs,
    write_labeled_csv,
)
from classifier.importers.disqus import html_to_text, read_disqus
from classifier.importers.wordpress import read_wordpress

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WP_SQL = FIXTURES / "wordpress" / "wp_comments.sql"
WP_CSV = FIXTURES / "wordpress" / "wp_comments.csv"
DISQUS = FIXTURES / "disqus" / "export.xml"


def labels_by_id(rows: list[dict[str, str]]) -> dict[str, tuple[str, str]]:
    return {row["id"]: (row["spam"], row["toxic"]) for row in rows}


# --- WordPress ---------------------------------------------------------------


def test_wordpress_sql_maps_each_status() -> None:
    result = read_wordpress(WP_SQL)
    assert labels_by_id(result.rows) == {
        # comment_approved '1' -> ham
        "wordpress:wp_comments:1": ("0", ""),
        "wordpress:wp_comments:2": ("0", ""),
        "wordpress:wp_comments:4": ("0", ""),
        "wordpress:wp_comments:10": ("0", ""),
        # 'spam' -> spam
        "wordpress:wp_comments:3": ("1", ""),
        "wordpress:wp_comments:5": ("1", ""),
        "wordpress:wp_comments:11": ("1", ""),
    }
    # '0' pending, 'trash', 'post-trashed', a pingback and a WooCommerce order note are skipped.
    assert result.outcomes == {
        Outcome.HAM: 4,
        Outcome.SPAM: 3,
        Outcome.SKIPPED_PENDING: 1,
        Outcome.SKIPPED_TRASH: 1,
        Outcome.SKIPPED_UNKNOWN: 1,
        Outcome.SKIPPED_TYPE: 2,
    }


def test_wordpress_sql_reads_mysql_escapes_and_fields() -> None:
    rows = {row["id"]: row for row in read_wordpress(WP_SQL).rows}
    tricky = rows["wordpress:wp_comments:10"]
    assert tricky["text"] == "Semicolons; quotes ' and \"; and a literal \\n are fine here."
    assert tricky["name"] == "Wendy; DROP TABLE"
    reply = rows["wordpress:wp_comments:2"]
    assert reply["name"] == "Margaret O'Neill"
    assert reply["text"].endswith("great.\r\n\r\nDoes it freeze well?")
    assert (reply["email"], reply["thread"], reply["source"]) == (
        "m.oneill@example.org",
        "14",
        "wordpress",
    )
    assert rows["wordpress:wp_comments:4"]["text"].endswith("fridge. 👍")


def test_wordpress_csv_maps_each_status() -> None:
    result = read_wordpress(WP_CSV)
    assert labels_by_id(result.rows) == {
        "wordpress:wp_comments:101": ("0", ""),
        "wordpress:wp_comments:102": ("0", ""),
        "wordpress:wp_comments:108": ("0", ""),  # comment_type '' is a comment
        "wordpress:wp_comments:103": ("1", ""),
        "wordpress:wp_comments:106": ("1", ""),
    }
    assert result.outcomes[Outcome.SKIPPED_TRASH] == 1
    assert result.outcomes[Outcome.SKIPPED_PENDING] == 1
    assert result.outcomes[Outcome.SKIPPED_TYPE] == 1  # trackback
    assert result.outcomes[Outcome.SKIPPED_EMPTY] == 1
    multiline = next(r for r in result.rows if r["id"].endswith(":102"))
    assert "school\nare already fading" in multiline["text"]


@pytest.mark.parametrize(
    ("trash_as", "labels"), [(RemovedAs.TOXIC, ("", "1")), (RemovedAs.SPAM, ("1", ""))]
)
def test_wordpress_trash_can_be_labeled(trash_as: RemovedAs, labels: tuple[str, str]) -> None:
    rows = labels_by_id(read_wordpress(WP_CSV, trash_as=trash_as).rows)
    assert rows["wordpress:wp_comments:104"] == labels


def test_wordpress_approved_clean_marks_ham_not_toxic() -> None:
    rows = labels_by_id(read_wordpress(WP_SQL, approved_clean=True).rows)
    assert rows["wordpress:wp_comments:1"] == ("0", "0")
    assert rows["wordpress:wp_comments:3"] == ("1", "")


def test_wordpress_csv_without_header_uses_schema_order(tmp_path: Path) -> None:
    lines = WP_CSV.read_text(encoding="utf-8").splitlines(keepends=True)
    bare = tmp_path / "bare.csv"
    bare.write_text("".join(lines[1:]), encoding="utf-8")
    assert labels_by_id(read_wordpress(bare).rows) == labels_by_id(read_wordpress(WP_CSV).rows)


def test_wordpress_sql_with_column_list_and_other_prefix(tmp_path: Path) -> None:
    dump = tmp_path / "blog.sql"
    dump.write_text(
        "INSERT INTO `blog_comments` (`comment_ID`, `comment_content`, `comment_approved`) "
        "VALUES (7, 'Nice photos from the trip!', '1'), (8, 'casino bonus http://x.example', "
        "'spam');\n",
        encoding="utf-8",
    )
    assert labels_by_id(read_wordpress(dump).rows) == {
        "wordpress:blog_comments:7": ("0", ""),
        "wordpress:blog_comments:8": ("1", ""),
    }


def test_wordpress_file_that_is_not_an_export_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "posts.csv"
    other.write_text("title,body\nHello,World\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="comment_content"):
        read_wordpress(other)
    dump = tmp_path / "posts.sql"
    dump.write_text("INSERT INTO `wp_posts` VALUES (1, 'Hello');\n", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="no INSERT into a wp_comments table"):
        read_wordpress(dump)


# The same six comments as each tool writes them: phpMyAdmin's CSV (every value quoted,
# NULL bare, LF rows), its "CSV for MS Excel" (semicolons, CRLF rows, CRLF in a value
# becomes LF), `wp comment list --format=csv` (PHP fputcsv: quotes only where needed) and
# an export plugin (fputcsv with a byte-order mark and CRLF rows).
WP_EXPORT_TEXTS = {
    "201": "Nice post",
    "202": 'Multi-line\ncomment with "quotes"',
    "203": "Grüße aus Köln, danke! Ça marche très bien — merci. 日本語のコメント 👍",
    "204": 'Buy now, pay later: "best" prices, 90% off!\r\nhttp://meds.example/?a=1,2',
    "205": 'He said "no".\r\n\r\nThen: ""\r\nC:\\Users\\dana is a path, not a quote.',
    "206": '"Quoted from start to end"',
}
WP_EXPORTS = ["phpmyadmin.csv", "phpmyadmin_excel.csv", "wp_cli.csv", "plugin.csv"]


@pytest.mark.parametrize("export", WP_EXPORTS)
def test_wordpress_csv_exports_keep_quotes_newlines_commas_and_text(export: str) -> None:
    rows = {
        row["id"].rsplit(":", 1)[1]: row
        for row in read_wordpress(FIXTURES / "wordpress" / export).rows
    }
    texts = {comment_id: row["text"] for comment_id, row in rows.items()}
    if export == "phpmyadmin_excel.csv":
        expected = {k: v.replace("\r\n", "\n") for k, v in WP_EXPORT_TEXTS.items()}
    else:
        expected = WP_EXPORT_TEXTS
    assert texts == expected
    assert rows["203"]["name"] == "Zoë Müller"
    assert rows["204"]["name"] == 'Cheap "Meds", Inc.'
    assert rows["206"]["email"] == ""  # NULL, or empty
    assert labels_by_id(list(rows.values()))["wordpress:wp_comments:204"] == ("1", "")


def test_wordpress_csv_result_does_not_depend_on_other_rows(tmp_path: Path) -> None:
    export = (FIXTURES / "wordpress" / "phpmyadmin.csv").read_bytes().decode("utf-8")
    header, rest = export.split("\n", 1)
    two_line_record = rest.split('"203"', 1)[0].split("\n", 1)[1]
    alone = tmp_path / "one.csv"
    alone.write_text(f"{header}\n{two_line_record}", encoding="utf-8")
    assert [row["text"] for row in read_wordpress(alone).rows] == [WP_EXPORT_TEXTS["202"]]


def test_wordpress_csv_headerless_semicolons_need_the_delimiter(tmp_path: Path) -> None:
    export = (FIXTURES / "wordpress" / "phpmyadmin_excel.csv").read_bytes()
    bare = tmp_path / "bare.csv"
    bare.write_bytes(export.split(b"\r\n", 1)[1])
    with pytest.raises(ImportFormatError, match=r"delimiter ','.*--delimiter"):
        read_wordpress(bare)
    rows = read_wordpress(bare, delimiter=";").rows
    assert rows[1]["text"] == WP_EXPORT_TEXTS["202"]


def test_wordpress_csv_guesses_the_dialect_only_when_told(tmp_path: Path) -> None:
    export = tmp_path / "single-quoted.csv"
    export.write_text(
        "comment_ID,comment_content,comment_approved\n"
        "1,'Hello, world',1\n"
        "2,'Spam, spam, spam',spam\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportFormatError, match="row 2 has 4 fields"):
        read_wordpress(export)
    rows = read_wordpress(export, guess_dialect=True).rows
    assert [row["text"] for row in rows] == ["Hello, world", "Spam, spam, spam"]


def test_wordpress_csv_with_backslash_escaped_quotes_is_refused_with_a_hint(
    tmp_path: Path,
) -> None:
    export = tmp_path / "escaped.csv"
    export.write_text(
        'comment_ID,comment_content,comment_approved\n1,"say \\"hi\\" please",1\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFormatError, match=r"line 2 is not RFC 4180 CSV.*--guess-dialect"):
        read_wordpress(export)


# --- Disqus ------------------------------------------------------------------


def test_disqus_maps_each_flag_combination() -> None:
    result = read_disqus(DISQUS)
    assert labels_by_id(result.rows) == {
        "disqus:6301000001": ("0", ""),  # approved
        "disqus:6301000002": ("0", ""),
        "disqus:6301000004": ("0", ""),
        "disqus:6301000008": ("0", ""),  # no isApproved element: an older export
        "disqus:6301000003": ("1", ""),  # isSpam
        "disqus:6301000007": ("1", ""),  # isSpam and isDeleted: still spam
    }
    assert result.outcomes == {
        Outcome.HAM: 4,
        Outcome.SPAM: 2,
        Outcome.SKIPPED_DELETED: 2,
        Outcome.SKIPPED_PENDING: 1,  # isApproved false, not spam
    }


def test_disqus_deleted_can_be_labeled_toxic() -> None:
    rows = labels_by_id(read_disqus(DISQUS, deleted_as=RemovedAs.TOXIC).rows)
    assert rows["disqus:6301000005"] == ("", "1")
    assert rows["disqus:6301000007"] == ("1", "")


def test_disqus_rows_carry_plain_text_author_and_thread() -> None:
    rows = {row["id"]: row for row in read_disqus(DISQUS).rows}
    linked = rows["disqus:6301000002"]
    assert linked["text"] == (
        "According to the agenda it will be open until 8pm on weekdays.\n\n"
        "Details: https://riverside.example/agenda/2025-03-03.pdf"
    )
    assert linked["thread"].endswith("/council-approves-new-library/")
    assert (linked["name"], linked["email"]) == ("J. Okafor", "jokafor@example.net")
    assert rows["disqus:6301000003"]["text"].endswith(
        "so can you >> CLICK HERE (http://easy-income.example/start)"
    )
    assert rows["disqus:6301000004"]["text"] == (
        "Another waste of taxpayer money by these clowns.\nVote them all out."
    )


def test_html_to_text_unescapes_entities() -> None:
    assert html_to_text("<p>5 &lt; 6 &amp; caf&eacute;</p>") == "5 < 6 & café"


def test_disqus_refuses_entity_expansion(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE disqus [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        '<disqus xmlns="http://disqus.com"><post><message>&b;</message></post></disqus>\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportFormatError, match="unsafe XML"):
        read_disqus(bomb)


def test_disqus_refuses_other_xml(tmp_path: Path) -> None:
    other = tmp_path / "feed.xml"
    other.write_text("<rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(ImportFormatError, match="not a Disqus export"):
        read_disqus(other)


# --- Output ------------------------------------------------------------------


def test_labeled_csv_round_trips_in_the_labeled_format() -> None:
    rows = read_wordpress(WP_SQL).rows
    out = io.StringIO()
    assert write_labeled_csv(rows, out) == len(rows)
    read_back = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(read_back[0].keys())[: len(LABELED_COLUMNS)] == LABELED_COLUMNS
    assert [r["text"] for r in read_back] == [r["text"] for r in rows]
