"""`sitegen import arxiv|bibtex|json|hf`."""

from __future__ import annotations

import codecs
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import click

from sitegen.config import DEFAULT_SOURCE_MAX, load_config
from sitegen.importers import ImportFailure

if TYPE_CHECKING:
    from sitegen.importers.common import Found, Outcome

site_option = click.option("--site", "-s", "site_dir", type=click.Path(file_okay=False, path_type=Path),
                           default=".", show_default=True, help="The site folder.")
day_option = click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Listing day of the new entries.")
update_option = click.option("--update", is_flag=True, help="Rewrite entries this importer wrote before.")
format_option = click.option("--format", "fmt", type=click.Choice(["md", "yaml"]), default="md", show_default=True)
file_argument = click.argument("file", type=click.Path(path_type=Path))  # a missing file is reported as any failure
quiet_option = click.option("--quiet", "-q", is_flag=True,
                            help="Say nothing while it works (no progress, waits or retries on stderr).")


def _encoding(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise click.BadParameter(f"unknown encoding {value!r} (try cp1252, latin-1 or utf-8)") from None


def _since(ctx, param, value: str | None):
    if value is None:
        return None
    from sitegen.importers.arxiv_query import parse_since

    try:
        return parse_since(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a number of days (1 or more) nor a date YYYY-MM-DD") from None


def _period_value(parser: str, example: str):
    """A callback checking --week or --month with daily_papers' `parser`."""
    def check(ctx, param, value: str | None) -> str | None:
        if value is None:
            return None
        from sitegen.importers import daily_papers

        try:
            return getattr(daily_papers, parser)(value)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not {example}") from None
    return check


@click.group("import")
def import_group() -> None:
    """Write entries into content/ from arXiv, a BibTeX file, a Daily Papers JSON export
    or the Daily Papers API.

    An entry whose id is already in content/ is never overwritten without --update.
    """


def _report(outcome: Outcome, problems: list[str], warnings: list[str] = (), *, updating: bool = False) -> None:
    for line in outcome.written:
        click.echo(f"wrote   {line}")
    for line in outcome.updated:
        click.echo(f"updated {line}")
    for line in outcome.skipped:
        click.echo(f"skipped {line}")
    for line in list(warnings):
        click.echo(f"warning: {line}", err=True)
    failed = list(problems) + outcome.failed
    for line in failed:
        click.echo(f"failed  {line}", err=True)
    updated = f"{len(outcome.updated)} updated, " if updating else ""
    click.echo(f"{len(outcome.written)} written, {updated}{len(outcome.skipped)} skipped, {len(failed)} failed.")
    if failed:
        sys.exit(1)


def note(line: str) -> None:
    """A line about progress (a request, a wait, a retry), on stderr."""
    click.echo(f"note: {line}", err=True)


def silent(line: str) -> None:
    """--quiet: progress is not said."""


def _report_found(found: Found, outcome: Outcome, update: bool) -> None:
    """The report of a query or a day: what was written, or that there was nothing."""
    if not found.papers and not found.problems and not found.skipped:
        click.echo(f"Nothing to import: {found.nothing}.")
        return
    _report(outcome, found.problems, updating=update)


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
@click.argument("ids", nargs=-1)
@click.option("--query", help="An arXiv API search query, e.g. 'cat:cs.LG AND abs:diffusion' (instead of ids).")
@click.option("--since", callback=_since, metavar="N|YYYY-MM-DD",
              help="With --query: papers submitted in the last N days, or on or after the date (UTC).")
@click.option("--max", "most", type=click.IntRange(min=1), metavar="N",
              help="With --query: at most the N newest submissions.  [default: 200]")
@site_option
@day_option
@update_option
@format_option
@quiet_option
def import_arxiv(ids, query, since, most, site_dir, day, update, fmt, quiet) -> None:
    """Fetch papers by arXiv id (2203.00555, 2203.00555v2, math/0601001), or those an
    arXiv API search query returns (--query), from the arXiv API.

    With --query the newest submissions come first, 3 seconds apart as arXiv asks; new
    entries are listed on the day of the import (UTC) unless --day. A paper already in
    content/ (whatever its version) is skipped; --update rewrites the entries this
    importer wrote (content/arxiv/).
    """
    if query is not None:
        if ids:
            raise click.UsageError("give arXiv ids or --query, not both")
        _import_query(query, since, DEFAULT_SOURCE_MAX if most is None else most, site_dir, day, update, fmt, quiet)
        return
    if not ids:
        raise click.UsageError("give arXiv ids (e.g. 2203.00555) or --query QUERY")
    if since is not None or most is not None:
        raise click.UsageError("--since and --max go with --query")
    from sitegen.importers.arxiv import Client, fetch

    config, _ = load_config(site_dir)
    notify = silent if quiet else note
    with one_line_on_failure():
        fetched = fetch(list(ids), Client(config.arxiv_api, notify=notify))
        outcome = _write(config, fetched.papers, "arxiv", update, fmt, day)
    _report(outcome, fetched.problems, updating=update)


def _import_query(query: str, since, most: int, site_dir: Path, day, update: bool, fmt: str, quiet: bool) -> None:
    from sitegen.importers.sources import fetch_arxiv_query, write_found

    config, _ = load_config(site_dir)
    with one_line_on_failure():
        found = fetch_arxiv_query(config, query, since=since, most=most, notify=silent if quiet else note)
        outcome = write_found(config, found, "arxiv", update=update, fmt=fmt, day=_day(day))
    _report_found(found, outcome, update)


@import_group.command("hf")
@click.option("--date", "on_date", type=click.DateTime(["%Y-%m-%d"]),
              help="A day's Daily Papers.  [default: today, UTC]")
@click.option("--week", callback=_period_value("parse_week", "an ISO week like 2024-W11"), metavar="YYYY-Www",
              help="A week's Daily Papers (ISO week).")
@click.option("--month", callback=_period_value("parse_month", "a month like 2024-03"), metavar="YYYY-MM",
              help="A month's Daily Papers.")
@site_option
@update_option
@format_option
@quiet_option
def import_hf(on_date, week, month, site_dir, update, fmt, quiet) -> None:
    """Fetch the Hugging Face Daily Papers of a day (default today, UTC), a week or a
    month from the Daily Papers API (hf_api, or SITEGEN_HF_API).

    Each entry is listed on the Daily Papers date it was listed on, with its upvotes,
    thumbnail and links (arXiv, PDF, code, project page). A paper already in content/
    is skipped; --update rewrites the entries this importer wrote (content/daily/).
    """
    from sitegen.importers.daily_papers import Period
    from sitegen.importers.sources import fetch_daily_papers, today, write_found

    asked = [(kind, value) for kind, value in (("date", on_date and on_date.date().isoformat()), ("week", week),
                                               ("month", month)) if value]
    if len(asked) > 1:
        raise click.UsageError("give one of --date, --week and --month")
    period = Period(*asked[0]) if asked else Period("date", today().isoformat())
    config, _ = load_config(site_dir)
    with one_line_on_failure():
        found = fetch_daily_papers(config, period, notify=silent if quiet else note)
        outcome = write_found(config, found, "hf", update=update, fmt=fmt)
    _report_found(found, outcome, update)


@import_group.command("bibtex")
@file_argument
@site_option
@day_option
@update_option
@format_option
@click.option("--encoding", callback=_encoding,
              help="The file's encoding when it is not UTF-8, e.g. cp1252 (Windows) or latin-1.")
@quiet_option
def import_bibtex(file, site_dir, day, update, fmt, encoding, quiet) -> None:
    """Turn the entries of a .bib file into paper entries."""
    from sitegen.importers.bibtex import read_bibtex

    config, _ = load_config(site_dir)
    with one_line_on_failure():
        read = read_bibtex(file, encoding)
        outcome = _write(config, read.papers, "bibtex", update, fmt, day)
    _report(outcome, read.problems, read.warnings, updating=update)


@import_group.command("json")
@file_argument
@site_option
@day_option
@update_option
@format_option
@quiet_option
def import_json(file, site_dir, day, update, fmt, quiet) -> None:
    """Mirror a Hugging Face Daily Papers JSON export (a list of {"paper": {...}})."""
    from sitegen.importers.hfjson import read_json

    config, _ = load_config(site_dir)
    with one_line_on_failure():
        read = read_json(file)
        outcome = _write(config, read.papers, "daily", update, fmt, day)
    _report(outcome, read.problems, updating=update)
