"""`sitegen update`: every source of `sources:` in order, against the local arXiv and
Daily Papers APIs (fakeapis.py) on the fake clock (2024-03-15 12:00 UTC)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from fakeapis import LOGIN_PAGE, NOW, ArxivPaper, answer, daily_item, error_lines, hourly_papers, silent_for, tree
from sitegen.commands.cli import main
from sitegen.importers import fetch
from sitekit import build_dir

SOURCES = """title: Fed
sources:
  - arxiv: "cat:cs.LG AND abs:diffusion"
    since: 2
    max: 50
  - hf: daily
"""
ARXIV = "arXiv 'cat:cs.LG AND abs:diffusion'"
HF = "Daily Papers (daily)"


@pytest.fixture
def site(make_site):
    return make_site({"sitegen.yaml": SOURCES, "content/mine.yaml": "id: mine\ntitle: Mine\nauthors: [Me]\n"
                                                                   "abstract: Mine.\npublished: 2024-01-02\n"})


def update(runner, site, *args: str):
    return runner.invoke(main, ["update", "--site", str(site), *args])


def files(site, folder: str) -> list[str]:
    path = site / "content" / folder
    return sorted(p.stem for p in path.iterdir()) if path.is_dir() else []


def feed_both(arxiv_api, hf_api) -> None:
    """arXiv: 100 papers an hour apart (48 of them in the last 2 days); Daily Papers: 3
    today, one of them also on arXiv, and 2 yesterday."""
    arxiv_api.papers = hourly_papers(100)
    hf_api.items = [daily_item("2403.10000", "2024-03-15", upvotes=50),  # also the newest on arXiv
                    daily_item("2403.20001", "2024-03-15", upvotes=20, github="https://github.com/a/b"),
                    daily_item("2403.20002", "2024-03-15"),
                    daily_item("2403.20003", "2024-03-14"), daily_item("2403.20004", "2024-03-14")]


def test_runs_every_source_in_order_and_writes_a_paper_once(arxiv_api, hf_api, site, runner, fake_clock):
    feed_both(arxiv_api, hf_api)
    result = update(runner, site)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [f"{ARXIV}: 48 written, 0 updated, 0 skipped",
                                          f"{HF}: 2 written, 0 updated, 1 skipped"]
    assert files(site, "arxiv") == [f"2403.{10000 + n}" for n in range(48)]
    assert files(site, "daily") == ["2403.20001", "2403.20002"]  # 2403.10000 came first from arXiv
    assert [r["search_query"] for r in arxiv_api.requests] == ["cat:cs.LG AND abs:diffusion"]
    assert [r["date"] for r in hf_api.requests] == ["2024-03-15"]  # today's, UTC
    daily = (site / "content/daily/2403.20001.md").read_text()
    assert "day: '2024-03-15'" in daily and "upvotes: 20" in daily and "code: https://github.com/a/b" in daily
    assert "day: '2024-03-15'" in (site / "content/arxiv/2403.10047.md").read_text()
    build_dir(site)  # valid entries: the site builds
    assert (site / "output/days/2024-03-15/index.html").is_file()
    assert (site / "output/papers/2403.20001/index.html").is_file()


def test_run_twice_the_second_writes_nothing(arxiv_api, hf_api, make_site, runner, fake_clock):
    site = make_site({"sitegen.yaml": SOURCES.replace("max: 50", "max: 50\n    update: true") +
                      "    update: true\n", "content/.keep": ""})
    feed_both(arxiv_api, hf_api)
    assert update(runner, site).exit_code == 0
    before = tree(site / "content")
    fake_clock.sleep(600)  # ten minutes later, the same answers
    again = update(runner, site)
    assert again.exit_code == 0
    assert again.stdout.splitlines() == [f"{ARXIV}: 0 written, 0 updated, 48 skipped",
                                         f"{HF}: 0 written, 0 updated, 3 skipped"]
    assert tree(site / "content") == before


def test_update_true_rewrites_what_changed(arxiv_api, hf_api, make_site, runner, fake_clock):
    site = make_site({"sitegen.yaml": SOURCES + "    update: true\n", "content/.keep": ""})
    feed_both(arxiv_api, hf_api)
    update(runner, site)
    arxiv_api.papers[5].version, arxiv_api.papers[5].title = 2, "Revised"
    hf_api.items[1]["paper"]["upvotes"] = 99
    again = update(runner, site)
    assert again.stdout.splitlines() == [f"{ARXIV}: 0 written, 0 updated, 48 skipped",  # no `update: true`
                                         f"{HF}: 0 written, 1 updated, 2 skipped"]
    assert "upvotes: 99" in (site / "content/daily/2403.20001.md").read_text()
    assert "Revised" not in (site / "content/arxiv/2403.10005.md").read_text()


@pytest.mark.parametrize("failing", ["arxiv", "hf"])
def test_a_failing_source_writes_nothing_and_the_others_run(failing, arxiv_api, hf_api, site, runner, fake_clock):
    feed_both(arxiv_api, hf_api)
    (arxiv_api if failing == "arxiv" else hf_api).fail(*[answer(503)] * 4)
    before = tree(site / "content")
    result = update(runner, site)
    assert result.exit_code == 1
    errors = error_lines(result)
    if failing == "arxiv":
        assert errors == [f"{ARXIV}: failed, nothing written: arXiv API {arxiv_api.url}, asked for the papers "
                          "matching 'cat:cs.LG AND abs:diffusion', results 1 to 50: answered 503 Service "
                          "Unavailable (4 attempts); try again later"]
        assert result.stdout.splitlines() == [f"{HF}: 3 written, 0 updated, 0 skipped"]
        assert files(site, "arxiv") == [] and files(site, "daily") == ["2403.10000", "2403.20001", "2403.20002"]
    else:
        assert errors == [f"{HF}: failed, nothing written: Daily Papers API {hf_api.url}, asked for the Daily "
                          "Papers of 2024-03-15: answered 503 Service Unavailable (4 attempts); try again later"]
        assert result.stdout.splitlines() == [f"{ARXIV}: 48 written, 0 updated, 0 skipped"]
        assert files(site, "daily") == []
    assert [name for name in tree(site / "content") if name.startswith(".") or "/." in name] == []  # no temp file
    assert set(before) < set(tree(site / "content"))


FAILURES = {
    "html page with 200": answer(200, LOGIN_PAGE, "text/html"),
    "truncated": answer(200, b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><id>',
                        "application/atom+xml"),
    "empty body": answer(200, b"", "application/json"),
    "a timeout": silent_for(0.6),
}


@pytest.mark.parametrize("name", FAILURES)
@pytest.mark.parametrize("kind", ["arxiv", "hf"])
def test_every_failure_is_one_line_and_content_stays_as_it_was(name, kind, arxiv_api, hf_api, site, runner,
                                                                fake_clock, monkeypatch):
    monkeypatch.setattr(fetch, "TIMEOUT", 0.2)
    (site / "sitegen.yaml").write_text(SOURCES.replace("  - hf: daily\n", "") if kind == "arxiv" else
                                       "sources:\n  - hf: daily\n")
    feed_both(arxiv_api, hf_api)
    (arxiv_api if kind == "arxiv" else hf_api).fail(*[FAILURES[name]] * 4)
    before = tree(site / "content")
    result = update(runner, site)
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = error_lines(result)
    assert line.startswith(f"{ARXIV if kind == 'arxiv' else HF}: failed, nothing written: ")
    assert "Traceback" not in result.stderr
    assert tree(site / "content") == before


def test_an_unreachable_server_fails_its_source_only(hf_api, site, runner, fake_clock, monkeypatch):
    import socket

    hf_api.items = [daily_item("2403.20001", "2024-03-15")]
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        monkeypatch.setenv("SITEGEN_ARXIV_API", f"http://127.0.0.1:{bound.getsockname()[1]}/api/query")
        result = update(runner, site)
    assert result.exit_code == 1
    assert "(nothing answers there)" in error_lines(result)[0]
    assert result.stdout == f"{HF}: 1 written, 0 updated, 0 skipped\n"


def test_nothing_new_is_no_failure(arxiv_api, hf_api, site, runner, fake_clock):
    arxiv_api.papers = [ArxivPaper("2401.10000", NOW - timedelta(days=30))]
    result = update(runner, site)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{ARXIV}: 0 written, 0 updated, 0 skipped (arXiv has no paper matching 'cat:cs.LG AND abs:diffusion' "
        "submitted since 2024-03-13 12:00 UTC)",
        f"{HF}: 0 written, 0 updated, 0 skipped (Daily Papers lists no paper for 2024-03-15)"]


def test_a_bad_source_is_refused_with_line_and_field_before_anything_runs(arxiv_api, hf_api, make_site, runner,
                                                                         fake_clock):
    site = make_site({"content/.keep": "", "sitegen.yaml": """sources:
  - hf: daily
  - arxiv: "cat:cs.CV"
    since: yesterday
    maxx: 5
