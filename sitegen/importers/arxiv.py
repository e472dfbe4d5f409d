"""Entries from the arXiv API's Atom feed (https://info.arxiv.org/help/api/).

Requests go through the importers' HTTP layer (fetch.py): batched, at least 3 seconds
apart as arXiv asks, with a descriptive User-Agent, retried when arXiv is busy. An
answer that is not the API's Atom feed, or is its error feed, fails the whole import.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from sitegen.importers import ImportFailure
from sitegen.importers.common import Imported
from sitegen.importers.fetch import HttpSource, Pacer, describe_body
from sitegen.importers.ids import normalise_id, safe_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
BATCH = 50
ArxivError = ImportFailure  # the name callers knew


@dataclass
class Fetched:
    papers: list[Imported] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0


def delay_seconds() -> float:
    """Seconds between requests: 3, as arXiv asks (SITEGEN_ARXIV_DELAY shortens it for tests)."""
    try:
        return max(0.0, float(os.environ.get("SITEGEN_ARXIV_DELAY", "3")))
    except ValueError:
        return 3.0


class Client(HttpSource):
    """The arXiv API: at most one request every `delay` seconds, `retries` more attempts
    when it is busy or silent."""

    def __init__(self, base_url: str, delay: float | None = None, retries: int = 3, timeout: float | None = None,
                 pacer: Pacer | None = None, notify: Callable[[str], None] | None = None):
        super().__init__(base_url, name="arXiv API", interval=delay_seconds() if delay is None else delay,
                         attempts=retries + 1, timeout=timeout, pacer=pacer, notify=notify,
                         accept="application/atom+xml", reason="as arXiv asks")


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


@dataclass
class FeedEntry:
    """One entry of an API answer: its arXiv id, when its first version was submitted
    (None when the answer does not say), and the paper or why there is none."""

    arxiv_id: str
    submitted: datetime | None
    paper: Imported | None
    problem: str | None


@dataclass
class Feed:
    entries: list[FeedEntry]
    total: int | None  # opensearch:totalResults: how many papers the query matches in all


def read_feed(data: bytes, where: str = "arXiv API") -> Feed:
    """The entries of an API answer and the number of results it counts. An answer
    that is not an Atom feed, or is arXiv's error feed, is an ImportFailure."""
    root = _feed_root(data, where)
    entries = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = _text(entry.find(f"{ATOM}id"))
        title = _text(entry.find(f"{ATOM}title"))
        if "/api/errors" in entry_id or (title == "Error" and "/abs/" not in entry_id):
            message = _text(entry.find(f"{ATOM}summary")) or entry_id
            raise ImportFailure(where, f"arXiv refused the query: {message}")
        arxiv_id = normalise_id(entry_id.rsplit("/abs/", 1)[-1]) or entry_id
        entries.append(FeedEntry(arxiv_id, _moment(_text(entry.find(f"{ATOM}published"))),
                                 *_paper(entry, arxiv_id, title)))
    return Feed(entries, _count(root.find(f"{OPENSEARCH}totalResults")))


def parse_feed(data: bytes, where: str = "arXiv API") -> list[tuple[str, Imported | None, str | None]]:
    """(arXiv id, paper or None, problem or None) for each entry of an API answer."""
    return [(e.arxiv_id, e.paper, e.problem) for e in read_feed(data, where).entries]


def _moment(text: str) -> datetime | None:
    """An Atom date-time ('2024-03-13T17:59:01Z'), in UTC; None if it is not one."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _count(element: ET.Element | None) -> int | None:
    text = _text(element)
    return int(text) if text.isdigit() else None


def _feed_root(data: bytes, where: str) -> ET.Element:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        if describe_body(data).startswith(("an HTML page", "an empty body")) or \
                not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):  # not XML at all: JSON, text
            raise ImportFailure(where, f"answered with {describe_body(data)}, not an Atom feed") from None
        raise ImportFailure(where, f"answered with an Atom feed that breaks off or is malformed ({error}); "
                                   "try again later") from None
    if root.tag != f"{ATOM}feed":
        shown = describe_body(data) if root.tag.lower().endswith("html") else f"a <{root.tag}> document"
        raise ImportFailure(where, f"answered with {shown}, not an Atom feed")
    return root


def _paper(entry: ET.Element, arxiv_id: str, title: str) -> tuple[Imported | None, str | None]:
    summary = _text(entry.find(f"{ATOM}summary"))
    comment = _text(entry.find(f"{ARXIV}comment"))
    if "withdrawn" in comment.lower() or summary.lower().startswith("this paper has been withdrawn"):
        return None, "withdrawn by its authors" + (f" ({comment})" if comment else "")
    authors = [_text(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")]
    try:
        published = date.fromisoformat(_text(entry.find(f"{ATOM}published"))[:10])
    except ValueError:
        return None, "the API gave no valid <published> date"
    primary = entry.find(f"{ARXIV}primary_category")
    tags = [primary.get("term")] if primary is not None and primary.get("term") else []
    links = {"arxiv": f"https://arxiv.org/abs/{arxiv_id}", "pdf": f"https://arxiv.org/pdf/{arxiv_id}"}
    doi = entry.find(f"{ARXIV}doi")
    if doi is not None and _text(doi):
        links["doi"] = f"https://doi.org/{_text(doi)}"
    venue = _text(entry.find(f"{ARXIV}journal_ref")) or None
    return Imported(safe_id(arxiv_id), title, [a for a in authors if a], summary, published,
                    tags=tags, links=links, venue=venue), None


def asked_for(ids: list[str]) -> str:
    """'id 2203.00555', 'ids 2203.00555, 2206.12037', 'ids 2203.00555, ... and 47 more'."""
    if len(ids) == 1:
        return f"id {ids[0]}"
    shown = ids[:3]
    more = f" and {len(ids) - len(shown)} more" if len(ids) > len(shown) else ""
    return f"ids {', '.join(shown)}{more}"


def fetch(ids: list[str], client: Client) -> Fetched:
    """Every id, in batches; each id either becomes a paper or is named in a problem.
    A batch the API does not answer properly raises ImportFailure: nothing of the
    import is kept, so nothing is written. Where it takes more than one request, each
    is told to the client's `notify` as it is made."""
    result = Fetched()
    wanted = []
    for raw in ids:
        arxiv_id = normalise_id(raw)
        if arxiv_id is None:
            result.problems.append(f"{raw}: not an arXiv id (like 2203.00555 or math/0601001)")
        elif arxiv_id not in wanted:
            wanted.append(arxiv_id)
    requests = math.ceil(len(wanted) / BATCH)
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start:start + BATCH]
        asked = asked_for(batch)
        said = (f"request {result.requests + 1} of {requests} to the arXiv API, {len(result.papers)} papers so far"
                if requests > 1 else None)
        data = client.get({"id_list": ",".join(batch), "max_results": len(batch)}, asked=asked, said=said)
        result.requests += 1
        entries = parse_feed(data, client.where(asked))
        if not entries:
            raise ImportFailure(client.where(asked), "the answer holds no paper: no such paper on arXiv, or "
                                                     "arXiv answered empty while busy (check the ids, try again later)")
        found = set()
        for arxiv_id, paper, problem in entries:
            if arxiv_id not in batch:
                continue  # only what was asked for
            found.add(arxiv_id)
            if paper is not None:
                result.papers.append(paper)
            else:
                result.problems.append(f"{arxiv_id}: {problem}")
        result.problems += [f"{i}: not found on arXiv" for i in batch if i not in found]
    return result
