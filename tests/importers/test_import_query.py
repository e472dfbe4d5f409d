"""`sitegen import arxiv --query` against a local arXiv API (fakeapis.FakeArxiv) that
pages its answers as arXiv does, on a fake clock (2024-03-15 12:00 UTC): paging,
`--since` and `--max`, the waits between requests and retries, papers already in
content/, the listing day, progress, and every way the API can fail."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fakeapis import (LOGIN_PAGE, NOW, ArxivPaper, answer, assert_failed_in_one_line, atom_feed, broken_off,
                      hourly_papers, silent_for, tree)
from sitegen.commands.cli import main
from sitegen.importers import fetch
from sitekit import REPO

MINE = "id: mine\ntitle: Mine\nauthors: [Me]\nabstract: Mine.\npublished: 2024-01-02\n"
QUERY = "cat:cs.LG AND abs:diffusion"
ERROR_XML = (REPO / "tests/fixtures/import/arxiv_error.xml").read_bytes()


@pytest.fixture
def site(make_site):
    return make_site({"content/mine.yaml": MINE})


def query(runner, site, *args: str):
    return runner.invoke(main, ["import", "arxiv", "--query", QUERY, *args, "--site", str(site)])


def written(site) -> list[str]:
    folder = site / "content/arxiv"
    return sorted(path.stem for path in folder.iterdir()) if folder.is_dir() else []


# ---------------------------------------------------------------- paging, --since, --max

def test_pages_until_papers_are_older_than_since(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(300)  # one an hour back from 11:30 UTC
    result = query(runner, site, "--since", "10", "--max", "1000")
    assert result.exit_code == 0, result.output + result.stderr
    assert "240 written, 0 skipped, 0 failed." in result.stdout  # the last 10×24 hours
    assert written(site) == [f"2403.{10000 + n}" for n in range(240)]
    asked = [(r["start"], r["max_results"]) for r in arxiv_api.requests]
    assert asked == [("0", "100"), ("100", "100"), ("200", "100")]  # the third page reached older papers
    assert {(r["search_query"], r["sortBy"], r["sortOrder"]) for r in arxiv_api.requests} == {
        (QUERY, "submittedDate", "descending")}
    assert fake_clock.sleeps == [3, 3]  # 3 s apart, as arXiv asks


def test_stops_at_max_with_the_newest(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(300)
    result = query(runner, site, "--max", "150")
    assert result.exit_code == 0, result.stderr
    assert written(site) == [f"2403.{10000 + n}" for n in range(150)]
    assert [(r["start"], r["max_results"]) for r in arxiv_api.requests] == [("0", "100"), ("100", "50")]
    assert fake_clock.sleeps == [3]


def test_max_defaults_to_200(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(300)
    query(runner, site)
    assert len(written(site)) == 200 and len(arxiv_api.requests) == 2


def test_since_a_date_keeps_papers_submitted_on_or_after_it(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(300)  # 2024-03-15 11:30 back
    result = query(runner, site, "--since", "2024-03-10")
    assert result.exit_code == 0, result.stderr
    submitted = {p.id: p.published for p in arxiv_api.papers}
    assert written(site) == sorted(i for i, when in submitted.items()
                                   if when >= datetime(2024, 3, 10, tzinfo=timezone.utc))
    assert len(written(site)) == 132 and len(arxiv_api.requests) == 2


def test_the_results_end_before_max(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(30)
    result = query(runner, site)
    assert result.exit_code == 0 and "30 written" in result.stdout
    assert len(arxiv_api.requests) == 1 and fake_clock.sleeps == []  # totalResults said there was no more


def test_since_counts_from_the_first_version(arxiv_api, site, runner, fake_clock):
    """A paper revised today but first submitted a month ago is not new."""
    arxiv_api.papers = [ArxivPaper("2403.10000", NOW - timedelta(hours=2)),
                        ArxivPaper("2402.10000", NOW - timedelta(days=30), version=3)]
    query(runner, site, "--since", "1")
    assert written(site) == ["2403.10000"]


def test_a_paper_on_two_pages_is_written_once(arxiv_api, site, runner, fake_clock):
    """A submission arriving while paging shifts the results: the first page's last
    paper comes again at the top of the second."""
    papers = hourly_papers(150)
    arxiv_api.fail(None, answer(200, atom_feed(papers[99:150], {"start": ["100"]}, 150), "application/atom+xml"))
    arxiv_api.papers = papers
    result = query(runner, site)
    assert result.exit_code == 0, result.stderr
    assert written(site) == sorted(p.id for p in papers) and "150 written" in result.stdout


def test_a_withdrawn_paper_is_skipped_not_failed(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = [ArxivPaper("2403.10000", NOW - timedelta(hours=1)),
                        ArxivPaper("2403.10001", NOW - timedelta(hours=2), version=2,
                                   summary="This paper has been withdrawn by the authors.",
                                   comment="This paper has been withdrawn")]
    result = query(runner, site)
    assert result.exit_code == 0
    assert "skipped 2403.10001: withdrawn by its authors" in result.stdout
    assert "1 written, 1 skipped, 0 failed." in result.stdout


# ---------------------------------------------------------------- the waits

def test_retry_after_and_503_are_waited_for_and_requests_stay_3_s_apart(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(150)
    arxiv_api.fail(answer(503, headers={"Retry-After": "7"}), None,  # page 1: asked again after 7 s
                   answer(503), None,  # page 2, 3 s after page 1: 503 without Retry-After, asked again in 3 s
                   )
    result = query(runner, site)
    assert result.exit_code == 0, result.stderr
    assert len(written(site)) == 150
    assert fake_clock.sleeps == [7, 3, 3]
    assert [r["start"] for r in arxiv_api.requests] == ["0", "0", "100", "100"]
    notes = result.stderr
    assert "note: arXiv API: answered 503 Service Unavailable; asking again in 7 s (attempt 2 of 4)" in notes
    assert "note: arXiv API: answered 503 Service Unavailable; asking again in 3 s (attempt 2 of 4)" in notes


def test_a_retry_after_shorter_than_3_s_waits_3_s(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(5)
    arxiv_api.fail(answer(429, headers={"Retry-After": "1"}), answer(503, headers={"Retry-After": "0"}))
    result = query(runner, site)
    assert result.exit_code == 0, result.stderr
    assert fake_clock.sleeps == [3, 3] and len(arxiv_api.requests) == 3


def test_a_timeout_is_retried_with_backoff(arxiv_api, site, runner, fake_clock, monkeypatch):
    monkeypatch.setattr(fetch, "TIMEOUT", 0.2)
    arxiv_api.papers = hourly_papers(5)
    arxiv_api.fail(silent_for(0.6), silent_for(0.6))
    result = query(runner, site)
    assert result.exit_code == 0, result.stderr
    assert fake_clock.sleeps == [3, 6] and len(written(site)) == 5
    assert "no answer within 0.2 s; asking again in 3 s (attempt 2 of 4)" in result.stderr


# ---------------------------------------------------------------- papers already in content/

def test_a_paper_already_in_content_is_skipped_whatever_its_version(arxiv_api, make_site, runner, fake_clock):
    site = make_site({
        "content/mine.yaml": "id: 2403.10001v1\ntitle: Mine\nauthors: [Me]\nabstract: Mine.\npublished: 2024-03-14\n",
        "content/linked.md": "---\nid: hand-made\ntitle: Linked\nauthors: [Me]\npublished: 2024-03-14\n"
                             "links:\n  arxiv: https://arxiv.org/abs/2403.10002v2\n---\n\nMine.\n",
    })
    arxiv_api.papers = hourly_papers(3)
    first = query(runner, site)
    assert "skipped 2403.10001: already in content/ as content/mine.yaml" in first.stdout
    assert "skipped 2403.10002: already in content/ as content/linked.md" in first.stdout
    assert written(site) == ["2403.10000"]
    before = tree(site / "content")
    again = query(runner, site, "--update")  # not entries the importer wrote: left as they are
    assert "0 written, 0 updated, 3 skipped, 0 failed." in again.stdout
    assert tree(site / "content") == before


def test_update_rewrites_what_the_importer_wrote_in_another_version(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = [ArxivPaper("2403.10000", datetime(2024, 3, 13, 17, tzinfo=timezone.utc))]
    query(runner, site, "--day", "2024-03-14")
    entry = site / "content/arxiv/2403.10000.md"
    first = entry.read_bytes()
    assert b"The abstract of paper 2403.10000, version 1." in first

    arxiv_api.papers = [ArxivPaper("2403.10000", datetime(2024, 3, 13, 17, tzinfo=timezone.utc), version=2,
                                   title="A better title")]
    skipped = query(runner, site)
    assert "skipped 2403.10000: already in content/ as content/arxiv/2403.10000.md (--update rewrites it)" \
        in skipped.stdout
    assert entry.read_bytes() == first  # byte for byte

    updated = query(runner, site, "--update")
    assert updated.exit_code == 0
    assert "updated 2403.10000: content/arxiv/2403.10000.md" in updated.stdout
    assert "0 written, 1 updated, 0 skipped, 0 failed." in updated.stdout
    text = entry.read_text()
    assert "title: A better title" in text and "version 2." in text
    assert "day: '2024-03-14'" in text  # it stays on the day it was listed
    unchanged = query(runner, site, "--update")
    assert "skipped 2403.10000: unchanged" in unchanged.stdout


def test_a_new_entry_is_listed_on_the_day_of_the_import(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = [ArxivPaper("2403.10000", datetime(2024, 3, 13, 23, 59, tzinfo=timezone.utc))]
    query(runner, site)
    text = (site / "content/arxiv/2403.10000.md").read_text()
    assert "published: '2024-03-13'" in text and "day: '2024-03-15'" in text  # the fake clock's day, UTC
    assert "tags:\n- cs.LG" in text and "arxiv: https://arxiv.org/abs/2403.10000" in text


def test_day_says_otherwise(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = [ArxivPaper("2403.10000", datetime(2024, 3, 13, tzinfo=timezone.utc), doi="10.1000/xyz")]
    query(runner, site, "--day", "2024-03-20")
    text = (site / "content/arxiv/2403.10000.md").read_text()
    assert "day: '2024-03-20'" in text and "doi: https://doi.org/10.1000/xyz" in text


def test_the_day_is_utc_not_local(arxiv_api, site, runner, fake_clock, monkeypatch):
    """At 23:30 UTC on the 15th it is already the 16th east of Greenwich."""
    import time

    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    try:
        fake_clock.start = datetime(2024, 3, 15, 23, 30, tzinfo=timezone.utc).timestamp()
        arxiv_api.papers = [ArxivPaper("2403.10000", datetime(2024, 3, 14, tzinfo=timezone.utc))]
        query(runner, site)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert "day: '2024-03-15'" in (site / "content/arxiv/2403.10000.md").read_text()


# ---------------------------------------------------------------- progress

def test_progress_is_said_on_stderr_as_it_goes(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(250)
    arxiv_api.fail(None, answer(503))
    result = query(runner, site, "--max", "250")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        "note: request 1 of about 3 to the arXiv API, 0 papers so far",
        "note: waiting 3 s before the next request, as arXiv asks",
        "note: request 2 of about 3 to the arXiv API, 100 papers so far",
        "note: arXiv API: answered 503 Service Unavailable; asking again in 3 s (attempt 2 of 4)",
        "note: waiting 3 s before the next request, as arXiv asks",
        "note: request 3 of about 3 to the arXiv API, 200 papers so far",
    ]
    assert "wrote" not in result.stderr and "250 written" in result.stdout


def test_quiet_says_nothing_on_stderr(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(250)
    arxiv_api.fail(None, answer(503))
    result = query(runner, site, "--max", "250", "--quiet")
    assert result.exit_code == 0 and result.stderr == ""
    assert "250 written" in result.stdout and fake_clock.sleeps == [3, 3, 3]  # as polite, silently


# ---------------------------------------------------------------- the command line

@pytest.mark.parametrize("args, message", [
    (["2203.00555", "--query", "cat:cs.LG"], "give arXiv ids or --query, not both"),
    ([], "give arXiv ids (e.g. 2203.00555) or --query QUERY"),
    (["2203.00555", "--since", "2"], "--since and --max go with --query"),
    (["--query", "x", "--since", "yesterday"], "'yesterday' is neither a number of days"),
    (["--query", "x", "--since", "0"], "'0' is neither a number of days"),
    (["--query", "x", "--max", "0"], "0 is not in the range x>=1"),
])
def test_usage_errors(site, runner, args, message, fake_clock):
    result = runner.invoke(main, ["import", "arxiv", *args, "--site", str(site)])
    assert result.exit_code == 2 and message in result.stderr


# ---------------------------------------------------------------- failures: one line, exit 1, content/ as it was

def asked(api, start: int = 1, end: int = 100) -> str:
    return f"arXiv API {api.url}, asked for the papers matching {QUERY!r}, results {start} to {end}"


FEED = atom_feed(hourly_papers(100), {"start": ["0"], "max_results": ["100"]}, 300)
FAILURES = {
    # name: (answers, the problem after "<API>, asked for ...: ", fake sleeps)
    "html page with 200": ([answer(200, LOGIN_PAGE, "text/html")], "answered with an HTML page (a proxy, a network "
                           "login page or an outage page?), not an Atom feed", []),
    "truncated atom": ([answer(200, FEED[:3000], "application/atom+xml")],
                       "answered with an Atom feed that breaks off or is malformed (no element found: line 63, "
                       "column 10); try again later", []),
    "malformed atom": ([answer(200, b"<feed xmlns='http://www.w3.org/2005/Atom'><entry></feed>",
                               "application/atom+xml")],
                       "answered with an Atom feed that breaks off or is malformed (mismatched tag: line 1, "
                       "column 51); try again later", []),
    "json instead of atom": ([answer(200, b'{"papers": []}', "application/json")],
                             "answered with something else (it starts '{\"papers\": []}'), not an Atom feed", []),
    "empty body": ([answer(200, b"", "application/atom+xml")], "answered with an empty body, not an Atom feed", []),
    "arxiv error feed": ([answer(200, ERROR_XML, "application/atom+xml")],
                         "arXiv refused the query: incorrect id format for 9999.99999", []),
    "503 every time": ([answer(503)] * 4, "answered 503 Service Unavailable (4 attempts); try again later",
                       [3, 6, 12]),
    "429 with Retry-After every time": ([answer(429, headers={"Retry-After": "10"})] * 4,
                                        "answered 429 Too Many Requests (4 attempts); try again later", [10, 10, 10]),
    "a timeout every time": ([silent_for(0.6)] * 4, "no answer within 0.2 s (4 attempts); try again later",
                             [3, 6, 12]),
    "broken off every time": ([broken_off(FEED, "application/atom+xml")] * 4,
                              f"the connection broke off after {len(FEED) // 2} bytes of the answer (4 attempts); "
                              "try again later", [3, 6, 12]),
    "500": ([answer(500)], "answered 500 Internal Server Error", []),
}


@pytest.mark.parametrize("name", FAILURES)
def test_a_failure_is_one_line_and_writes_nothing(name, arxiv_api, site, runner, fake_clock, monkeypatch):
    monkeypatch.setattr(fetch, "TIMEOUT", 0.2)
    answers, problem, sleeps = FAILURES[name]
    arxiv_api.papers = hourly_papers(300)
    arxiv_api.fail(*answers)
    before = tree(site / "content")
    result = query(runner, site)
    assert_failed_in_one_line(result, site, before, f"{asked(arxiv_api)}: {problem}")
    assert fake_clock.sleeps == sleeps


def test_a_later_page_failing_writes_nothing(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = hourly_papers(300)
    arxiv_api.fail(None, None, answer(200, LOGIN_PAGE, "text/html"))
    before = tree(site / "content")
    result = query(runner, site, "--max", "300")
    assert_failed_in_one_line(result, site, before, f"{asked(arxiv_api, 201, 300)}: answered with an HTML page "
                                                    "(a proxy, a network login page or an outage page?), "
                                                    "not an Atom feed")


def test_an_unreachable_server(site, runner, fake_clock, monkeypatch):
    import socket

    with socket.socket() as bound:  # bound, never listening
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/api/query"
        monkeypatch.setenv("SITEGEN_ARXIV_API", url)
        before = tree(site / "content")
        result = query(runner, site)
    assert_failed_in_one_line(result, site, before,
                              f"arXiv API {url}, asked for the papers matching {QUERY!r}, results 1 to 100: "
                              f"connection refused by {url.split('/')[2]} (nothing answers there)")


def test_an_empty_page_amid_results_is_asked_again_then_fails(arxiv_api, site, runner, fake_clock):
    """arXiv, when busy, sometimes answers a page with no entry although it counts results."""
    ghost = answer(200, atom_feed([], {"start": ["0"]}, 300), "application/atom+xml")
    arxiv_api.papers = hourly_papers(300)
    arxiv_api.fail(ghost, ghost, None)
    recovered = query(runner, site, "--max", "10")
    assert recovered.exit_code == 0 and "10 written" in recovered.stdout
    assert "asking again" in recovered.stderr and fake_clock.sleeps == [3, 3]

    other = site.parent / "other"
    other.mkdir()
    (other / "content").mkdir()
    arxiv_api.fail(ghost, ghost, ghost)
    result = query(runner, other, "--max", "10")
    assert_failed_in_one_line(result, other, {}, f"{asked(arxiv_api, 1, 10)}: answered empty pages although it "
                                                 "counts 300 results (3 attempts); arXiv is busy, try again later")


def test_no_paper_matching_is_said_in_one_line_and_is_no_failure(arxiv_api, site, runner, fake_clock):
    before = tree(site / "content")
    result = query(runner, site, "--since", "2")  # the API has no paper at all
    assert result.exit_code == 0
    assert result.stdout == (f"Nothing to import: arXiv has no paper matching {QUERY!r} submitted since "
                             "2024-03-13 12:00 UTC.\n")
    assert tree(site / "content") == before

    arxiv_api.papers = [ArxivPaper("2401.10000", datetime(2024, 1, 5, tzinfo=timezone.utc))]  # only older ones
    older = query(runner, site, "--since", "2024-03-01")
    assert older.exit_code == 0 and older.stdout == (f"Nothing to import: arXiv has no paper matching {QUERY!r} "
                                                     "submitted since 2024-03-01 00:00 UTC.\n")
    assert tree(site / "content") == before


def test_a_server_that_ignores_start_is_not_asked_forever(arxiv_api, site, runner, fake_clock):
    papers = hourly_papers(100)
    page = answer(200, atom_feed(papers, {"start": ["0"]}, 1000), "application/atom+xml")
    arxiv_api.fail(page, page, page)
    result = query(runner, site, "--max", "1000")
    assert result.exit_code == 0 and "100 written" in result.stdout
    assert len(arxiv_api.requests) == 2  # the second page was the first again: the end


def test_ids_with_quiet_say_nothing_on_stderr(arxiv_api, site, runner, fake_clock):
    arxiv_api.papers = [ArxivPaper("2403.10000", NOW)]
    arxiv_api.fail(answer(503))
    said = runner.invoke(main, ["import", "arxiv", "2403.10000", "--site", str(site)])
    assert "note: arXiv API: answered 503" in said.stderr
    arxiv_api.fail(answer(503))
    quiet = runner.invoke(main, ["import", "arxiv", "2403.10000", "--update", "--quiet", "--site", str(site)])
    assert quiet.exit_code == 0 and quiet.stderr == "" and "skipped 2403.10000: unchanged" in quiet.stdout


@pytest.mark.parametrize("one, other", [("2403.10001v2", "2403.10001"), ("arXiv:2403.10001v1", "2403.10001v3"),
                                        ("https://arxiv.org/abs/2403.10001v2", "2403.10001"),
                                        ("math/0601001v2", "math-0601001"), ("math-0601001v1", "math/0601001")])
def test_ids_of_one_paper_share_a_key(one, other):
    from sitegen.importers.ids import paper_key

    assert paper_key(one) == paper_key(other)
    assert paper_key("2403.10001") != paper_key("2403.10002") and paper_key("hand-made") == "hand-made"
