"""Settings: every key optional, each problem with its line and field, all in one run."""

from sitegen.config import DEFAULT_HF_API, Source, load_config
from sitekit import write_files

SOURCES = """\
title: Daily
sources:
  - arxiv: "cat:cs.LG AND abs:diffusion"
    since: 2
    max: 50
  - arxiv: "cat:cs.CL"
    since: 2024-03-01
    update: true
  - hf: daily
"""


def test_sources_are_read_in_order_with_their_defaults(tmp_path):
    config, problems = load_config(write_files(tmp_path, {"sitegen.yaml": SOURCES}))
    assert problems == []
    assert config.sources == (Source("arxiv", "cat:cs.LG AND abs:diffusion", 2, 50),
                              Source("arxiv", "cat:cs.CL", "2024-03-01", 200, update=True),
                              Source("hf", "daily"))
    assert [source.line for source in config.sources] == [3, 6, 9]


def test_every_bad_source_is_reported_with_its_line_and_field(tmp_path):
    settings = """\
sources:
  - arxiv: "cat:cs.LG"
    since: yesterday
    maxx: 3
  - hf: weekly
    max: 3
  - nothing: here
  - arxiv: ""
  - 42
  - arxiv: x
    hf: daily
  - arxiv: x
    max: 0
    update: yes please
"""
    _, problems = load_config(write_files(tmp_path, {"sitegen.yaml": settings}))
    found = sorted((p.line, p.field) for p in problems)
    assert found == [(3, "sources[1].since"), (4, "sources[1].maxx"), (5, "sources[2].hf"), (6, "sources[2].max"),
                     (7, "sources[3]"), (7, "sources[3].nothing"), (8, "sources[4].arxiv"), (9, "sources[5]"),
                     (10, "sources[6]"), (13, "sources[7].max"), (14, "sources[7].update")]
    assert all(p.is_error and p.path == "sitegen.yaml" for p in problems)
    assert "did you mean 'max'" in str(next(p for p in problems if p.field == "sources[1].maxx"))


def test_sources_that_are_not_a_list_are_one_problem(tmp_path):
    _, problems = load_config(write_files(tmp_path, {"sitegen.yaml": "sources: cat:cs.LG\n"}))
    assert [(p.line, p.field) for p in problems] == [(1, "sources")]


def test_the_daily_papers_api_is_a_setting_the_environment_overrides(tmp_path, monkeypatch):
    site = write_files(tmp_path, {"sitegen.yaml": "hf_api: https://hf.example/api/daily_papers\n"})
    monkeypatch.delenv("SITEGEN_HF_API", raising=False)
    assert load_config(tmp_path)[0].hf_api == "https://hf.example/api/daily_papers"
    monkeypatch.setenv("SITEGEN_HF_API", "http://127.0.0.1:9/daily_papers")
    assert load_config(site)[0].hf_api == "http://127.0.0.1:9/daily_papers"
    assert load_config(tmp_path / "elsewhere")[0].hf_api == "http://127.0.0.1:9/daily_papers"
    monkeypatch.delenv("SITEGEN_HF_API")
    assert load_config(tmp_path / "elsewhere")[0].hf_api == DEFAULT_HF_API


def test_digest_size_and_subscribe_url_are_checked(tmp_path):
    good = write_files(tmp_path / "good", {"sitegen.yaml": "digest_size: 5\nsubscribe_url: https://buttondown.com/x\n"})
    config, problems = load_config(good)
    assert (config.digest_size, config.subscribe_url, problems) == (5, "https://buttondown.com/x", [])
    bad = write_files(tmp_path / "bad", {"sitegen.yaml": "digest_size: 0\nsubscribe_url: javascript:alert(1)\n"})
    _, problems = load_config(bad)
    assert sorted((p.line, p.field) for p in problems) == [(1, "digest_size"), (2, "subscribe_url")]
