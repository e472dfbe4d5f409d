"""`sitegen import hf` against a local Daily Papers API (fakeapis.FakeDailyPapers) that
answers in the API's recorded shape: a date, a week, a month, paging, the mapping of
every field (the same as `import json`), and every way the API can fail."""

from __future__ import annotations

import json

import pytest

from fakeapis import LOGIN_PAGE, answer, assert_failed_in_one_line, broken_off, daily_item, silent_for, tree
from sitegen.commands.cli import main
from sitegen.importers import fetch
from sitekit import REPO, build_dir

RECORDED = REPO / "tests/fixtures/import/daily_papers_api.json"
MINE = "id: mine\ntitle: Mine\nauthors: [Me]\nabstract: Mine.\npublished: 2024-01-02\n"


@pytest.fixture
def site(make_site):
    return make_site({"content/mine.yaml": MINE})


def hf(runner, site, *args: str):
    return runner.invoke(main, ["import", "hf", *args, "--site", str(site)])


def entries(site) -> dict[str, str]:
    folder = site / "content/daily"
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())} if folder.is_dir() else {}


def items_on(day: str, count: int, first: int = 0) -> list[dict]:
    return [daily_item(f"{day[2:4]}{day[5:7]}.{first + n:05d}", day, upvotes=n) for n in range(count)]


# ---------------------------------------------------------------- a date, a week, a month

