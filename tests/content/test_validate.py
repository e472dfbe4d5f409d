import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given, strategies as st

from sitegen.content.sources import RawEntry
from sitegen.yamlfile import parse_yaml
from sitegen.content.validate import check_duplicate_ids, clean_text, url_problem, validate_entry, validate_profiles

GOOD = """\
id: "2203.00555"
title: Monarch
authors: [Tri Dao, {name: Michael Poli, affiliation: Stanford, orcid: 0000-0002-1825-0097}]
abstract: Text.
published: 2022-03-01
"""


def entry(text, body=None, path="content/a.yaml"):
    data, problems = parse_yaml(text, path)
    assert problems == []
    return validate_entry(RawEntry(path, data.line, data, body))


def messages(problems):
    return [(p.line, p.field, p.message, p.hint) for p in problems]


def test_good_entry():
    paper, problems = entry(GOOD)
    assert problems == []
    assert paper.id == "2203.00555"
    assert [c.name for c in paper.authors] == ["Tri Dao", "Michael Poli"]
    assert paper.authors[1].affiliation == "Stanford"
    assert paper.authors[1].orcid == "0000-0002-1825-0097"
    assert paper.day == paper.published == date(2022, 3, 1)
    assert paper.upvotes == 0 and paper.draft is False


def test_unknown_field_suggests_the_right_one():
    _, problems = entry(GOOD + "autors: [x]\n")
    assert messages(problems) == [(6, "autors", "unknown field", "did you mean 'authors'?")]


def test_every_problem_in_one_pass():
    _, problems = entry('id: "../etc"\ntitle: ""\nauthors: Tri Dao\npublished: 2022-02-30\nupvotes: -1\n'
                        "tags: ml\ndraft: maybe\nlinks: {code: 'javascript:alert(1)'}\n")
    fields = [p.field for p in problems]
    assert fields == ["title", "abstract", "id", "authors", "published", "tags", "links.code", "upvotes", "draft"]
    by_field = {p.field: p for p in problems}
    assert by_field["authors"].message == "expected a list of names, got text"
    assert by_field["authors"].line == 3
    assert "not a valid date" in by_field["published"].message
    assert by_field["links.code"].line == 8


@pytest.mark.parametrize("bad_id", ["../x", "a/b", ".hidden", "a b", "x" * 121, "é", ""])
def test_ids_that_could_escape_or_break_paths_are_rejected(bad_id):
    text = GOOD.replace('id: "2203.00555"', f"id: {bad_id!r}")
    paper, problems = entry(text)
    assert paper is None
    assert any(p.field == "id" for p in problems)


def test_numeric_looking_ids_and_titles_keep_their_text():
    paper, problems = entry(GOOD.replace('"2203.00555"', "2203.10550").replace("title: Monarch", "title: 1984"))
    assert problems == []
    assert paper.id == "2203.10550" and paper.title == "1984"


def test_names_are_nfc_normalised_and_whitespace_collapsed():
    paper, _ = entry(GOOD.replace("Tri Dao", "Christophe\u0301  Re\u0301"))
    assert paper.authors[0].name == "Christophé Ré"


def test_markdown_entry_takes_the_body_as_abstract():
    text = GOOD.replace("abstract: Text.\n", "")
    paper, problems = entry(text, body="The *abstract*.", path="content/a.md")
    assert problems == [] and paper.abstract == "The *abstract*."


def test_markdown_entry_with_abstract_key_is_reported():
    _, problems = entry(GOOD, body="Body", path="content/a.md")
    assert [p.field for p in problems] == ["abstract"]


def test_missing_required_fields_name_each_field():
    _, problems = entry("id: a\n")
    assert [(p.field, p.message) for p in problems] == [
        ("title", "missing required field"), ("authors", "missing required field"),
        ("published", "missing required field"), ("abstract", "missing required field")]


