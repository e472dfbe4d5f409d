"""The papers of Hugging Face Daily Papers for a day, an ISO week or a month, from its
API (`hf_api`, https://huggingface.co/api/daily_papers): `date=YYYY-MM-DD`,
`week=YYYY-Www` or `month=YYYY-MM`, page after page (`limit`, `p`) until a page comes
back short or empty. Each item is mapped as a saved export is (hfjson.map_item).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from sitegen.importers import ImportFailure
from sitegen.importers.common import Found
from sitegen.importers.fetch import HttpSource, Pacer
from sitegen.importers.hfjson import describe, items_of, looks_like_paper, map_item

PAGE_LIMIT = 100  # items per request, the most the API gives
MOST_PAGES = 100  # a month has a few pages; an API that never says "the end" stops here
INTERVAL = 1.0  # seconds between two requests to the API
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class DailyPapersClient(HttpSource):
    def __init__(self, url: str, *, pacer: Pacer | None = None, notify: Callable[[str], None] | None = None):
        super().__init__(url, name="Daily Papers API", interval=INTERVAL, pacer=pacer, notify=notify,
                         accept="application/json", reason="to spare the Hugging Face API")


@dataclass(frozen=True)
class Period:
    """What is asked for: `kind` is the API's parameter (date, week or month), `value`
    its value (2024-03-13, 2024-W11, 2024-03)."""

    kind: str
    value: str

    @property
    def day(self) -> date | None:
        """The listing day of every paper of a date; None for a week or a month, whose
        papers each have their own."""
        return date.fromisoformat(self.value) if self.kind == "date" else None

    def describe(self) -> str:
        return {"date": self.value, "week": f"week {self.value}", "month": f"the month {self.value}"}[self.kind]


def parse_week(text: str) -> str:
    """'2024-W11' as it is, if it is an ISO week that exists; ValueError otherwise."""
    match = WEEK.match(text.strip())
    if not match:
        raise ValueError(text)
    date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)  # week 53 exists only in some years
    return text.strip()


def parse_month(text: str) -> str:
    match = MONTH.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(text)
    return text.strip()


def daily_papers(period: Period, client: DailyPapersClient) -> Found:
    """Every paper of `period`, each once. An answer that is not a list of Daily Papers
    raises ImportFailure: nothing of the period is kept, so nothing is written. An API
    that ignores paging (it answers every page with the first) is asked twice only.
    Each request is told to the client's `notify` as it is made."""
    found = Found(nothing=f"Daily Papers lists no paper for {period.describe()}")
    seen: set[str] = set()
    index = 0
    for page in range(MOST_PAGES):
        said = f"request {page + 1} to the Daily Papers API (page {page + 1}), {len(found.papers)} papers so far"
        asked = f"the Daily Papers of {period.describe()}" + (f", page {page + 1}" if page else "")
        data = client.get_json({period.kind: period.value, "limit": PAGE_LIMIT, "p": page}, asked=asked, said=said)
        found.requests += 1
        items = _page_items(data, client.where(asked))
        fresh = [item for item in items if _key(item) not in seen]
        for item in fresh:
            seen.add(_key(item))
            paper, problem = map_item(index, item, period.day)
            index += 1
            if paper is None:
                found.problems.append(problem)
            else:
                found.papers.append(paper)
        if len(items) < PAGE_LIMIT or not fresh:
            break
    return found


def _key(item) -> str:
    """What tells two items apart: the paper's id, else the whole item."""
    paper = item.get("paper", item) if isinstance(item, dict) else None
    if isinstance(paper, dict) and isinstance(paper.get("id"), (str, int)):
        return f"id:{paper['id']}"
    return repr(item)


def _page_items(data, where: str) -> list:
    """The items of one answer; an answer that is not a list of Daily Papers is an
    ImportFailure."""
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        raise ImportFailure(where, f"answered with an error: {' '.join(data['error'].split())}")
    items = items_of(data)
    if items is None or isinstance(data, dict) and items == [data]:
        raise ImportFailure(where, f"answered with {describe(data)}, not a list of Daily Papers")
    if items and not any(looks_like_paper(item) for item in items):
        raise ImportFailure(where, f"answered with a list whose first item is {describe(items[0])}, "
                                   "not a list of Daily Papers")
    return items
