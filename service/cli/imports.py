"""``modq import wordpress|disqus``: a site's comment history as labeled training data."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import click

from classifier.importers import ImportFormatError, ImportResult, RemovedAs, write_labeled_csv
from classifier.importers.disqus import read_disqus
from classifier.importers.wordpress import read_wordpress

output_option = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Labeled CSV to write (default: standard output). Train on it with `modq train --data`.",
)
approved_clean_option = click.option(
    "--approved-clean",
    is_flag=True,
    help="Also label approved comments not toxic (only if your moderators removed toxic ones).",
)


@click.group("import")
def import_group() -> None:
    """Turn a site's moderated comment history into labeled training data."""


@import_group.command("wordpress")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_option
@click.option(
    "--trash-as",
    type=click.Choice([r.value for r in RemovedAs]),
    default=RemovedAs.SKIP.value,
    show_default=True,
    help="Label for comments in the trash.",
)
@approved_clean_option
@click.option(
    "--delimiter",
    default=None,
    help="CSV field delimiter (default: what separates the header's names, else a comma; "
    "a tab for .tsv).",
)
@click.option(
    "--guess-dialect",
    is_flag=True,
    help="Guess the CSV quoting from the content instead of reading RFC 4180 "
    "(only for exports that do not double quotes).",
)
def wordpress_command(
    file: Path,
    output: Path | None,
    trash_as: str,
    approved_clean: bool,
    delimiter: str | None,
    guess_dialect: bool,
) -> None:
    """Read a wp_comments export (CSV, or an SQL dump from mysqldump/phpMyAdmin/wp db export).

    comment_approved 1 is ham, spam is spam; trash and 0 (pending) are skipped by default;
    pingbacks, trackbacks and plugin notes are skipped. CSV is read as RFC 4180 (quotes
    doubled), as phpMyAdmin, `wp comment list --format=csv` and export plugins write it.
    """
    _run(
        lambda: read_wordpress(
            file,
            trash_as=RemovedAs(trash_as),
            approved_clean=approved_clean,
            delimiter=delimiter,
            guess_dialect=guess_dialect,
        ),
        output,
    )


@import_group.command("disqus")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@output_option
@click.option(
    "--deleted-as",
    type=click.Choice([r.value for r in RemovedAs]),
    default=RemovedAs.SKIP.value,
    show_default=True,
    help="Label for deleted posts that are not marked spam.",
)
@approved_clean_option
def disqus_command(file: Path, output: Path | None, deleted_as: str, approved_clean: bool) -> None:
    """Read a Disqus XML export.

    isSpam is spam; isApproved (and not deleted) is ham; deleted posts are skipped by
    default; posts never approved (pending) are skipped.
    """
    _run(
        lambda: read_disqus(file, deleted_as=RemovedAs(deleted_as), approved_clean=approved_clean),
        output,
    )


def _run(read: Callable[[], ImportResult], output: Path | None) -> None:
    try:
        result = read()
    except ImportFormatError as exc:
        raise click.ClickException(str(exc)) from None
    if output is None:
        _write(result, sys.stdout)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", newline="", encoding="utf-8") as handle:
            _write(result, handle)
    where = f" to {output}" if output else ""
    click.echo(f"imported {result.summary()}{where}", err=True)


def _write(result: ImportResult, out: TextIO) -> None:
    write_labeled_csv(result.rows, out)


commands = [import_group]
