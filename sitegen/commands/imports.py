"""`sitegen import arxiv|bibtex|json`."""

from __future__ import annotations

import codecs
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click

from sitegen.config import load_config
from sitegen.importers import ImportFailure

if TYPE_CHECKING:
    from sitegen.importers.common import Outcome

site_option = click.option("--site", "-s", "site_dir", type=click.Path(file_okay=False, path_type=Path),
                           default=".", show_default=True, help="The site folder.")
day_option = click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Listing day of the new entries.")
update_option = click.option("--update", is_flag=True, help="Rewrite entries this importer wrote before.")
format_option = click.option("--format", "fmt", type=click.Choice(["md", "yaml"]), default="md", show_default=True)
file_argument = click.argument("file", type=click.Path(path_type=Path))  # a missing file is reported as any failure


def _encoding(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise click.BadParameter(f"unknown encoding {value!r} (try cp1252, latin-1 or utf-8)") from None


@click.group("import")
def import_group() -> None:
    """Write entries into content/ from arXiv, a BibTeX file or a Daily Papers JSON export.

    An entry whose id is already in content/ is never overwritten without --update.
    """


def _report(outcome: Outcome, problems: list[str], warnings: list[str] = ()) -> None:
    for line in outcome.written:
        click.echo(f"wrote   {line}")
    for line in outcome.skipped:
        click.echo(f"skipped {line}")
    for line in list(warnings):
        click.echo(f"warning: {line}", err=True)
    failed = list(problems) + outcome.failed
    for line in failed:
        click.echo(f"failed  {line}", err=True)
    click.echo(f"{len(outcome.written)} written, {len(outcome.skipped)} skipped, {len(failed)} failed.")
    if failed:
        sys.exit(1)


def note(line: str) -> None:
    """A line about progress (a retry and its wait), on stderr."""
    click.echo(f"note: {line}", err=True)


@contextmanager
def one_line_on_failure() -> Iterator[None]:
    """A source that fails ends the command with its one line and exit status 1."""
    try:
        yield
    except ImportFailure as failure:
        raise click.ClickException(str(failure)) from None


def _day(value) -> date | None:
    return value.date() if value else None


def _write(config, papers, folder: str, update: bool, fmt: str, day) -> Outcome:
    from sitegen.importers.common import write_imported  # with the model: not for every sitegen command

    return write_imported(config, papers, folder=folder, update=update, fmt=fmt, day=_day(day))


@import_group.command("arxiv")
@click.argument("ids", nargs=-1, required=True)
@site_option
@day_option
@update_option
@format_option
def import_arxiv(ids, site_dir, day, update, fmt) -> None:
    """Fetch papers by arXiv id (2203.00555, 2203.00555v2, math/0601001) from the arXiv API."""
    from sitegen.importers.arxiv import Client, fetch

    config, _ = load_config(site_dir)
    with one_line_on_failure():
        fetched = fetch(list(ids), Client(config.arxiv_api, notify=note))
        outcome = _write(config, fetched.papers, "arxiv", update, fmt, day)
    _report(outcome, fetched.problems)


@import_group.command("bibtex")
@file_argument
@site_option
@day_option
@update_option
@format_option
@click.option("--encoding", callback=_encoding,
              help="The file's encoding when it is not UTF-8, e.g. cp1252 (Windows) or latin-1.")
def import_bibtex(file, site_dir, day, update, fmt, encoding) -> None:
    """Turn the entries of a .bib file into paper entries."""
    from sitegen.importers.bibtex import read_bibtex

    config, _ = load_config(site_dir)
    with one_line_on_failure():
        read = read_bibtex(file, encoding)
        outcome = _write(config, read.papers, "bibtex", update, fmt, day)
    _report(outcome, read.problems, read.warnings)


@import_group.command("json")
@file_argument
@site_option
@day_option
@update_option
@format_option
def import_json(file, site_dir, day, update, fmt) -> None:
    """Mirror a Hugging Face Daily Papers JSON export (a list of {"paper": {...}})."""
    from sitegen.importers.hfjson import read_json

    config, _ = load_config(site_dir)
    with one_line_on_failure():
        read = read_json(file)
        outcome = _write(config, read.papers, "daily", update, fmt, day)
    _report(outcome, read.problems)
