from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import markup
from sitegen.markup import latex_text, render_abstract, render_title, split_math


def test_split_math():
    assert split_math(r"a $x$ b $$y$$ c") == [("text", "a "), ("inline", "x"), ("text", " b "),
                                             ("display", "y"), ("text", " c")]
    assert split_math("costs $5 and $10") == [("text", "costs $5 and $10")]
    assert split_math(r"a \$x\$ b") == [("text", r"a \$x\$ b")]


def _split_math_one_character_at_a_time(source):
    """The plain reading of split_math's rules, which skips runs of text for speed."""
    if "$" not in source:
        return [("text", source)] if source else []
    parts, text, i = [], [], 0
    while i < len(source):
        ch = source[i]
        if ch == "\\" and i + 1 < len(source):
            text.append(source[i:i + 2])
            i += 2
            continue
        if ch == "$":
            if source.startswith("$$", i):
                end = markup._find_closing(source, i + 2, "$$")
                if end != -1 and source[i + 2:end].strip():
                    markup._flush(parts, text)
                    parts.append(("display", source[i + 2:end].strip()))
                    i = end + 2
                    continue
            else:
                end = markup._find_inline_end(source, i + 1)
                if end != -1:
                    markup._flush(parts, text)
                    parts.append(("inline", source[i + 1:end]))
                    i = end + 1
                    continue
        text.append(ch)
        i += 1
    markup._flush(parts, text)
    return parts


@settings(max_examples=2000)
@given(st.text(alphabet="$\\ \nab1{}", max_size=40))
def test_split_math_skipping_text_runs_reads_like_one_character_at_a_time(source):
    assert split_math(source) == _split_math_one_character_at_a_time(source)


def test_latex_text_escapes():
    assert latex_text(r'H\"older and Schr\"{o}dinger, caf\'e, Stra\ss e') == "Hölder and Schrödinger, café, Straße"
    assert latex_text("pages 1--2 --- done, 85\\% and `--flag`") == "pages 1–2 — done, 85% and `--flag`"


def test_title_math_is_mathml_and_text_is_readable():
    title = render_title(r"Fast $O(n \log n)$ Hölder <b>bold</b>")
    assert "<math" in title.html and "<mi>O</mi>" in title.html
    assert "&lt;b&gt;" in title.html
    assert title.text.startswith("Fast O(n") and "$" not in title.text


def test_abstract_markdown_math_and_sanitising():
    out = render_abstract("We use $a_1 * b_2$ and **bold**.\n\n$$\\int_0^1 f$$\n\n"
                          "<script>alert(1)</script><img src=x onerror=alert(1)>"
                          "[x](javascript:alert(1)) <a href='https://ok.org' onclick='e()'>ok</a>")
    html = str(out.html)
    assert "<math" in html and 'display="block"' in html and "<strong>bold</strong>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html and "onclick" not in html
    assert 'href="https://ok.org"' in html
    assert "alert" not in out.text and "$" not in out.text


def test_bad_math_is_shown_as_source_with_a_warning():
    out = render_abstract(r"Broken $\frac{a$ formula")
    assert "math-source" in out.html and r"$\frac{a$" in str(out.html)
    assert out.warnings and "could not convert math" in out.warnings[0]


def test_mathml_text_cannot_smuggle_markup():
    out = render_abstract(r"$\text{<img src=x onerror=alert(1)>}$")
    assert "onerror" not in out.html and "<img" not in out.html


def test_headings_in_abstracts_do_not_add_h1():
    assert "<h1" not in render_abstract("# Big\n\ntext").html


# Plain prose skips Markdown; whatever takes that path must come out as Markdown makes it.
_PLAIN = list("ab1 \n\n,.;:?()/%=+-") + ["é", "中", "٣", "\ue000", "\ue001"]
_PROSE = st.one_of(st.text(alphabet=st.sampled_from(_PLAIN), max_size=40),
                   st.text(alphabet=st.sampled_from(_PLAIN + list("_*'\"#>`[]!&<\t\\\r\x02")), max_size=40))


@settings(max_examples=3000, deadline=None)
@given(_PROSE)
def test_plain_prose_shortcut_matches_markdown(text):
    fast = markup._plain_paragraphs(text)
    if fast is not None:
        assert markup._paragraphs_html(fast) == markup._markdown().reset().convert(text)


# Abstracts with math, escapes and Markdown around plain prose: the shortcut also
# skips nh3 and makes the plain text itself, so the whole rendering is compared.
_ABSTRACT = st.lists(st.one_of(_PROSE, st.sampled_from(
    ["$x^2$", "$$\\sum_i a_i$$", " $$y$$ ", "$a<b$", "$a \\& b$", "$\\alpha$-optimal", "\\'e", "H\\\"older",
     "\n\n", "  ", "--", "$$\\frac{1", "\\$5"])), max_size=8).map("".join)


@settings(max_examples=1500, deadline=None)
@given(_ABSTRACT)
def test_abstracts_render_the_same_with_and_without_the_shortcut(source):
    fast = render_abstract(source)
    with mock.patch.object(markup, "_plain_paragraphs", lambda text: None):
        slow = render_abstract(source)
    assert fast == slow


def test_plain_prose_takes_the_shortcut():
    assert markup._plain_paragraphs("We show that models (e.g. ours) scale.\n\nSecond, 3.5% better.") == \
        ["We show that models (e.g. ours) scale.", "Second, 3.5% better."]
    assert markup._plain_paragraphs("Before\n\n\ue0000\ue001\n\nafter.") == ["Before", "\ue0000\ue001", "after."]
    for marked in ("a -- b", "it's", "*x*", "a_b", "1. item", "- item", "    code", "wait...", "a  \nb", "x &amp; y"):
        assert markup._plain_paragraphs(marked) is None
