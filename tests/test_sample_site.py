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
