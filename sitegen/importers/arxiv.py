"""Entries from the arXiv API's Atom feed (https://info.arxiv.org/help/api/).

Requests are batched, one every few seconds as arXiv asks, with a descriptive
User-Agent, and retried on server errors and timeouts.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date

from sitegen import __version__
from sitegen.importers.common import Imported, safe_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
NEW_STYLE = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
OLD_STYLE = re.compile(r"^([a-z-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")
BATCH = 50
USER_AGENT = f"sitegen/{__version__} (static site generator for paper listings; python-urllib)"


class ArxivError(Exception):
    pass


@dataclass
class Fetched:
    papers: list[Imported] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0


def normalise_id(raw: str) -> str | None:
    """'arXiv:2203.00555v2', 'https://arxiv.org/abs/2203.00555' → '2203.00555'; None if not an arXiv id."""
    text = raw.strip()
    text = re.sub(r"^(?:https?://(?:export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)", "", text, flags=re.I)
    text = text.removesuffix(".pdf")
    for pattern in (NEW_STYLE, OLD_STYLE):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def delay_seconds() -> float:
    return float(os.environ.get("SITEGEN_ARXIV_DELAY", "3"))


class Client:
    """Polite access to the API: at most one request every `delay` seconds."""

    def __init__(self, base_url: str, delay: float | None = None, retries: int = 4, timeout: float = 30):
        self.base_url = base_url
        self.delay = delay_seconds() if delay is None else delay
        self.retries = retries
        self.timeout = timeout
        self._last = 0.0

    def get(self, params: dict) -> bytes:
        url = f"{self.base_url}?{urllib.parse.urlencode(params)}"
        for attempt in range(self.retries + 1):
            wait = self._last + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                if error.code < 500 or attempt == self.retries:
                    raise ArxivError(f"the arXiv API answered {error.code} {error.reason} for {url}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                if attempt == self.retries:
                    raise ArxivError(f"could not reach the arXiv API at {self.base_url}: {error}") from None
            time.sleep(min(self.delay * 2 ** attempt, 60))  # back off before retrying
        raise ArxivError("unreachable")


def _text(element: ET.Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def parse_feed(data: bytes) -> list[tuple[str, Imported | None, str | None]]:
    """(arXiv id, paper or None, problem or None) for each entry of an API answer."""
    root = ET.fromstring(data)
    out = []
    for entry in root.findall(f"{ATOM}entry"):
        entry_id = _text(entry.find(f"{ATOM}id"))
        title = _text(entry.find(f"{ATOM}title"))
        if "/api/errors" in entry_id or title == "Error":
            out.append(("", None, f"arXiv reported an error: {_text(entry.find(f'{ATOM}summary'))}"))
            continue
        arxiv_id = normalise_id(entry_id.rsplit("/abs/", 1)[-1]) or entry_id
        summary = _text(entry.find(f"{ATOM}summary"))
        comment = _text(entry.find(f"{ARXIV}comment"))
        if "withdrawn" in comment.lower() or summary.lower().startswith("this paper has been withdrawn"):
            out.append((arxiv_id, None, "withdrawn by its authors" + (f" ({comment})" if comment else "")))
            continue
        authors = [_text(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")]
        published = date.fromisoformat(_text(entry.find(f"{ATOM}published"))[:10])
        primary = entry.find(f"{ARXIV}primary_category")
        tags = [primary.get("term")] if primary is not None and primary.get("term") else []
        links = {"arxiv": f"https://arxiv.org/abs/{arxiv_id}", "pdf": f"https://arxiv.org/pdf/{arxiv_id}"}
        doi = entry.find(f"{ARXIV}doi")
        if doi is not None and _text(doi):
            links["doi"] = f"https://doi.org/{_text(doi)}"
        venue = _text(entry.find(f"{ARXIV}journal_ref")) or None
        out.append((arxiv_id, Imported(safe_id(arxiv_id), title, [a for a in authors if a], summary, published,
                                       tags=tags, links=links, venue=venue), None))
    return out


def fetch(ids: list[str], client: Client) -> Fetched:
    """Every id, in batches; each id either becomes a paper or is named in a problem."""
    result = Fetched()
    wanted = []
    for raw in ids:
        arxiv_id = normalise_id(raw)
        if arxiv_id is None:
            result.problems.append(f"{raw}: not an arXiv id (like 2203.00555 or math/0601001)")
        elif arxiv_id not in wanted:
            wanted.append(arxiv_id)
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start:start + BATCH]
        data = client.get({"id_list": ",".join(batch), "max_results": len(batch)})
        result.requests += 1
        found = set()
        for arxiv_id, paper, problem in parse_feed(data):
            if arxiv_id not in batch:
                continue  # only what was asked for
            found.add(arxiv_id)
            if paper is not None:
                result.papers.append(paper)
            else:
                result.problems.append(f"{arxiv_id}: {problem}")
        result.problems += [f"{i}: not found on arXiv" for i in batch if i not in found]
    return result
