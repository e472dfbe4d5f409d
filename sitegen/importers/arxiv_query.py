"""Papers an arXiv API search query returns (`search_query`, the API's own syntax:
`cat:cs.LG AND abs:diffusion`), newest submission first.

The API is asked page after page (`start`, `max_results`), sorted by submission date
descending, until a page reaches papers submitted before `since`, `most` papers were
taken, or the results end. A paper's submission date is its first version's, the
feed's `<published>`. Requests go through the HTTP layer (fetch.py): 3 s apart as
arXiv asks, retried when arXiv is busy.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Union

from sitegen.importers import ImportFailure
from sitegen.importers.arxiv import Client, read_feed
from sitegen.importers.common import Found

PAGE_SIZE = 100  # papers per request; arXiv allows up to 2000, and asks for small slices
EMPTY_PAGE_RETRIES = 2  # arXiv sometimes answers an empty page amid results while busy
Since = Union[int, date, None]  # days back, a date, or no limit


def since_cutoff(since: Since, now: datetime) -> datetime | None:
    """The earliest submission time kept: N×24 hours before `now`, or the start (UTC)
    of the day given; None keeps every paper."""
    if since is None:
        return None
    if isinstance(since, date):
        return datetime.combine(since, time(), tzinfo=timezone.utc)
    return now - timedelta(days=since)


def parse_since(text: str | int) -> int | date:
    """`--since 2` (days) or `--since 2024-03-01`; ValueError for anything else."""
    if isinstance(text, int):
        days = text
    elif text.strip().isdigit():
        days = int(text.strip())
    else:
        value = text.strip()
        if len(value) != 10:
            raise ValueError(text)
        return date.fromisoformat(value)
    if days < 1:
        raise ValueError(text)
    return days


def search(query: str, client: Client, *, since: Since = None, most: int = 200, now: datetime,
           progress: Callable[[str], None] = lambda line: None) -> Found:
    """The newest `most` papers matching `query` submitted since `since`, each paper
    once. A page the API does not answer properly raises ImportFailure: nothing of the
    search is kept, so nothing is written. Each request is told to the client's
    `notify` as it is made; `progress` hears the rest."""
    cutoff = since_cutoff(since, now)
    found = Found(nothing=f"arXiv has no paper matching {query!r}"
                          + (f" submitted since {cutoff:%Y-%m-%d %H:%M} UTC" if cutoff else ""))
    seen: set[str] = set()
    start, total, empty_pages = 0, None, 0
    while len(seen) < most:
        size = min(PAGE_SIZE, most - len(seen))
        left = most - len(seen) if total is None else min(most - len(seen), max(total - start, 1))
        said = (f"request {found.requests + 1} of about {found.requests + math.ceil(left / PAGE_SIZE)} "
                f"to the arXiv API, {len(found.papers)} papers so far")
        asked = f"the papers matching {query!r}, results {start + 1} to {start + size}"
        data = client.get({"search_query": query, "sortBy": "submittedDate", "sortOrder": "descending",
                           "start": start, "max_results": size}, asked=asked, said=said)
        found.requests += 1
        feed = read_feed(data, client.where(asked))
        total = feed.total if feed.total is not None else total
        if not feed.entries:
            if total is None or start >= total:
                break  # the results end here
            if empty_pages == EMPTY_PAGE_RETRIES:
                raise ImportFailure(client.where(asked), f"answered empty pages although it counts {total} results "
                                                         f"({empty_pages + 1} attempts); arXiv is busy, try again later")
            empty_pages += 1
            progress(f"the arXiv API answered an empty page although it counts {total} results; asking again")
            continue
        empty_pages = 0
        start += len(feed.entries)
        reached_older, fresh = _take(feed.entries, cutoff, most, seen, found)
        if reached_older or not fresh or (total is not None and start >= total) \
                or (total is None and len(feed.entries) < size):
            break  # older papers from here on; a page all seen before (a server that ignores `start`); the end
    return found


def _take(entries, cutoff: datetime | None, most: int, seen: set[str], found: Found) -> tuple[bool, int]:
    """Take a page's entries into `found`, up to `most` in all. Whether the page reached
    papers submitted before `cutoff` (the results are newest first: no later page has
    newer ones), and how many of its entries were not seen before."""
    reached_older, fresh = False, 0
    for entry in entries:
        if entry.arxiv_id in seen:
            continue  # a paper submitted while paging shifts the results: seen on the page before
        fresh += 1
        if cutoff is not None and entry.submitted is not None and entry.submitted < cutoff:
            reached_older = True
            continue
        if len(seen) >= most:
            break
        seen.add(entry.arxiv_id)
        if entry.paper is not None:
            found.papers.append(entry.paper)
        elif entry.problem and entry.problem.startswith("withdrawn"):
            found.skipped.append(f"{entry.arxiv_id}: {entry.problem}")
        else:
            found.problems.append(f"{entry.arxiv_id}: {entry.problem}")
    return reached_older, fresh
