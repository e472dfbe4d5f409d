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
        assert markup.paragraphs_html(fast) == markup._markdown().reset().convert(text)


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


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_ascii_text_is_plain_by_the_pattern_s_characters(text):
    assert markup._plain_characters_only(text) == (markup._PLAIN_CHARACTERS.fullmatch(text) is not None)


def test_plain_prose_takes_the_shortcut():
    assert markup._plain_paragraphs("We show that models (e.g. ours) scale.\n\nSecond, 3.5% better.") == \
        ["We show that models (e.g. ours) scale.", "Second, 3.5% better."]
    assert markup._plain_paragraphs("Before\n\n\ue0000\ue001\n\nafter.") == ["Before", "\ue0000\ue001", "after."]
    for marked in ("a -- b", "it's", "*x*", "a_b", "1. item", "- item", "    code", "wait...", "a  \nb", "x &amp; y"):
        assert markup._plain_paragraphs(marked) is None


def _words_and_tags(fragment):
    """(visible words, tag names opened and closed in order) of well-formed HTML."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.text, self.stack, self.balanced = [], [], True

        def handle_starttag(self, tag, attrs):
            if tag not in ("img", "br", "hr", "wbr", "area", "col"):
                self.stack.append(tag)

        def handle_endtag(self, tag):
            self.balanced &= bool(self.stack) and self.stack.pop() == tag

        def handle_data(self, data):
            self.text.append(data)

    reader = Reader()
    reader.feed(fragment)
    reader.close()
    return " ".join(reader.text).split(), reader.balanced and not reader.stack


def test_excerpt_keeps_the_first_words_and_closes_what_it_cut():
    long = "We *show* that " + " ".join(f"w{i}" for i in range(60)) + " end."
    rendered = render_abstract(long)
    words, balanced = _words_and_tags(rendered.excerpt)
    assert balanced and len(words) == markup.EXCERPT_WORDS + 1 and words[-1] == "…"
    assert words[:-1] == _words_and_tags(rendered.html)[0][:markup.EXCERPT_WORDS]
    assert markup.excerpt_html("<p>a <em>b c d</em> e</p><p>f</p>", 2) == "<p>a <em>b &hellip;</em></p>"
    assert markup.excerpt_html('<p>a <a href="x>y">b c</a></p>', 2) == '<p>a <a href="x>y">b &hellip;</a></p>'


def test_excerpt_of_a_short_abstract_is_the_abstract():
    for source in ("One line.", "a b\n\nc d", " ".join(["w"] * markup.EXCERPT_WORDS)):
        rendered = render_abstract(source)
        assert rendered.excerpt == rendered.html
    assert markup.excerpt_html("<p>a b</p><p>c</p>\n", 3) == "<p>a b</p><p>c</p>\n"  # nothing after the third word


def test_excerpt_never_cuts_a_formula():
    source = " ".join(["word"] * (markup.EXCERPT_WORDS - 1)) + " $\\sum_{i=1}^{n} x_i^2 + y$ and more words here."
    excerpt = render_abstract(source).excerpt
    assert excerpt.count("<math") == excerpt.count("</math>") == 1
    assert excerpt.endswith("</math> &hellip;</p>")


def test_excerpt_counts_each_chinese_or_japanese_character_as_a_word():
    chinese = "大型语言模型在许多任务上表现出色，但其推理能力仍然有限。我们提出了一种新的方法来提高模型的推理能力。"
    excerpt = render_abstract(chinese).excerpt
    assert excerpt == f"<p>{chinese[:markup.EXCERPT_WORDS]}&hellip;</p>"  # no space before the ellipsis
    assert markup.excerpt_html("<p>We study 大型语言模型 here</p>", 4) == "<p>We study 大型&hellip;</p>"
    assert markup.excerpt_html("<p>日本語の<em>テキスト</em>です</p>", 5) == "<p>日本語の<em>テ&hellip;</em></p>"
    korean = "대규모 언어 모델은 많은 작업에서 뛰어난 성능을 보인다"  # Korean spaces its words
    assert markup.excerpt_html(f"<p>{korean}</p>", 3) == "<p>대규모 언어 모델은 &hellip;</p>"


@settings(max_examples=500, deadline=None)
@given(_ABSTRACT, st.integers(min_value=0, max_value=12))
def test_excerpt_is_well_formed_and_a_prefix_of_the_abstract(source, count):
    html = str(render_abstract(source).html)
    excerpt = markup.excerpt_html(html, count)
    words, balanced = _words_and_tags(excerpt)
    full, _ = _words_and_tags(html)
    assert balanced
    if excerpt == html:
        assert len(full) <= count or count == 0 and not words
    else:  # the ellipsis follows a Chinese or Japanese character without a space
        shown = " ".join(words)
        assert shown.endswith("…")
        assert " ".join(full).startswith(shown[:-1].rstrip())
