"""Entries far beyond the usual: a 5 MB abstract, a paper with 10,000 authors.

Both build correctly: every page exists, listings stay small (cards name the first
authors and say how many more), and a rebuild has nothing to do.
"""

from __future__ import annotations

import json

import pytest

from sitegen.engine.build import build
from sitegen.config import load_config
from sitegen.formats.feeds import FEED_AUTHOR_LIMIT
from sitekit import build_dir, write_files

AUTHORS = 10_000


@pytest.fixture(scope="module")
def consortium(tmp_path_factory):
    site = tmp_path_factory.mktemp("consortium")
    names = [f"Physicist {n:05d}" for n in range(AUTHORS)]
    write_files(site, {
        "sitegen.yaml": "title: Big Science\n",
        "content/big.yaml": json.dumps({  # JSON is YAML: 10,000 names on one line
            "id": "1207.7214", "title": "Observation of a new particle", "authors": names,
            "abstract": "A particle with a mass near 125 GeV is observed.", "published": "2012-07-31",
            "day": "2024-03-13", "tags": ["hep-ex"]}),
        "content/small.yaml": """
            id: "2203.00555"
            title: A small paper
            authors: [Physicist 00001, Ada Lovelace]
            abstract: Two people.
            published: 2022-03-01
            day: 2024-03-13
        """,
    })
    config, problems = load_config(site)
    assert not [p for p in problems if p.is_error]
    return site, build(config, jobs=2)  # 30,000 files: use both cores


def test_a_paper_with_10000_authors_gives_each_a_page(consortium):
    site, _ = consortium
    pages = list((site / "output/authors").glob("*/index.html"))
    assert len(pages) == AUTHORS + 1  # and Ada Lovelace


def test_its_page_lists_everyone_but_cards_stay_short(consortium):
    site, _ = consortium
    paper = (site / "output/papers/1207.7214/index.html").read_text()
    assert paper.count('href="/authors/physicist-') >= AUTHORS
    author = (site / "output/authors/physicist-09999/index.html").read_text()
    assert "and 9988 more" in author and len(author) < 50_000
    assert (site / "output/authors/physicist-09999/index.html").stat().st_size < 50_000


def test_consortium_papers_do_not_make_everyone_a_collaborator(consortium):
    site, _ = consortium
    page = (site / "output/authors/physicist-00001/index.html").read_text()
    assert "ada-lovelace" in page  # a real collaborator
    assert "physicist-00002" not in page.split("</article>")[-1]  # not 9,999 consortium members


def test_the_bibtex_names_every_author(consortium):
    site, _ = consortium
    bib = (site / "output/papers/1207.7214/cite.bib").read_text()
    assert bib.count(" and ") == AUTHORS - 1


def test_a_rebuild_has_nothing_to_do(consortium):
    site, _ = consortium
    report = build_dir(site)
    assert (report.rendered, report.written) == (0, 0)


def test_a_5mb_abstract_builds_and_is_shown_whole(make_site):
    abstract = ("state space models scale linearly in sequence length " * 100_000)[: 5 * 1024 * 1024].strip()
    assert len(abstract.encode()) > 5 * 1024 * 1024 - 64  # 5 MB, as the README says
    site = make_site({"content/long.yaml": json.dumps({
        "id": "2312.00752", "title": "Long", "authors": ["Albert Gu"], "abstract": abstract,
        "published": "2023-12-01", "day": "2024-03-13"})})
    report = build_dir(site)
    assert report.rendered > 0
    page = (site / "output/papers/2312.00752/index.html").read_text()
    assert page.count("sequence length") >= abstract.count("sequence length") >= 90_000  # all of it
    feed = (site / "output/feed.xml").read_text()
    assert "sequence length" in feed


def test_feeds_name_the_first_authors_so_they_grow_linearly(consortium):
    site, _ = consortium
    feed = (site / "output/authors/physicist-09999/feed.xml").read_text()
    assert feed.count("<dc:creator>") == FEED_AUTHOR_LIMIT == 100  # one item: the consortium paper
    assert "<dc:creator>Physicist 00000</dc:creator>" in feed
    assert "Physicist 09999</dc:creator>" not in feed  # named on the paper page instead
