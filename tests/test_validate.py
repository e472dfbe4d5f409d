import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given, strategies as st

from sitegen.sources import RawEntry, parse_yaml
from sitegen.validate import check_duplicate_ids, clean_text, url_problem, validate_entry, validate_profiles

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
