"""The bundled sample listing builds cleanly and passes every invariant."""

import json
import shutil

import pytest

from sitekit import REPO, build_dir
from invariants import check_site


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    site = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "sitegen.yaml", site / "sitegen.yaml")
    report = build_dir(site)
    return site, report


def test_sample_builds_without_warnings(sample):
    _, report = sample
    assert report.warnings == []


def test_sample_passes_the_invariants(sample):
    site, _ = sample
    counts = check_site(site / "output", "/", "https://example.github.io/")
    assert counts["pages"] > 50 and counts["feeds"] > 20 and counts["bibs"] > 17


def test_sample_listing_has_real_content(sample):
    site, _ = sample
    papers = json.loads((site / "output/api/papers.json").read_text())["papers"]
    assert len(papers) >= 15
    assert len({p["day"] for p in papers}) >= 2
    assert "draft-selective-ssm" not in {p["id"] for p in papers}
    authors = json.loads((site / "output/api/authors.json").read_text())["authors"]
    poli = next(a for a in authors if a["slug"] == "michael-poli")
    assert len(poli["papers"]) >= 9  # 'M. Poli' is an alias of the profile
    assert not any(a["name"] == "M. Poli" for a in authors)
    assert poli["affiliation"] == "Stanford University"
    shared = [a for a in authors if len(a["papers"]) > 1]
    assert len(shared) >= 5


def test_sample_math_renders(sample):
    site, _ = sample
    html = (site / "output/papers/2302.10866/index.html").read_text()
    assert "<math" in html and 'display="block"' in html


def _html(site, path):
    return (site / "output" / path / "index.html").read_text()


def test_prev_next_links_walk_every_day_in_order(sample):
    import re
    site, _ = sample
    days = sorted(p.name for p in (site / "output/days").iterdir() if p.is_dir())
    walked, path = [], f"days/{days[-1]}"
    while path:
        walked.append(path.split("/")[-1])
        older = re.search(r'<a href="/(days/[\d-]+)/" rel="prev">', _html(site, path))
        path = older.group(1) if older else None
    assert walked == sorted(days, reverse=True)
    newer = re.search(r'<a href="/(days/[\d-]+)/" rel="next">', _html(site, f"days/{days[0]}"))
    assert newer.group(1) == f"days/{days[1]}"


def test_paper_pages_carry_citation_tags_in_author_order_and_valid_json_ld(sample):
    import json
    import re
    site, _ = sample
    html = _html(site, "papers/2203.00555")
    authors = re.findall(r'<meta name="citation_author" content="([^"]+)">', html)
    assert authors[:3] == ["Tri Dao", "Beidi Chen", "Nimit Sohoni"] and authors[-1] == "Christopher Ré"
    assert '<meta name="citation_arxiv_id" content="2203.00555">' in html
    assert '<meta name="citation_pdf_url" content="https://arxiv.org/pdf/2203.00555">' in html
    assert '<meta name="citation_publication_date" content="2022/03/01">' in html
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)
    data = json.loads(block)
    assert data["@type"] == "ScholarlyArticle" and [a["name"] for a in data["author"]] == authors
    # One description, the abstract's opening cut at a space, for search engines, social
    # cards and the JSON-LD alike; the whole abstract is on the page itself.
    summary = data["description"]
    assert "abstract" not in data and summary.endswith(" …") and len(summary) <= 282
    abstract = re.search(r'<div class="abstract">(.*?)</div>', html, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", "", abstract).split()).startswith(summary[:-2])
    for attribute in ('name="description"', 'property="og:description"', 'name="twitter:description"'):
        assert f'<meta {attribute} content="{summary}">' in html
    assert '<link rel="canonical" href="https://example.github.io/papers/2203.00555/">' in html
    assert '<meta property="og:title"' in html and '<meta name="twitter:card"' in html


def test_author_page_shows_topics_and_collaborators_that_match_the_content(sample):
    site, _ = sample
    html = _html(site, "authors/michael-poli")
    assert "Stanford University" in html and "https://zymrael.github.io/" in html
    topics = html[html.index('id="topics-heading"'):html.index('id="coauthors-heading"')]
    assert topics.index("neural ODEs") < topics.index("sparsity")  # ranked by how often
    collaborators = html[html.index('id="coauthors-heading"'):]
    assert collaborators.index("Stefano Massaroli") < collaborators.index("Tri Dao")  # most shared first
    assert html.index(">2023</h3>") < html.index(">2022</h3>") < html.index(">2020</h3>")  # grouped by year


def test_week_and_month_pages_rank_by_upvotes(sample):
    site, _ = sample
    html = _html(site, "months/2024-03")
    assert html.index("Hyena Hierarchy") < html.index("Monarch: Expressive") < html.index("One-connection rule")
    assert (site / "output/weeks/2024-W11/index.html").is_file()
    assert 'href="/weeks/2024-W11/"' in _html(site, "days/2024-03-13")
