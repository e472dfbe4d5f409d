"""BibTeX values: escaping, names, and the shortcuts that must give what the long way gives."""

from hypothesis import given
from hypothesis import strategies as st

from sitegen.formats import bibtex

# Every character str.split() treats as a break, ASCII and beyond, beside ordinary text.
_BREAKS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000"


@given(st.text(alphabet=st.sampled_from(_BREAKS) | st.characters(max_codepoint=0x2FFF)))
def test_single_spacing_is_split_and_join(text):
    assert bibtex._single_spaced(text) == " ".join(text.split())


def test_escape_collapses_every_kind_of_break():
    assert bibtex.escape(" a\tb\n\nc\x1fd  e ") == "a b c d e"
    assert bibtex.escape("50% of A_1 & B") == r"50\% of A\_1 \& B"
    assert bibtex.escape("keep $a_1 \\& b$ math") == "keep $a_1 \\& b$ math"


def test_names_braced_when_bibtex_would_split_them():
    assert bibtex._name("Ada Lovelace") == "Ada Lovelace"
    assert bibtex._name("Plato") == "{Plato}"
    assert bibtex._name("Smith, Jr") == "{Smith, Jr}"
    assert bibtex._name("Research and Development Team") == "{Research and Development Team}"
    assert bibtex._name("Alexandra Anderson") == "Alexandra Anderson"  # "and" inside a word



def _validated(links: str):
    from sitegen.content.sources import RawEntry
    from sitegen.yamlfile import parse_yaml
    from sitegen.content.validate import validate_entry

    text = ("id: x1\ntitle: Monarch\nauthors: [Tri Dao]\nabstract: Text.\npublished: 2022-03-01\n"
            "links:\n" + links)
    data, _ = parse_yaml(text, "content/a.yaml")
    paper, problems = validate_entry(RawEntry("content/a.yaml", data.line, data, None))
    assert problems == []
    return paper


def _fields(text: str) -> dict:
    import bibtexparser

    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    [entry] = library.entries
    return {name: field.value for name, field in entry.fields_dict.items()}


def test_an_entry_with_bare_identifiers_carries_the_bare_doi_and_the_arxiv_id_and_link():
    paper = _validated("  arxiv: 'arXiv:2203.00555v2'\n  doi: 10.48550/arXiv.2203.00555\n")
    fields = _fields(bibtex.entry(paper, "dao2022monarch"))
    assert fields["doi"] == "10.48550/arXiv.2203.00555"
    assert fields["eprint"] == "2203.00555v2" and fields["archiveprefix"] == "arXiv"
    assert fields["url"] == "https://arxiv.org/abs/2203.00555v2"


def test_old_style_arxiv_ids_are_eprints():
    paper = _validated("  arxiv: arXiv:math.GT/0309136\n")
    assert bibtex.arxiv_id(paper) == "math.GT/0309136"
    assert _fields(bibtex.entry(paper, "k"))["eprint"] == "math.GT/0309136"


def test_the_doi_and_url_are_verbatim_and_cannot_end_the_field():
    paper = _validated("  doi: 'https://doi.org/10.1002/a_b%3Cc%3E%25{x'\n")
    fields = _fields(bibtex.entry(paper, "k"))
    assert fields["doi"] == "10.1002/a_b<c>%%7Bx"  # '_' and '%' as in the DOI; the lone brace encoded
    paper = _validated("  project: 'https://example.org/a_b%20c#x'\n")
    assert _fields(bibtex.entry(paper, "k"))["url"] == "https://example.org/a_b%20c#x"


def test_arxiv_ids_of_abstract_and_pdf_links():
    from sitegen.content.identifiers import arxiv_id_of_link

    assert arxiv_id_of_link("https://arxiv.org/pdf/2203.00555v2.pdf") == "2203.00555v2"
    assert arxiv_id_of_link("http://export.arxiv.org/abs/hep-th/9901001/") == "hep-th/9901001"
    assert arxiv_id_of_link("https://arxiv.org/abs/2203.00555?context=cs") == "2203.00555"
    assert arxiv_id_of_link("https://example.org/abs/2203.00555") is None
    assert arxiv_id_of_link("arXiv:2203.00555") == "2203.00555"
