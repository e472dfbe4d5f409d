"""Importers against recorded responses replayed by a local HTTP server."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import bibtexparser
import pytest

from sitegen.commands.cli import main
from sitegen.importers.arxiv import BATCH, Client, fetch, normalise_id
from sitekit import REPO, build_dir, output_tree

FIXTURES = REPO / "tests" / "fixtures" / "import"


class ArxivReplay(BaseHTTPRequestHandler):
    requests: list = []
    failures_left = 0

    def do_GET(self):
        query = parse_qs(urlsplit(self.path).query)
        type(self).requests.append((query, self.headers.get("User-Agent")))
        if type(self).failures_left:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        ids = query.get("id_list", [""])[0]
        name = "arxiv_error.xml" if "9999.99999" in ids else "arxiv_batch.xml"
        body = (FIXTURES / name).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def arxiv(monkeypatch):
    ArxivReplay.requests = []
    ArxivReplay.failures_left = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), ArxivReplay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/api/query"
    monkeypatch.setenv("SITEGEN_ARXIV_API", url)
    monkeypatch.setenv("SITEGEN_ARXIV_DELAY", "0")
    yield url
    server.shutdown()


def test_arxiv_ids_in_every_form():
    assert normalise_id("2203.00555v2") == "2203.00555"
    assert normalise_id("arXiv:2203.00555") == "2203.00555"
    assert normalise_id("https://arxiv.org/abs/2203.00555v1") == "2203.00555"
    assert normalise_id("https://arxiv.org/pdf/2203.00555.pdf") == "2203.00555"
    assert normalise_id("math/0601001") == "math/0601001"
    assert normalise_id("not-an-id") is None


def test_import_arxiv_writes_entries_and_reports_the_rest(make_site, runner, arxiv):
    site = make_site({"content/.keep": ""})
    result = runner.invoke(main, ["import", "arxiv", "2203.00555", "2206.12037v2", "math/0601001", "2101.00001",
                                  "1703.99999", "nonsense", "--site", str(site), "--day", "2024-03-13"])
    assert result.exit_code == 1  # some ids failed, and say so
    assert "2101.00001: withdrawn by its authors" in result.stderr
    assert "1703.99999: not found on arXiv" in result.stderr
    assert "nonsense: not an arXiv id" in result.stderr
    assert "3 written, 0 skipped, 3 failed." in result.output
    monarch = (site / "content/arxiv/2203.00555.md").read_text()
    assert "title: 'Monarch: Expressive Structured Matrices for Efficient and Accurate Training'" in monarch
    assert "- Tri Dao\n- Beidi Chen\n- Michael Poli\n- Christopher Ré" in monarch
    assert "published: '2022-03-01'" in monarch and "day: '2024-03-13'" in monarch
    assert "arxiv: https://arxiv.org/abs/2203.00555" in monarch and "pdf: https://arxiv.org/pdf/2203.00555" in monarch
    assert "tags:\n- cs.LG" in monarch
    assert "hardware-efficient and expressive." in monarch
    old = (site / "content/arxiv/math-0601001.md").read_text()
    assert "arxiv: https://arxiv.org/abs/math/0601001" in old and "Jürgen Müller" in old
    assert "doi: https://doi.org/10.48550/arXiv.2206.12037" in (site / "content/arxiv/2206.12037.md").read_text()
    # one request for the whole batch, with a descriptive User-Agent
    assert len(ArxivReplay.requests) == 1
    query, agent = ArxivReplay.requests[0]
    assert query["id_list"] == ["2203.00555,2206.12037,math/0601001,2101.00001,1703.99999"]
    assert agent.startswith("sitegen/")
    assert build_dir(site).written > 0


def test_import_arxiv_never_overwrites_and_is_idempotent(make_site, runner, arxiv):
    site = make_site({"content/mine.yaml": "id: '2203.00555'\ntitle: Mine\nauthors: [Me]\nabstract: x\n"
                                           "published: 2022-03-01\n"})
    result = runner.invoke(main, ["import", "arxiv", "2203.00555", "2206.12037", "--site", str(site)])
    assert "skipped 2203.00555: already in content/" in result.output
    first = output_tree(site / "content")
    again = runner.invoke(main, ["import", "arxiv", "2203.00555", "2206.12037", "--site", str(site)])
    assert again.exit_code == 0 and "0 written" in again.output
    assert output_tree(site / "content") == first
    updated = runner.invoke(main, ["import", "arxiv", "2206.12037", "--site", str(site), "--update"])
    assert "skipped 2206.12037: unchanged" in updated.output


def test_unknown_id_error_feed(make_site, runner, arxiv):
    site = make_site({"content/.keep": ""})
    result = runner.invoke(main, ["import", "arxiv", "9999.99999", "--site", str(site)])
    # arXiv did not say "not found": it refused the whole query, and says why
    assert result.exit_code == 1 and "arXiv refused the query: incorrect id format for 9999.99999" in result.stderr


def test_retries_server_errors_then_succeeds(arxiv):
    ArxivReplay.failures_left = 2
    fetched = fetch(["2203.00555"], Client(arxiv, delay=0.01))
    assert [p.id for p in fetched.papers] == ["2203.00555"]
    assert len(ArxivReplay.requests) == 3


def test_gives_up_with_a_clear_error(arxiv):
    from sitegen.importers.arxiv import ArxivError
    ArxivReplay.failures_left = 10
    with pytest.raises(ArxivError, match="503"):
        fetch(["2203.00555"], Client(arxiv, delay=0.001, retries=2))


def test_requests_are_batched_and_spaced(arxiv):
    import time
    ids = [f"2401.{n:05d}" for n in range(BATCH + 5)]
    started = time.monotonic()
    fetch(ids, Client(arxiv, delay=0.2))
    assert len(ArxivReplay.requests) == 2
    assert time.monotonic() - started >= 0.2  # the second request waited its turn


def test_import_bibtex(make_site, runner):
    site = make_site({"content/.keep": ""})
    result = runner.invoke(main, ["import", "bibtex", str(FIXTURES / "references.bib"), "--site", str(site)])
    assert result.exit_code == 1
    assert "references.bib:51: nodate: cannot import without year" in result.stderr
    assert "references.bib:56: entry 'broken' could not be read" in result.stderr  # key and line, not dropped
    assert "gilpin2021chaos: no month given" in result.stderr
    monarch = (site / "content/bibtex/2203.00555.md").read_text()
    assert "- Tri Dao\n- Beidi Chen\n- Michael Poli\n- Christopher Ré" in monarch
    assert "published: '2022-07-01'" in monarch and "venue: International Conference on Machine Learning" in monarch
    holder = (site / "content/bibtex/holder1889.md").read_text()
    assert "title: Über einen Mittelwerthsatz" in holder and "- Otto Hölder" in holder
    assert "published: '1889-03-01'" in holder
    gilpin = (site / "content/bibtex/gilpin2021chaos.md").read_text()
    assert "doi: https://doi.org/10.48550/arXiv.2110.05266" in gilpin and "project: https://github.com/williamgilpin/dysts" in gilpin
    assert "pdf: https://example.org/texbook.pdf" in (site / "content/bibtex/knuth1984.md").read_text()
    s4d = (site / "content/bibtex/2206.11893.md").read_text()
    assert "published: '2022-06-23'" in s4d and "$O(N \\log N)$" in s4d
    again = runner.invoke(main, ["import", "bibtex", str(FIXTURES / "references.bib"), "--site", str(site)])
    assert "0 written" in again.output


def test_bibtex_round_trip_through_cite_bib(make_site, runner):
    site = make_site({"content/.keep": "", "sitegen.yaml": "base_url: https://x.org/\n"})
    runner.invoke(main, ["import", "bibtex", str(FIXTURES / "references.bib"), "--site", str(site)])
    build_dir(site)
    (entry,) = bibtexparser.parse_string((site / "output/papers/2203.00555/cite.bib").read_text()).entries
    assert entry["title"] == "{Monarch: Expressive Structured Matrices for Efficient and Accurate Training}"
    assert entry["author"] == "Tri Dao and Beidi Chen and Michael Poli and Christopher Ré"
    assert (entry["year"], entry["eprint"], entry["booktitle"]) == ("2022", "2203.00555",
                                                                    "International Conference on Machine Learning")
    (gilpin,) = bibtexparser.parse_string((site / "output/papers/gilpin2021chaos/cite.bib").read_text()).entries
    assert gilpin["doi"] == "10.48550/arXiv.2110.05266"
    assert gilpin["author"] in ("{William Gilpin}", "William Gilpin")


def test_import_daily_papers_json(make_site, runner):
    site = make_site({"content/.keep": ""})
    result = runner.invoke(main, ["import", "json", str(FIXTURES / "daily_papers.json"), "--site", str(site)])
    assert result.exit_code == 1 and "item 2: missing or invalid paper.authors" in result.stderr
    koopman = (site / "content/daily/2403.02524.md").read_text()
    assert "day: '2024-03-13'" in koopman and "published: '2024-03-04'" in koopman and "upvotes: 15" in koopman
    assert "- Igor Mezić" in koopman
    report = build_dir(site)
    assert (site / "output/days/2024-03-13/index.html").is_file() and report.written


def test_new_from_arxiv(make_site, runner, arxiv):
    site = make_site({"content/.keep": ""})
    result = runner.invoke(main, ["new", "--site", str(site), "--arxiv", "2203.00555", "--day", "2024-03-15"])
    assert result.exit_code == 0, result.output + result.stderr
    text = (site / "content/2203.00555.md").read_text()
    assert "day: '2024-03-15'" in text and "- Christopher Ré" in text
    again = runner.invoke(main, ["new", "--site", str(site), "--arxiv", "2203.00555"])
    assert again.exit_code == 1 and "already in content/" in again.stderr
    missing = runner.invoke(main, ["new", "--site", str(site)])
    assert missing.exit_code == 2 and "--title" in missing.output + missing.stderr
