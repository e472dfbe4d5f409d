"""Every way an importer's input can go wrong ends in one line naming the source (the
file, or the API's URL and what was asked), exit status 1, no traceback, and content/
byte for byte as it was. The APIs are local HTTP servers that answer as scripted; the
clock is a fake one, so the waits the real command makes are asserted, not slept."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest

from fakeapis import assert_failed_in_one_line, tree
from sitegen.commands.cli import main
from sitegen.importers import ImportFailure, common, fetch
from sitegen.importers.fetch import HttpSource, Pacer, retry_after

from sitekit import REPO

FIXTURES = REPO / "tests" / "fixtures" / "import"
BATCH_XML = (FIXTURES / "arxiv_batch.xml").read_bytes()
ERROR_XML = (FIXTURES / "arxiv_error.xml").read_bytes()
EMPTY_XML = (FIXTURES / "arxiv_empty.xml").read_bytes()
LOGIN_HTML = (FIXTURES / "network_login.html").read_bytes()
MINE = "id: existing\ntitle: Mine\nauthors: [Me]\nabstract: Mine.\npublished: 2024-01-02\n"
DATE = "Wed, 21 Oct 2015 07:28:00 GMT"


# ---------------------------------------------------------------- scripted servers

def answer(status=200, body=b"", content_type="application/atom+xml", headers=None, date=None):
    """One scripted answer: status, headers (a fixed Date when `date` is given), body."""
    def send(handler):
        if date:
            handler.send_response_only(status)
            handler.send_header("Date", date)
        else:
            handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
    return send


def broken_off(handler):
    """A 200 that promises the whole feed and closes the connection halfway."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/atom+xml")
    handler.send_header("Content-Length", str(len(BATCH_XML)))
    handler.end_headers()
    handler.wfile.write(BATCH_XML[:1000])
    handler.wfile.flush()
    handler.close_connection = True


class Scripted(BaseHTTPRequestHandler):
    """Answers in script order; the last answer repeats."""
    script: list
    requests: list

    def do_GET(self):
        cls = type(self)
        cls.requests.append(self.path)
        step = cls.script.pop(0) if len(cls.script) > 1 else cls.script[0]
        step(self)

    def log_message(self, *args):
        pass


class FakeClock:
    """Time passes only when the code under test sleeps; every sleep is recorded."""

    def __init__(self):
        self.time = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.time += seconds

    def wall(self) -> float:
        return 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.fixture
def clock(monkeypatch):
    """The commands' waits, on a fake clock; arXiv's own 3 s interval, not a test's."""
    fake = FakeClock()
    monkeypatch.setattr(fetch, "PACER", Pacer(now=fake.now, sleep=fake.sleep, wall=fake.wall))
    monkeypatch.delenv("SITEGEN_ARXIV_DELAY", raising=False)
    return fake


