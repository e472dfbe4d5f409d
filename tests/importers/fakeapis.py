"""Local stand-ins for the arXiv API and the Hugging Face Daily Papers API that answer
as the real ones do (the shapes of recorded answers), generated from a list of papers,
with scripted failures; and a fake clock for the importers' waits."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr

NOW = datetime(2024, 3, 15, 12, 0, tzinfo=timezone.utc)  # the fake wall clock's time of day


class FakeClock:
    """Time passes only when the code under test sleeps; every sleep is recorded. `wall`
    is the time of day: NOW, moved on by the sleeps."""

    def __init__(self, wall: datetime = NOW):
        self.time = 1000.0
        self.start = wall.timestamp()
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.time += seconds

    def wall(self) -> float:
        return self.start + self.time - 1000.0


# ---------------------------------------------------------------- the arXiv API

@dataclass
class ArxivPaper:
    id: str  # without version
    published: datetime  # the first version's submission
    version: int = 1
    title: str = ""
    summary: str = ""
    authors: tuple[str, ...] = ("Ada Lovelace", "Alan Turing")
    category: str = "cs.LG"
    doi: str | None = None
    comment: str | None = None
    journal_ref: str | None = None

    def entry(self) -> str:
        versioned = f"{self.id}v{self.version}"
        updated = self.published + timedelta(days=self.version - 1)
        arxiv = 'xmlns:arxiv="http://arxiv.org/schemas/atom"'
        authors = "".join(f"\n    <author>\n      <name>{escape(name)}</name>\n    </author>" for name in self.authors)
        extra = ""
        if self.doi:
            extra += f"\n    <arxiv:doi {arxiv}>{escape(self.doi)}</arxiv:doi>"
            extra += f'\n    <link title="doi" href="http://dx.doi.org/{escape(self.doi)}" rel="related"/>'
        if self.comment:
            extra += f"\n    <arxiv:comment {arxiv}>{escape(self.comment)}</arxiv:comment>"
        if self.journal_ref:
            extra += f"\n    <arxiv:journal_ref {arxiv}>{escape(self.journal_ref)}</arxiv:journal_ref>"
        return f"""
  <entry>
    <id>http://arxiv.org/abs/{versioned}</id>
    <updated>{updated:%Y-%m-%dT%H:%M:%SZ}</updated>
    <published>{self.published:%Y-%m-%dT%H:%M:%SZ}</published>
    <title>{escape(self.title or f"Paper {self.id}")}</title>
    <summary>  {escape(self.summary or f"The abstract of paper {self.id}, version {self.version}.")}