@pytest.mark.parametrize("url,ok", [
    ("https://arxiv.org/abs/1", True), ("http://x.org", True), ("/files/a.pdf", True), ("a.pdf", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("data:text/html,x", False),
    ("vbscript:x", False), ("https://x.org/a b", False), ("ftp://x.org", False), ("java\tscript:x", False),
    ("/\\evil.example/x", False), ("\\\\evil.example/x", False), ("//evil.example/x", False),
    ("../../x", False), ("papers/../../x", False), ("a/%2e%2e/b", False), ("papers/x/../y/", False),
    ("papers/..x/", True), ("https://x.org/a/../b", True),
])
def test_links_accept_only_http_https_and_relative(url, ok):
    assert (url_problem(url) is None) == ok


def test_duplicate_ids_name_both_files():
    a, _ = entry(GOOD, path="content/a.yaml")
    b, _ = entry(GOOD, path="content/b.yaml")
    c, _ = entry(GOOD.replace('"2203.00555"', "ABC"), path="content/c.yaml")
    d, _ = entry(GOOD.replace('"2203.00555"', "abc"), path="content/d.yaml")
    problems = check_duplicate_ids([a, b, c, d])
    assert [(p.path, p.field) for p in problems] == [("content/b.yaml", "id"), ("content/d.yaml", "id")]
    assert "content/a.yaml:1" in problems[0].message
    assert "differing only in case" in problems[1].message


def test_profiles_validate_and_aliases_are_unique():
    data, _ = parse_yaml("- name: Michael Poli\n  aliases: [M. Poli]\n  bio: Hi\n"
                         "- name: M. Poli\n- nme: X\n", "content/authors.yaml")
    profiles, problems = validate_profiles(data, "content/authors.yaml")
    assert [p.name for p in profiles] == ["Michael Poli"]
    assert profiles[0].aliases == ("M. Poli",)
    assert [(p.line, p.field) for p in problems] == [(4, "name"), (5, "nme"), (5, "name")]


def test_control_characters_are_removed():
    paper, _ = entry(GOOD.replace("title: Monarch", 'title: "Mon\\x00ar\\x1bch"'))
    assert paper.title == "Monarch"


# What clean_text and url_problem did before their fast paths: the same results are kept.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def _clean_text_by_patterns(value: str, single_line: bool) -> str:
    value = unicodedata.normalize("NFC", _CONTROL.sub("", value))
    return re.sub(r"\s+", " ", value).strip() if single_line else value.strip()


_TEXT = st.text(st.sampled_from("a é\u0301\t\n\r\x0b\x0c\x1c\x1f\x00\x7f\u00a0\u2003\u3000\ufeff\ufffe-:/"), max_size=24)


@given(text=_TEXT, single_line=st.booleans())
def test_clean_text_is_what_the_patterns_made(text, single_line):
    assert clean_text(text, single_line=single_line) == _clean_text_by_patterns(text, single_line)


@given(path=_TEXT)
def test_urls_with_space_or_control_are_refused_as_before(path):
    url = "https://example.org/" + path
    refused = bool(_CONTROL.search(url) or any(ch.isspace() for ch in url))
    assert (url_problem(url) or "").startswith("a URL cannot contain spaces") == refused


# Identifiers as BibTeX, Crossref, arXiv and people write them: each is shown and
# linked as its doi.org or arxiv.org link (identifiers.py).
DOI = "10.48550/arXiv.2203.00555"
DOI_LINK = "https://doi.org/10.48550/arXiv.2203.00555"


def links_of(yaml_links: str):
    paper, problems = entry(GOOD + "links:\n" + yaml_links)
    return paper, problems


@pytest.mark.parametrize("written", [
    DOI, f"doi:{DOI}", f"DOI: {DOI}", f"https://doi.org/{DOI}", f"http://doi.org/{DOI}",
    f"https://dx.doi.org/{DOI}", f"http://dx.doi.org/{DOI}", f"https://www.doi.org/{DOI}",
    f"http://www.dx.doi.org/{DOI}", f"HTTPS://DOI.ORG/{DOI}", "https://doi.org/10.48550%2FarXiv.2203.00555",
    f"  {DOI}  ",
])
def test_a_doi_in_every_shape_is_its_doi_org_link(written):
    paper, problems = links_of(f"  doi: {written!r}\n")
    assert problems == []
    assert dict(paper.links) == {"doi": DOI_LINK}
    assert paper.site_links == ()


@pytest.mark.parametrize("doi,link", [
    ("10.1002/(SICI)1097-4636(199706)35:4<498::AID-JBM8>3.0.CO;2-B",
     "https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C498::AID-JBM8%3E3.0.CO;2-B"),
    ('10.1234/"><script>alert(1)</script>', "https://doi.org/10.1234/%22%3E%3Cscript%3Ealert(1)%3C/script%3E"),
    ("10.1000/a#b?c%d[e]", "https://doi.org/10.1000/a%23b%3Fc%25d%5Be%5D"),
    ("10.1000/é_x", "https://doi.org/10.1000/%C3%A9_x"),
])
def test_a_doi_with_url_or_html_characters_is_percent_encoded_and_reads_back(doi, link):
    from sitegen.content.identifiers import doi_of

    for written in (doi, "doi:" + doi, link):
        paper, problems = links_of(f"  doi: {written!r}\n")
        assert problems == [] and dict(paper.links) == {"doi": link}, written
    assert not any(c in link for c in '"<>\' #?[]`{}|\\^')
    assert doi_of(link) == doi


@pytest.mark.parametrize("written", ["https://example.org/paper.pdf", "11.1234/x", "10.1234", "doi:", "arXiv.2203.00555",
                                     "https://doi.org/", "https://doi.org/abc", "10.1000/a b"])
def test_a_doi_that_is_not_a_doi_is_an_error_with_line_field_and_hint(written):
    paper, problems = links_of(f"  arxiv: https://arxiv.org/abs/2203.00555\n  doi: {written!r}\n")
    assert paper is None
    [problem] = problems
    assert (problem.path, problem.line, problem.field) == ("content/a.yaml", 8, "links.doi")
    assert problem.is_error and ("not a DOI" in problem.message or "cannot contain spaces" in problem.message)
    if "not a DOI" in problem.message:
        assert "10.48550/arXiv.2203.00555" in problem.hint


@pytest.mark.parametrize("written,arxiv_id", [
    ("2203.00555", "2203.00555"), ("'2203.00555'", "2203.00555"), ("2203.00550", "2203.00550"),
    ("1501.00001v2", "1501.00001v2"), ("0704.0001", "0704.0001"), ("arXiv:2203.00555", "2203.00555"),
    ("'arxiv: 2203.00555v3'", "2203.00555v3"), ("hep-th/9901001", "hep-th/9901001"),
    ("hep-th/9901001v2", "hep-th/9901001v2"), ("math.GT/0309136", "math.GT/0309136"),
    ("arXiv:math.GT/0309136v1", "math.GT/0309136v1"), ("cond-mat/0102536", "cond-mat/0102536"),
])
def test_a_bare_arxiv_id_is_its_arxiv_org_link(written, arxiv_id):
    paper, problems = links_of(f"  arxiv: {written}\n")
    assert problems == []
    assert dict(paper.links) == {"arxiv": f"https://arxiv.org/abs/{arxiv_id}"}
    assert paper.site_links == ()


def test_arxiv_and_other_urls_stay_as_written():
    paper, problems = links_of("  arxiv: https://arxiv.org/pdf/2203.00555v2\n  code: http://github.com/x/y\n")
    assert problems == []
    assert dict(paper.links) == {"arxiv": "https://arxiv.org/pdf/2203.00555v2", "code": "http://github.com/x/y"}


def test_a_doi_uri_is_refused_outside_the_doi_link():
    _, problems = links_of(f"  code: 'doi:{DOI}'\n")
    assert [(p.field, p.message) for p in problems] == [("links.code", "only http and https links are allowed, not 'doi:'")]


def test_paths_in_the_site_are_kept_with_their_field_and_line():
    text = GOOD.replace("authors: [Tri Dao, {name: Michael Poli, affiliation: Stanford, orcid: 0000-0002-1825-0097}]",
                        "authors:\n  - Tri Dao\n  - name: Michael Poli\n    url: people/poli/\n")
    text += ("thumbnail: figs/one.png\nlinks:\n  arxiv: 2203.055\n  slides: slides/talk.pdf\n"
             "  code: https://github.com/x/y\n  day: /days/2022-03-01/\n  doi: 10.1/x\n")
    paper, problems = entry(text)
    assert problems == []
    assert sorted(paper.site_links) == [
        ("authors[2].url", "people/poli/", 6), ("links.arxiv", "2203.055", 12),
        ("links.day", "/days/2022-03-01/", 15), ("links.slides", "slides/talk.pdf", 13), ("thumbnail", "figs/one.png", 10)]
    data, _ = parse_yaml("- name: Michael Poli\n  url: people/poli/\n- name: Tri Dao\n  url: https://tri.example\n",
                         "content/authors.yaml")
    profiles, problems = validate_profiles(data, "content/authors.yaml")
    assert problems == [] and [p.site_links for p in profiles] == [(("url", "people/poli/", 2),), ()]


@pytest.mark.parametrize("written", ["0000-0002-1825-0097", "https://orcid.org/0000-0002-1825-0097",
                                     "http://orcid.org/0000-0002-1825-0097", "https://www.orcid.org/0000-0002-1825-0097/",
                                     "orcid:0000-0002-1825-0097"])
def test_an_orcid_in_every_shape_is_the_bare_id(written):
    paper, problems = entry(GOOD.replace("orcid: 0000-0002-1825-0097", f"orcid: {written!r}"))
    assert problems == [] and paper.authors[1].orcid == "0000-0002-1825-0097"