@pytest.fixture
def api(monkeypatch, clock):
    """A local arXiv API: set `api.script` to its answers; `api.requests` lists the paths asked."""
    handler = type("Handler", (Scripted,), {"script": [answer(body=BATCH_XML)], "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/query"
    monkeypatch.setenv("SITEGEN_ARXIV_API", url)
    state = SimpleNamespace(url=url, handler=handler, clock=clock)
    state.answer = lambda *steps: setattr(handler, "script", list(steps))
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(make_site):
    return make_site({"content/mine.yaml": MINE, "sitegen.yaml": "title: Failures\n"})


def run(runner, site: Path, *args: str):
    """The command, with content/'s tree before and after."""
    before = tree(site / "content")
    result = runner.invoke(main, [*args, "--site", str(site)])
    return result, before


# ---------------------------------------------------------------- arXiv answers that fail

NO_ENTRY = ("the answer holds no paper: no such paper on arXiv, or arXiv answered empty while busy "
            "(check the ids, try again later)")
ARXIV_FAILURES = {
    # name: (answers, the problem after "<API>, asked for id 2203.00555: ", requests made, fake sleeps)
    "html page with 200": ([answer(body=LOGIN_HTML, content_type="text/html")],
                           "answered with an HTML page (a proxy, a network login page or an outage page?), "
                           "not an Atom feed", 1, []),
    "xhtml page with 200": ([answer(body=b'<html xmlns="http://www.w3.org/1999/xhtml"><body>Down</body></html>',
                                    content_type="application/xhtml+xml")],
                            "answered with an HTML page (a proxy, a network login page or an outage page?), "
                            "not an Atom feed", 1, []),
    "truncated atom": ([answer(body=BATCH_XML[:2000])],
                       "answered with an Atom feed that breaks off or is malformed (unclosed token: line 36, "
                       "column 4); try again later", 1, []),
    "xml that is not atom": ([answer(body=b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>")],
                             "answered with a <rss> document, not an Atom feed", 1, []),
    "empty body": ([answer(body=b"")], "answered with an empty body, not an Atom feed", 1, []),
    "arxiv error feed": ([answer(body=ERROR_XML)],
                         "arXiv refused the query: incorrect id format for 9999.99999", 1, []),
    "empty result": ([answer(body=EMPTY_XML)], NO_ENTRY, 1, []),
    "404 not retried": ([answer(404, b"no such API", "text/plain")],
                        "answered 404 Not Found (is the API's URL right?)", 1, []),
    "500 not retried": ([answer(500, b"oops", "text/plain")], "answered 500 Internal Server Error", 1, []),
    "403 not retried": ([answer(403, b"", "text/plain")],
                        "answered 403 Forbidden (a proxy or the API refuses this client)", 1, []),
    "503 every time": ([answer(503, b"", "text/plain")],
                       "answered 503 Service Unavailable (4 attempts); try again later", 4, [3, 6, 12]),
    "429 every time": ([answer(429, b"", "text/plain")],
                       "answered 429 Too Many Requests (4 attempts); try again later", 4, [3, 6, 12]),
    "503 with Retry-After every time": ([answer(503, b"", "text/plain", {"Retry-After": "20"})],
                                        "answered 503 Service Unavailable (4 attempts); try again later",
                                        4, [20, 20, 20]),
    "503 asking for an hour": ([answer(503, b"", "text/plain", {"Retry-After": "3600"})],
                               "answered 503 Service Unavailable and asks to wait 3600 s before asking again; "
                               "try again later", 1, []),
    "connection broken off every time": ([broken_off],
                                         "the connection broke off after 1000 bytes of the answer (4 attempts); "
                                         "try again later", 4, [3, 6, 12]),
}


@pytest.mark.parametrize("name", ARXIV_FAILURES)
def test_import_arxiv_fails_in_one_line(name, api, site, runner):
    script, problem, requests, sleeps = ARXIV_FAILURES[name]
    api.answer(*script)
    result, before = run(runner, site, "import", "arxiv", "2203.00555")
    assert_failed_in_one_line(result, site, before, f"arXiv API {api.url}, asked for id 2203.00555: {problem}")
    assert len(api.handler.requests) == requests
    assert api.clock.sleeps == sleeps  # retries waited as arXiv asks, and only retries
    assert result.stderr.count("note: arXiv API: ") == requests - 1  # each retry said so


@pytest.mark.parametrize("name", ["html page with 200", "arxiv error feed", "empty result", "503 every time"])
def test_new_from_arxiv_fails_in_one_line(name, api, site, runner):
    script, problem, requests, sleeps = ARXIV_FAILURES[name]
    api.answer(*script)
    result, before = run(runner, site, "new", "--arxiv", "2203.00555")
    assert_failed_in_one_line(result, site, before, f"arXiv API {api.url}, asked for id 2203.00555: {problem}")
    assert len(api.handler.requests) == requests and api.clock.sleeps == sleeps


def test_a_later_batch_failing_writes_nothing(api, site, runner):
    ids = ["2203.00555"] + [f"2401.{n:05d}" for n in range(60)]  # two requests; the second fails
    api.answer(answer(body=BATCH_XML), answer(body=LOGIN_HTML, content_type="text/html"))
    result, before = run(runner, site, "import", "arxiv", *ids)
    asked = "ids 2401.00049, 2401.00050, 2401.00051 and 8 more"
    assert_failed_in_one_line(result, site, before, f"arXiv API {api.url}, asked for {asked}: answered with an "
                                                    "HTML page (a proxy, a network login page or an outage page?), "
                                                    "not an Atom feed")
    assert api.clock.sleeps == [3]  # the second batch waited its turn


def test_connection_refused(clock, site, runner, monkeypatch):
    with socket.socket() as bound:  # bound, never listening: the port refuses connections
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/api/query"
        monkeypatch.setenv("SITEGEN_ARXIV_API", url)
        result, before = run(runner, site, "import", "arxiv", "2203.00555")
    assert_failed_in_one_line(result, site, before, f"arXiv API {url}, asked for id 2203.00555: connection "
                                                    f"refused by {url.split('/')[2]} (nothing answers there)")
    assert clock.sleeps == []  # not retried: nothing will answer in a few seconds either


def test_unknown_host(clock, site, runner, monkeypatch):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    monkeypatch.setenv("SITEGEN_ARXIV_API", "http://export.arxiv.invalid/api/query")
    result, before = run(runner, site, "import", "arxiv", "2203.00555")
    assert_failed_in_one_line(result, site, before, "arXiv API http://export.arxiv.invalid/api/query, asked for "
                                                    "id 2203.00555: cannot find the host export.arxiv.invalid "
                                                    "(no network, or a mistyped address?)")
    assert clock.sleeps == []


def test_a_server_that_never_answers_times_out(clock, site, runner, monkeypatch):
    monkeypatch.setattr(fetch, "TIMEOUT", 0.2)
    with socket.socket() as silent:  # accepts connections (the kernel does), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/query"
        monkeypatch.setenv("SITEGEN_ARXIV_API", url)
        result, before = run(runner, site, "import", "arxiv", "2203.00555")
    assert_failed_in_one_line(result, site, before, f"arXiv API {url}, asked for id 2203.00555: no answer "
                                                    "within 0.2 s (4 attempts); try again later")
    assert clock.sleeps == [3, 6, 12]


@pytest.mark.parametrize("url", ["export.arxiv.org/api/query", "ftp://export.arxiv.org/api/query",
                                 "http://export.arxiv.org:port/api/query"])
def test_unusable_api_url(clock, site, runner, monkeypatch, url):
    monkeypatch.setenv("SITEGEN_ARXIV_API", url)
    result, before = run(runner, site, "import", "arxiv", "2203.00555")
    assert_failed_in_one_line(result, site, before, f"arXiv API {url}, asked for id 2203.00555: not a web address "
                                                    "it can ask (it should look like https://host/path)")


# ---------------------------------------------------------------- arXiv retries that succeed

RECOVERIES = {
    # name: (answers before the good one, the fake sleeps before the good one)
    "503 then success": ([answer(503, b"", "text/plain")], [3]),
    "503 with Retry-After seconds": ([answer(503, b"", "text/plain", {"Retry-After": "7"})], [7]),
    "503 with Retry-After date": ([answer(503, b"", "text/plain", {"Retry-After": "Wed, 21 Oct 2015 07:28:09 GMT"},
                                          date=DATE)], [9]),
    "503 with Retry-After too soon": ([answer(503, b"", "text/plain", {"Retry-After": "1"})], [3]),
    "429 with Retry-After": ([answer(429, b"", "text/plain", {"Retry-After": "5"})], [5]),
    "502 then 504": ([answer(502, b"", "text/plain"), answer(504, b"", "text/plain")], [3, 6]),
    "connection broken off": ([broken_off], [3]),
}


@pytest.mark.parametrize("name", RECOVERIES)
def test_import_arxiv_retries_then_succeeds(name, api, site, runner):
    failures, sleeps = RECOVERIES[name]
    api.answer(*failures, answer(body=BATCH_XML))
    result = runner.invoke(main, ["import", "arxiv", "2203.00555", "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert "1 written, 0 skipped, 0 failed." in result.stdout
    assert (site / "content/arxiv/2203.00555.md").is_file()
    assert len(api.handler.requests) == len(failures) + 1
    assert api.clock.sleeps == sleeps


def test_new_from_arxiv_retries_as_politely(api, site, runner):
    api.answer(answer(503, b"", "text/plain"), answer(body=BATCH_XML))
    result = runner.invoke(main, ["new", "--arxiv", "2203.00555", "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert api.clock.sleeps == [3]  # at least 3 s, as for `import arxiv`


def test_batches_are_three_seconds_apart(api, site, runner):
    ids = [f"2401.{n:05d}" for n in range(55)]  # two requests
    runner.invoke(main, ["import", "arxiv", *ids, "--site", str(site)])
    assert len(api.handler.requests) == 2
    assert api.clock.sleeps == [3]


# ---------------------------------------------------------------- files that fail

HOLDER_BIB = """% Exported by a reference manager on Windows.
@article{holder1889,
  author  = {Hölder, Otto},
  title   = {Über einen Mittelwerthsatz},
  journal = {Nachrichten von der Königl. Gesellschaft der Wissenschaften},
  year    = {1889},
  month   = mar
}
"""


def test_bibtex_not_utf8_is_refused_with_where_and_how(site, runner, tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_bytes(HOLDER_BIB.encode("cp1252"))
    result, before = run(runner, site, "import", "bibtex", str(bib))
    assert_failed_in_one_line(result, site, before, f"{bib}:3: not UTF-8: byte 0xF6 at column 15 ('ö' in "
                                                    "Latin-1/Windows-1252); save the file as UTF-8, or run again "
                                                    "with --encoding cp1252 (or its real encoding)")


def test_bibtex_in_a_named_encoding_it_is_not_in(site, runner, tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_bytes(HOLDER_BIB.encode("cp1252"))
    result, before = run(runner, site, "import", "bibtex", str(bib), "--encoding", "ascii")
    assert_failed_in_one_line(result, site, before, f"{bib}:3: not ascii: byte 0xF6 at column 15 ('ö' in "
                                                    "Latin-1/Windows-1252); is it really ascii? Save the file as "
                                                    "UTF-8, or name its encoding with --encoding")


def test_bibtex_in_another_encoding_is_read_when_named(site, runner, tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_bytes(HOLDER_BIB.encode("cp1252"))
    result = runner.invoke(main, ["import", "bibtex", str(bib), "--encoding", "cp1252", "--site", str(site)])
    assert result.exit_code == 0, result.output
    holder = (site / "content/bibtex/holder1889.md").read_text(encoding="utf-8")
    assert "- Otto Hölder" in holder and "title: Über einen Mittelwerthsatz" in holder


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_bibtex_with_a_byte_order_mark_is_read(site, runner, tmp_path, encoding):
    bib = tmp_path / "refs.bib"
    bib.write_bytes((FIXTURES / "references.bib").read_text(encoding="utf-8").encode(encoding))
    result = runner.invoke(main, ["import", "bibtex", str(bib), "--site", str(site)])
    assert result.exit_code == 1  # the fixture's own broken entries, reported by line as without a mark
    assert "refs.bib:51: nodate: cannot import without year" in result.stderr
    assert "refs.bib:56: entry 'broken' could not be read" in result.stderr
    monarch = (site / "content/bibtex/2203.00555.md").read_text(encoding="utf-8")  # the first entry
    assert "- Christopher Ré" in monarch
    assert "title: Über einen Mittelwerthsatz" in (site / "content/bibtex/holder1889.md").read_text(encoding="utf-8")


FILE_FAILURES = {
    # name: (command, file name, file bytes or None for no file, the line after "Error: <path>")
    "bibtex missing file": ("bibtex", "refs.bib", None, ": no such file"),
    "bibtex folder": ("bibtex", "folder.bib", "folder", ": is a folder, not a file"),
    "bibtex empty": ("bibtex", "refs.bib", b"", ": holds no BibTeX entry (like @article{key, title = {...}, ...})"),
    "bibtex not bibtex": ("bibtex", "refs.bib", b"Just some notes, no entries.\n",
                          ": holds no BibTeX entry (like @article{key, title = {...}, ...})"),
    "json missing file": ("json", "papers.json", None, ": no such file"),
    "json not json": ("json", "papers.json", b'[{"paper": {"id": "2403.02524",\n  "title": }}]',
                      ":2: not valid JSON: Expecting value (column 12)"),
    "json truncated": ("json", "papers.json", b'[{"paper": {"id": "2403.02524", "title": "Lim',
                       ":1: not valid JSON: Unterminated string starting at (column 42)"),
    "json empty file": ("json", "papers.json", b"", ": is empty, not JSON"),
    "json html page": ("json", "papers.json", LOGIN_HTML,
                       ": is an HTML page, not JSON (saved from a browser instead of the API?)"),
    "json not utf-8": ("json", "papers.json", '[{"paper": {"title": "Mezić"}}]'.encode("cp1250"),
                       ":1: not UTF-8: byte 0xE6 at column 27 ('æ' in Latin-1/Windows-1252); save the file as UTF-8"),
    "json an object": ("json", "papers.json", b'{"status": "ok", "count": 2}',
                       ': is not a Daily Papers export: expected a list of {"paper": {"id", "title", "authors", '
                       '"publishedAt", ...}} objects, but its first item is an object with keys status, count'),
    "json a list of strings": ("json", "papers.json", b'["2403.02524", "2403.01925"]',
                               ': is not a Daily Papers export: expected a list of {"paper": {"id", "title", '
                               '"authors", "publishedAt", ...}} objects, but its first item is a string'),
    "json a number": ("json", "papers.json", b"42",
                      ': is not a Daily Papers export: expected a list of {"paper": {"id", "title", "authors", '
                      '"publishedAt", ...}} objects, but it holds a number'),
    "json empty list": ("json", "papers.json", b"[]", ": holds no papers (an empty list)"),
}


@pytest.mark.parametrize("name", FILE_FAILURES)
def test_import_file_fails_in_one_line(name, site, runner, tmp_path):
    command, filename, data, problem = FILE_FAILURES[name]
    path = tmp_path / filename
    if data == "folder":
        path.mkdir()
    elif data is not None:
        path.write_bytes(data)
    result, before = run(runner, site, "import", command, str(path))
    line = f"{path}{problem}"
    assert_failed_in_one_line(result, site, before, line)


def test_bibtex_problems_are_reported_once_each_by_sitegen(site, runner):
    result = runner.invoke(main, ["import", "bibtex", str(FIXTURES / "references.bib"), "--site", str(site)])
    lines = result.stderr.splitlines()
    assert [line for line in lines if not line.startswith(("warning: ", "failed  "))] == []  # no parser log
    assert [line for line in lines if "'broken'" in line] == [
        "failed  references.bib:56: entry 'broken' could not be read: Unexpectedly reached end of file "
        "(unbalanced braces or quotes?)"]


def test_json_with_a_byte_order_mark_is_read(site, runner, tmp_path):
    export = tmp_path / "papers.json"
    export.write_bytes((FIXTURES / "daily_papers.json").read_text(encoding="utf-8").encode("utf-8-sig"))
    result = runner.invoke(main, ["import", "json", str(export), "--site", str(site)])
    assert "item 2: missing or invalid paper.authors" in result.stderr  # as without the mark
    assert "- Igor Mezić" in (site / "content/daily/2403.02524.md").read_text(encoding="utf-8")


def test_unknown_encoding_is_a_usage_error(site, runner):
    result = runner.invoke(main, ["import", "bibtex", str(FIXTURES / "references.bib"), "--encoding", "klingon",
                                  "--site", str(site)])
    assert result.exit_code == 2 and "unknown encoding 'klingon'" in result.stderr


# ---------------------------------------------------------------- writing: all or nothing

def test_a_failed_write_leaves_content_as_it_was(api, site, runner, monkeypatch):
    real_stage, calls = common._stage, []

    def stage_then_fill_the_disk(target, text):
        calls.append(target.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_stage(target, text)

    monkeypatch.setattr(common, "_stage", stage_then_fill_the_disk)
    result, before = run(runner, site, "import", "arxiv", "2203.00555", "2206.12037", "math/0601001")
    assert_failed_in_one_line(result, site, before, "content/arxiv/2206.12037.md: cannot write it: No space left "
                                                    "on device; no entry was written")
    assert calls == ["2203.00555.md", "2206.12037.md"]  # the first was staged, then taken back


def test_an_existing_file_is_never_overwritten(api, site, runner):
    (site / "content/arxiv").mkdir()
    (site / "content/arxiv/2203.00555.md").write_text("not an entry sitegen can read: {", encoding="utf-8")
    before = tree(site / "content")
    result = runner.invoke(main, ["import", "arxiv", "2203.00555", "--site", str(site)])
    assert "skipped 2203.00555: content/arxiv/2203.00555.md already exists; not overwritten" in result.stdout
    assert tree(site / "content") == before


# ---------------------------------------------------------------- the HTTP layer, as other importers use it

@pytest.fixture
def json_api(clock):
    handler = type("Handler", (Scripted,), {"script": [], "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}/api/daily_papers?limit=50", handler=handler,
                          clock=clock)
    server.shutdown()
    server.server_close()


def test_get_json_adds_params_and_parses(json_api):
    json_api.handler.script = [answer(body=b'[{"paper": {"id": "2403.02524"}}]', content_type="application/json")]
    source = HttpSource(json_api.url, name="Daily Papers API", interval=1)
    assert source.get_json({"date": "2024-03-13"}, asked="the papers of 2024-03-13") == [
        {"paper": {"id": "2403.02524"}}]
    assert json_api.handler.requests == ["/api/daily_papers?limit=50&date=2024-03-13"]


def test_get_json_refuses_a_page_that_is_not_json(json_api):
    json_api.handler.script = [answer(body=LOGIN_HTML, content_type="text/html")]
    source = HttpSource(json_api.url, name="Daily Papers API", interval=1)
    with pytest.raises(ImportFailure) as failure:
        source.get_json({"date": "2024-03-13"}, asked="the papers of 2024-03-13")
    assert str(failure.value) == (f"Daily Papers API {json_api.url}, asked for the papers of 2024-03-13: answered "
                                  "with an HTML page (a proxy, a network login page or an outage page?), not JSON")


def test_requests_to_one_host_share_its_interval(json_api):
    json_api.handler.script = [answer(body=b"[]", content_type="application/json")]
    first = HttpSource(json_api.url, name="Daily Papers API", interval=2)
    second = HttpSource(json_api.url.replace("daily_papers", "papers"), name="Papers API", interval=2)
    first.get()
    second.get()  # another source, the same host: it waits its turn too
    first.get()
    assert json_api.clock.sleeps == [2, 2]


@pytest.mark.parametrize("headers, expected", [
    ({"Retry-After": "120"}, 120.0),
    ({"Retry-After": " 7 "}, 7.0),
    ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT", "Date": DATE}, 30.0),
    ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, 30.0),  # no Date: the wall clock
    ({"Retry-After": "Wed, 21 Oct 2015 07:27:00 GMT", "Date": DATE}, 0.0),  # already past
    ({"Retry-After": "soon"}, None),
    ({"Retry-After": "-5"}, None),
    ({}, None),
])
def test_retry_after_in_seconds_or_as_a_date(headers, expected):
    assert retry_after(headers, wall=FakeClock().wall) == expected