</summary>{authors}{extra}
    <link href="http://arxiv.org/abs/{versioned}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{versioned}" rel="related" type="application/pdf"/>
    <arxiv:primary_category {arxiv} term="{self.category}" scheme="http://arxiv.org/schemas/atom"/>
    <category term="{self.category}" scheme="http://arxiv.org/schemas/atom"/>
  </entry>"""


def atom_feed(entries: list[ArxivPaper], query: dict, total: int) -> bytes:
    """An arXiv API answer: the feed's head as arXiv writes it, then the entries."""
    asked = urlencode({k: v[0] for k, v in query.items()})
    start = query.get("start", ["0"])[0]
    size = query.get("max_results", ["10"])[0]
    opensearch = 'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
    head = f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href={quoteattr("http://arxiv.org/api/query?" + asked)} rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: {escape(asked)}</title>
  <id>http://arxiv.org/api/Xb8tTh2gWQZqB6g0YtR8bcQAzLI</id>
  <updated>2024-03-15T00:00:00-04:00</updated>
  <opensearch:totalResults {opensearch}>{total}</opensearch:totalResults>
  <opensearch:startIndex {opensearch}>{start}</opensearch:startIndex>
  <opensearch:itemsPerPage {opensearch}>{size}</opensearch:itemsPerPage>"""
    return (head + "".join(p.entry() for p in entries) + "\n</feed>\n").encode("utf-8")


def hourly_papers(count: int, newest: datetime = NOW - timedelta(minutes=30), prefix: str = "2403") -> list[ArxivPaper]:
    """`count` papers, one submitted every hour back from `newest`, newest first."""
    return [ArxivPaper(f"{prefix}.{10000 + n:05d}", newest - timedelta(hours=n)) for n in range(count)]


Answer = Callable[[BaseHTTPRequestHandler], None]


def answer(status: int = 200, body: bytes = b"", content_type: str = "text/plain",
           headers: dict | None = None) -> Answer:
    """One scripted answer."""
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    return send


@dataclass
class FakeApi:
    """A local HTTP server: `failures` are answered first, in order (None lets a request
    through to the API), then every request is answered by `serve(query)`."""

    path: str
    failures: list = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)

    def start(self) -> "FakeApi":
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                api.requests.append({k: v[0] for k, v in query.items()})
                failure = api.failures.pop(0) if api.failures else None
                (failure or api.respond)(self, query)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.path}"

    def fail(self, *answers: Answer) -> None:
        self.failures = [(lambda handler, query, a=a: a(handler)) if a is not None else None for a in answers]

    def respond(self, handler: BaseHTTPRequestHandler, query: dict) -> None:
        raise NotImplementedError


@dataclass
class FakeArxiv(FakeApi):
    """The arXiv API's search: every paper matches; newest submission first, paged by
    `start` and `max_results`, with opensearch:totalResults."""

    path: str = "/api/query"
    papers: list[ArxivPaper] = field(default_factory=list)

    def respond(self, handler, query) -> None:
        found = sorted(self.papers, key=lambda p: p.published, reverse=True)
        start = int(query.get("start", ["0"])[0])
        size = int(query.get("max_results", ["10"])[0])
        body = atom_feed(found[start:start + size], query, len(found))
        answer(200, body, "application/atom+xml; charset=utf-8")(handler)


# ---------------------------------------------------------------- the Daily Papers API

def daily_item(arxiv_id: str, listed: str, *, upvotes: int = 3, title: str | None = None,
               github: str | None = None, project: str | None = None, thumbnail: bool = True,
               authors: tuple[str, ...] = ("Grace Hopper", "Katherine Johnson")) -> dict:
    """An item as the Daily Papers API gives it (its recorded shape): the paper, then
    when and by whom it was listed."""
    title = title or f"Daily paper {arxiv_id}"
    paper = {
        "id": arxiv_id,
        "authors": [{"_id": f"65f0{n:020x}", "name": name, "hidden": False} for n, name in enumerate(authors)],
        "mediaUrls": [],
        "publishedAt": f"{listed[:8]}01T17:59:0{len(arxiv_id) % 10}.000Z",
        "submittedOnDailyAt": f"{listed}T01:02:03.000Z",
        "title": title,
        "summary": f"The abstract of {arxiv_id}.",
        "upvotes": upvotes,
        "discussionId": f"65f1{len(arxiv_id):020x}",
        "ai_summary": "A summary written by a model.",
        "ai_keywords": ["diffusion"],
    }
    if github is not None:
        paper["githubRepo"] = github
        paper["githubStars"] = 12
    if project is not None:
        paper["projectPage"] = project
    item = {
        "paper": paper,
        "publishedAt": f"{listed}T01:02:03.000Z",
        "title": title,
        "summary": paper["summary"],
        "mediaUrls": [],
        "numComments": 1,
        "submittedBy": {"_id": "60f1abcd", "avatarUrl": "/avatars/x.svg", "fullname": "AK", "name": "akhaliq",
                        "type": "user", "isPro": False},
        "isAuthorParticipating": False,
    }
    if thumbnail:
        item["thumbnail"] = f"https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/{arxiv_id}.png"
    return item


@dataclass
class FakeDailyPapers(FakeApi):
    """The Daily Papers API: `date=`, `week=` (ISO week of the listing day) or `month=`
    select the items by the day they were listed; `limit` and `p` page them (unless
    `ignores_paging`: every page is the whole list)."""

    path: str = "/api/daily_papers"
    items: list[dict] = field(default_factory=list)
    ignores_paging: bool = False

    def respond(self, handler, query) -> None:
        chosen = [item for item in self.items if self._listed_in(item["publishedAt"][:10], query)]
        if not self.ignores_paging:
            limit = int(query.get("limit", ["50"])[0])
            page = int(query.get("p", ["0"])[0])
            chosen = chosen[page * limit:(page + 1) * limit]
        answer(200, json.dumps(chosen).encode("utf-8"), "application/json; charset=utf-8")(handler)

    @staticmethod
    def _listed_in(day: str, query: dict) -> bool:
        if "date" in query:
            return day == query["date"][0]
        if "week" in query:
            year, week, _ = datetime.fromisoformat(day).isocalendar()
            return f"{year}-W{week:02d}" == query["week"][0]
        if "month" in query:
            return day[:7] == query["month"][0]
        return True


# ---------------------------------------------------------------- answers that go wrong

def silent_for(seconds: float) -> Answer:
    """A server that says nothing for `seconds` (longer than the client's timeout)."""
    def send(handler: BaseHTTPRequestHandler) -> None:
        import time

        time.sleep(seconds)
        try:
            answer(200, b"[]", "application/json")(handler)
        except OSError:
            pass  # the client has gone
    return send


def broken_off(body: bytes, content_type: str) -> Answer:
    """A 200 that promises the whole body and closes the connection halfway."""
    def send(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[:len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True
    return send


LOGIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in to the network</title></head>"
              b"<body><form action='/login'><input name='user'></form></body></html>\n")


# ---------------------------------------------------------------- what a command left

def tree(folder) -> dict:
    """Every file (with its bytes) and folder under `folder`, hidden ones included."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(folder.rglob("*"))}


def error_lines(result) -> list[str]:
    """stderr without its progress notes."""
    return [line for line in result.stderr.splitlines() if not line.startswith("note: ")]


def assert_failed_in_one_line(result, site, before: dict, line: str) -> None:
    """Exit 1 from a handled failure (not an exception), stderr's one error line is
    `line` (progress notes aside), nothing on stdout, content/ as `before` found it."""
    assert result.exit_code == 1, result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.stdout + result.stderr
    assert error_lines(result) == [f"Error: {line}"], result.stderr
    assert result.stdout == ""
    assert tree(site / "content") == before
