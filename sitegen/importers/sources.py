"""The sources that feed a listing, as `sitegen import arxiv --query`, `sitegen import
hf` and `sitegen update` run them: fetch the papers, then write them, all or none.

Each source writes where its importer always has: arXiv papers in content/arxiv/,
Daily Papers in content/daily/, one file per paper named by its id. That folder is how
an importer knows the entries it wrote, the ones `--update` (or `update: true`) may
rewrite; any other entry of the same paper is left as it is.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable

from sitegen.config import Config, Source
from sitegen.importers import fetch
from sitegen.importers.arxiv import Client
from sitegen.importers.arxiv_query import Since, parse_since, search
from sitegen.importers.common import Catalogue, Found, Outcome, write_imported
from sitegen.importers.daily_papers import DailyPapersClient, Period, daily_papers

FOLDERS = {"arxiv": "arxiv", "hf": "daily"}  # where each kind of source writes, under content/
Notify = Callable[[str], None]


def utc_now() -> datetime:
    """Now, in UTC, by the clock the importers' waits use (tests replace it)."""
    return datetime.fromtimestamp(fetch.PACER.wall(), timezone.utc)


def today() -> date:
    """Today in UTC: the day of an import, and the Daily Papers date asked by default."""
    return utc_now().date()


def fetch_arxiv_query(config: Config, query: str, *, since: Since, most: int, notify: Notify) -> Found:
    return search(query, Client(config.arxiv_api, notify=notify), since=since, most=most, now=utc_now(),
                  progress=notify)


def fetch_daily_papers(config: Config, period: Period, *, notify: Notify) -> Found:
    return daily_papers(period, DailyPapersClient(config.hf_api, notify=notify))


def fetch_source(config: Config, source: Source, *, notify: Notify) -> Found:
    """The papers a `sources:` entry gives: an arXiv query, or today's Daily Papers."""
    if source.kind == "arxiv":
        return fetch_arxiv_query(config, source.query, since=parse_since(source.since), most=source.max,
                                 notify=notify)
    return fetch_daily_papers(config, Period("date", today().isoformat()), notify=notify)


def write_found(config: Config, found: Found, kind: str, *, update: bool, fmt: str = "md",
                day: date | None = None, catalogue: Catalogue | None = None) -> Outcome:
    """Write what a source found into its folder. A new arXiv entry is listed on the day
    of the import (UTC) unless `day`; a Daily Papers entry on the date it was listed.
    `catalogue`: the papers in content/, when the caller has read them already."""
    outcome = write_imported(config, found.papers, folder=FOLDERS[kind], update=update, fmt=fmt, day=day,
                             new_day=today() if kind == "arxiv" else None, catalogue=catalogue)
    outcome.skipped[:0] = found.skipped
    return outcome
