"""`sitegen import arxiv|bibtex|json`."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sitegen.config import load_config

if TYPE_CHECKING:
    from sitegen.importers.common import Outcome

site_option = click.option("--site", "-s", "site_dir", type=click.Path(file_okay=False, path_type=Path),
                           default=".", show_default=True, help="The site folder.")
day_option = click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Listing day of the new entries.")
update_option = click.option("--update", is_flag=True, help="Rewrite entries this importer wrote before.")
format_option = click.option("--format", "fmt", type=click.Choice(["md", "yaml"]), default="md", show_default=True)


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
    from sitegen.importers.arxiv import ArxivError, Client, fetch

    config, _ = load_config(site_dir)
    try:
        fetched = fetch(list(ids), Client(config.arxiv_api))
    except ArxivError as error:
        raise click.ClickException(str(error)) from None
    outcome = _write(config, fetched.papers, "arxiv", update, fmt, day)
    _report(outcome, fetched.problems)


@import_group.command("bibtex")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@day_option
@update_option
@format_option
def import_bibtex(file, site_dir, day, update, fmt) -> None:
    """Turn the entries of a .bib file into paper entries."""
    from sitegen.importers.bibtex import read_bibtex

    config, _ = load_config(site_dir)
    read = read_bibtex(file)
    outcome = _write(config, read.papers, "bibtex", update, fmt, day)
    _report(outcome, read.problems, read.warnings)


@import_group.command("json")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@day_option
@update_option
@format_option
def import_json(file, site_dir, day, update, fmt) -> None:
    """Mirror a Hugging Face Daily Papers JSON export (a list of {"paper": {...}})."""
    from sitegen.importers.hfjson import read_json

    config, _ = load_config(site_dir)
    read = read_json(file)
    outcome = _write(config, read.papers, "daily", update, fmt, day)
    _report(outcome, read.problems)
