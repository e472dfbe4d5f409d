"""BibTeX values: escaping, names, and the shortcuts that must give what the long way gives."""

from hypothesis import given
from hypothesis import strategies as st

from sitegen import bibtex

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