"""})
    before = tree(site / "content")
    result = update(runner, site)
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("sitegen.yaml:4: sources[2].since: expected a number of days")
    assert lines[1].startswith("sitegen.yaml:5: sources[2].maxx: unknown field of a source")
    assert lines[-1] == "2 error(s) in sitegen.yaml; no source was run."
    assert arxiv_api.requests == [] and hf_api.requests == []  # not even the good one
    assert tree(site / "content") == before


def test_any_settings_error_runs_nothing(hf_api, make_site, runner, fake_clock):
    site = make_site({"content/.keep": "", "sitegen.yaml": "per_page: -1\nsources:\n  - hf: daily\n"})
    result = update(runner, site)
    assert result.exit_code == 1 and hf_api.requests == []
    assert result.stderr.splitlines()[0].startswith("sitegen.yaml:1: per_page:")


def test_a_warning_does_not_stop_it(hf_api, make_site, runner, fake_clock):
    site = make_site({"content/.keep": "", "sitegen.yaml": "titel: Typo\nsources:\n  - hf: daily\n"})
    result = update(runner, site)
    assert result.exit_code == 0 and "sitegen.yaml:1: warning: titel" in result.stderr
    assert len(hf_api.requests) == 1


def test_no_sources(make_site, runner, fake_clock):
    result = update(runner, make_site({"content/.keep": ""}))
    assert result.exit_code == 0
    assert result.stdout == "No sources in sitegen.yaml: nothing to update (add `sources:`, e.g. `- hf: daily`).\n"


def test_since_a_date_and_max_from_the_settings(arxiv_api, make_site, runner, fake_clock):
    site = make_site({"content/.keep": "", "sitegen.yaml": 'sources:\n  - arxiv: "cat:cs.LG"\n    since: 2024-03-14\n'
                                                           "    max: 20\n"})
    arxiv_api.papers = hourly_papers(100)
    result = update(runner, site)
    assert result.stdout == "arXiv 'cat:cs.LG': 20 written, 0 updated, 0 skipped\n"
    assert [r["max_results"] for r in arxiv_api.requests] == ["20"]


def test_an_item_that_cannot_be_an_entry_is_a_warning_not_a_failure(hf_api, make_site, runner, fake_clock):
    site = make_site({"content/.keep": "", "sitegen.yaml": "sources:\n  - hf: daily\n"})
    broken = daily_item("2403.20002", "2024-03-15")
    del broken["paper"]["publishedAt"]
    hf_api.items = [daily_item("2403.20001", "2024-03-15"), broken]
    result = update(runner, site)
    assert result.exit_code == 0
    assert error_lines(result) == [f"warning: {HF}: item 1: missing or invalid paper.publishedAt"]
    assert result.stdout == f"{HF}: 1 written, 0 updated, 0 skipped, 1 could not be imported\n"


def test_progress_on_stderr_and_quiet(arxiv_api, hf_api, site, runner, fake_clock):
    feed_both(arxiv_api, hf_api)
    said = update(runner, site)
    assert said.stderr.splitlines() == [
        f"note: source 1 of 2: {ARXIV}",
        "note: request 1 of about 1 to the arXiv API, 0 papers so far",
        f"note: source 2 of 2: {HF}",
        "note: request 1 to the Daily Papers API (page 1), 0 papers so far",
    ]
    quiet = update(runner, site, "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and len(quiet.stdout.splitlines()) == 2


def test_the_arxiv_query_of_a_source_is_polite_across_sources(arxiv_api, make_site, runner, fake_clock):
    site = make_site({"content/.keep": "", "sitegen.yaml": 'sources:\n  - arxiv: "cat:cs.LG"\n'
                                                           '  - arxiv: "cat:cs.CV"\n'})
    arxiv_api.papers = [ArxivPaper("2403.10000", datetime(2024, 3, 15, 1, tzinfo=timezone.utc))]
    result = update(runner, site)
    assert result.stdout.splitlines() == ["arXiv 'cat:cs.LG': 1 written, 0 updated, 0 skipped",
                                          "arXiv 'cat:cs.CV': 0 written, 0 updated, 1 skipped"]
    assert fake_clock.sleeps == [3]  # the second source waited its turn at the same API


def test_content_is_read_once_for_all_the_sources(arxiv_api, hf_api, site, runner, fake_clock, monkeypatch):
    """A listing of 100,000 papers takes a while to read: not once per source."""
    from sitegen.content import load

    feed_both(arxiv_api, hf_api)
    real, calls = load.load_papers, []
    monkeypatch.setattr(load, "load_papers", lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs))
    result = update(runner, site)
    assert result.exit_code == 0 and calls == [1]
    assert files(site, "daily") == ["2403.20001", "2403.20002"]  # what the first source wrote was known to the second