def test_a_date_with_paging(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-03-13", 250) + items_on("2024-03-12", 5, first=500)
    result = hf(runner, site, "--date", "2024-03-13")
    assert result.exit_code == 0, result.stderr
    assert "250 written, 0 skipped, 0 failed." in result.stdout
    assert [(r["date"], r["limit"], r["p"]) for r in hf_api.requests] == [
        ("2024-03-13", "100", "0"), ("2024-03-13", "100", "1"), ("2024-03-13", "100", "2")]  # the third is short
    written = entries(site)
    assert len(written) == 250 and all("day: '2024-03-13'" in text for text in written.values())
    assert fake_clock.sleeps == [1, 1]  # requests a second apart


def test_a_full_last_page_is_followed_by_an_empty_one(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-03-13", 200)
    hf(runner, site, "--date", "2024-03-13")
    assert [r["p"] for r in hf_api.requests] == ["0", "1", "2"] and len(entries(site)) == 200


def test_an_api_that_ignores_paging_is_read_once(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-03-13", 100)
    hf_api.ignores_paging = True
    result = hf(runner, site, "--date", "2024-03-13")
    assert result.exit_code == 0 and "100 written" in result.stdout
    assert len(hf_api.requests) == 2  # the second page was the first again: the end


def test_without_a_date_today_in_utc(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-03-15", 2) + items_on("2024-03-14", 2, first=10)
    result = hf(runner, site)
    assert result.exit_code == 0
    assert [r["date"] for r in hf_api.requests] == ["2024-03-15"]  # the fake clock's day
    assert sorted(entries(site)) == ["2403.00000", "2403.00001"]


def test_a_week_lists_each_paper_on_its_own_day(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-03-11", 60) + items_on("2024-03-17", 60, first=100) + items_on("2024-03-18", 3,
                                                                                               first=200)
    result = hf(runner, site, "--week", "2024-W11")
    assert result.exit_code == 0, result.stderr
    assert [(r["week"], r["p"]) for r in hf_api.requests] == [("2024-W11", "0"), ("2024-W11", "1")]
    written = entries(site)
    assert len(written) == 120
    assert "day: '2024-03-11'" in written["2403.00000"] and "day: '2024-03-17'" in written["2403.00100"]


def test_a_month(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-02-29", 3, first=900) + items_on("2024-03-01", 3) + items_on("2024-03-31", 3,
                                                                                                 first=10)
    result = hf(runner, site, "--month", "2024-03")
    assert result.exit_code == 0
    assert [r["month"] for r in hf_api.requests] == ["2024-03"]
    written = entries(site)
    assert sorted(written) == ["2403.00000", "2403.00001", "2403.00002", "2403.00010", "2403.00011", "2403.00012"]
    assert "day: '2024-03-31'" in written["2403.00010"]


@pytest.mark.parametrize("args, message", [
    (["--date", "2024-03-13", "--week", "2024-W11"], "give one of --date, --week and --month"),
    (["--week", "2024-W60"], "'2024-W60' is not an ISO week like 2024-W11"),
    (["--week", "2023-W53"], "'2023-W53' is not an ISO week"),  # 2023 has 52 weeks
    (["--month", "2024-13"], "'2024-13' is not a month like 2024-03"),
    (["--date", "13/03/2024"], "'13/03/2024' does not match the format '%Y-%m-%d'"),
])
def test_usage_errors(site, runner, args, message, fake_clock):
    result = hf(runner, site, *args)
    assert result.exit_code == 2 and message in result.stderr


# ---------------------------------------------------------------- the mapping of every field

def test_every_field_is_mapped(hf_api, site, runner, fake_clock):
    hf_api.fail(lambda handler: answer(200, RECORDED.read_bytes(), "application/json")(handler))
    result = hf(runner, site, "--date", "2024-03-15")
    assert result.exit_code == 0, result.stderr
    mm1 = (site / "content/daily/2403.09611.md").read_text(encoding="utf-8")
    assert mm1 == """---
id: '2403.09611'
title: 'MM1: Methods, Analysis & Insights from Multimodal LLM Pre-training'
authors:
- Brandon McKinzie
- Zhe Gan
- Jean-Philippe Fauconnier
published: '2024-03-14'
day: '2024-03-15'
links:
  arxiv: https://arxiv.org/abs/2403.09611
  pdf: https://arxiv.org/pdf/2403.09611
  code: https://github.com/apple/ml-mm1
  project: https://machinelearning.apple.com/research/mm1
upvotes: 126
thumbnail: https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2403.09611.png
---

In this work, we discuss building performant Multimodal Large Language Models (MLLMs). In particular, we study \
the importance of various architecture components and data choices.
"""
    star = (site / "content/daily/2403.09629.md").read_text(encoding="utf-8")
    assert "code: https://github.com/ezelikman/quiet-star" in star and "project:" not in star  # "" is no link
    assert "upvotes: 74" in star and "$O(n)$" in star
    plain = (site / "content/daily/2403.08763.md").read_text(encoding="utf-8")
    assert "upvotes: 0" in plain and "thumbnail" not in plain and "code:" not in plain and "- Zoë Müller" in plain
    report = build_dir(site)
    page = (site / "output/papers/2403.09611/index.html").read_text(encoding="utf-8")
    assert report.written and "https://github.com/apple/ml-mm1" in page
    assert (site / "output/days/2024-03-15/index.html").is_file()


def test_import_json_maps_a_saved_answer_the_same(hf_api, make_site, runner, fake_clock):
    from_api, from_file = make_site({"content/.keep": ""}), make_site({"content/.keep": ""})
    hf_api.fail(lambda handler: answer(200, RECORDED.read_bytes(), "application/json")(handler))
    hf(runner, from_api, "--date", "2024-03-15")
    saved = runner.invoke(main, ["import", "json", str(RECORDED), "--site", str(from_file)])
    assert saved.exit_code == 0, saved.stderr
    assert tree(from_api / "content") == tree(from_file / "content")


def test_update_rewrites_upvotes_and_only_with_update(hf_api, site, runner, fake_clock):
    hf_api.items = [daily_item("2403.09611", "2024-03-15", upvotes=3)]
    hf(runner, site, "--date", "2024-03-15")
    entry = site / "content/daily/2403.09611.md"
    first = entry.read_bytes()
    hf_api.items = [daily_item("2403.09611", "2024-03-15", upvotes=40)]
    skipped = hf(runner, site, "--date", "2024-03-15")
    assert "skipped 2403.09611: already in content/" in skipped.stdout and entry.read_bytes() == first
    updated = hf(runner, site, "--date", "2024-03-15", "--update")
    assert "updated 2403.09611: content/daily/2403.09611.md" in updated.stdout
    assert "0 written, 1 updated, 0 skipped, 0 failed." in updated.stdout
    assert "upvotes: 40" in entry.read_text()


def test_a_paper_written_by_another_importer_is_left_alone(hf_api, site, runner, fake_clock):
    (site / "content/arxiv").mkdir()
    (site / "content/arxiv/2403.09611.md").write_text(
        "---\nid: '2403.09611'\ntitle: T\nauthors: [A]\npublished: '2024-03-14'\n---\n\nAbstract.\n")
    hf_api.items = [daily_item("2403.09611v2", "2024-03-15")]
    before = tree(site / "content")
    result = hf(runner, site, "--date", "2024-03-15", "--update")
    assert "skipped 2403.09611: already in content/ as content/arxiv/2403.09611.md" in result.stdout
    assert tree(site / "content") == before


def test_an_item_that_cannot_be_an_entry_is_reported(hf_api, site, runner, fake_clock):
    broken = daily_item("2403.00001", "2024-03-15")
    broken["paper"]["authors"] = []
    hf_api.items = [daily_item("2403.00000", "2024-03-15"), broken]
    result = hf(runner, site, "--date", "2024-03-15")
    assert result.exit_code == 1
    assert "failed  item 1: missing or invalid paper.authors" in result.stderr
    assert "1 written, 0 skipped, 1 failed." in result.stdout


def test_progress_and_quiet(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-03-13", 150)
    said = hf(runner, site, "--date", "2024-03-13")
    assert said.stderr.splitlines() == [
        "note: request 1 to the Daily Papers API (page 1), 0 papers so far",
        "note: waiting 1 s before the next request, to spare the Hugging Face API",
        "note: request 2 to the Daily Papers API (page 2), 100 papers so far",
    ]
    quiet = hf(runner, site, "--date", "2024-03-13", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and "150 skipped" in quiet.stdout


# ---------------------------------------------------------------- failures: one line, exit 1, content/ as it was

PAGE = json.dumps(items_on("2024-03-13", 100)).encode()
FAILURES = {
    # name: (answers, the problem after "<API>, asked for ...: ", fake sleeps)
    "html page with 200": ([answer(200, LOGIN_PAGE, "text/html")], "answered with an HTML page (a proxy, a network "
                           "login page or an outage page?), not JSON", []),
    "truncated json": ([answer(200, PAGE[:5000], "application/json")],
                       "answered with JSON that breaks off or is malformed (Unterminated string starting at: line 1, "
                       "column 4997); try again later", []),
    "malformed json": ([answer(200, b'[{"paper": {"id": "2403.00001",}}]', "application/json")],
                       "answered with JSON that breaks off or is malformed (Expecting property name enclosed in "
                       "double quotes: line 1, column 32); try again later", []),
    "empty body": ([answer(200, b"", "application/json")], "answered with an empty body, not JSON", []),
    "an object": ([answer(200, b'{"status": "ok"}', "application/json")],
                  "answered with an object with keys status, not a list of Daily Papers", []),
    "a list of strings": ([answer(200, b'["2403.00001"]', "application/json")],
                          "answered with a list whose first item is a string, not a list of Daily Papers", []),
    "an error with 200": ([answer(200, b'{"error": "Invalid date"}', "application/json")],
                          "answered with an error: Invalid date", []),
    "400 with its reason": ([answer(400, b'{"error": "\\"date\\" must be a valid date"}', "application/json")],
                            'answered 400 Bad Request ("date" must be a valid date)', []),
    "503 every time": ([answer(503)] * 4, "answered 503 Service Unavailable (4 attempts); try again later",
                       [1, 2, 4]),
    "429 with Retry-After every time": ([answer(429, headers={"Retry-After": "30"})] * 4,
                                        "answered 429 Too Many Requests (4 attempts); try again later",
                                        [30, 30, 30]),
    "a timeout every time": ([silent_for(0.6)] * 4, "no answer within 0.2 s (4 attempts); try again later",
                             [1, 2, 4]),
    "broken off every time": ([broken_off(PAGE, "application/json")] * 4,
                              f"the connection broke off after {len(PAGE) // 2} bytes of the answer (4 attempts); "
                              "try again later", [1, 2, 4]),
}


@pytest.mark.parametrize("name", FAILURES)
def test_a_failure_is_one_line_and_writes_nothing(name, hf_api, site, runner, fake_clock, monkeypatch):
    monkeypatch.setattr(fetch, "TIMEOUT", 0.2)
    answers, problem, sleeps = FAILURES[name]
    hf_api.items = items_on("2024-03-13", 3)
    hf_api.fail(*answers)
    before = tree(site / "content")
    result = hf(runner, site, "--date", "2024-03-13")
    assert_failed_in_one_line(result, site, before, f"Daily Papers API {hf_api.url}, asked for the Daily Papers of "
                                                    f"2024-03-13: {problem}")
    assert fake_clock.sleeps == sleeps


def test_a_later_page_failing_writes_nothing(hf_api, site, runner, fake_clock):
    hf_api.items = items_on("2024-03-13", 250)
    hf_api.fail(None, None, answer(200, LOGIN_PAGE, "text/html"))
    before = tree(site / "content")
    result = hf(runner, site, "--month", "2024-03")
    assert_failed_in_one_line(result, site, before, f"Daily Papers API {hf_api.url}, asked for the Daily Papers of "
                                                    "the month 2024-03, page 3: answered with an HTML page (a proxy, "
                                                    "a network login page or an outage page?), not JSON")


def test_an_unreachable_server(site, runner, fake_clock, monkeypatch):
    import socket

    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{bound.getsockname()[1]}/api/daily_papers"
        monkeypatch.setenv("SITEGEN_HF_API", url)
        before = tree(site / "content")
        result = hf(runner, site, "--week", "2024-W11")
    assert_failed_in_one_line(result, site, before, f"Daily Papers API {url}, asked for the Daily Papers of week "
                                                    f"2024-W11: connection refused by {url.split('/')[2]} "
                                                    "(nothing answers there)")


def test_no_paper_that_day_is_said_in_one_line_and_is_no_failure(hf_api, site, runner, fake_clock):
    before = tree(site / "content")
    result = hf(runner, site, "--date", "2024-03-16")
    assert result.exit_code == 0
    assert result.stdout == "Nothing to import: Daily Papers lists no paper for 2024-03-16.\n"
    assert tree(site / "content") == before
