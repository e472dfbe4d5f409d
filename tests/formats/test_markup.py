from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.formats import markup
from sitegen.formats.markup import latex_text, render_abstract, render_title, split_math


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


# --- what the sanitiser's removals leave behind ----------------------------------------

def _elements(fragment):
    """(tag, attributes) of every start tag in an HTML fragment."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.found = []

        def handle_starttag(self, tag, attrs):
            self.found.append((tag, dict(attrs)))

    reader = Reader()
    reader.feed(fragment)
    reader.close()
    return reader.found


def test_a_link_whose_address_is_refused_becomes_its_text():
    html = str(render_abstract("See [the code](javascript:alert(1)), <a href='mailto:a@b.org' title='t'>mail us</a>"
                               " or [the site](https://example.org/) and <a name=x>an anchor</a>.").html)
    assert html == ('<p>See the code, mail us or <a href="https://example.org/" rel="noopener noreferrer nofollow">'
                    'the site</a> and an anchor.</p>')


def test_an_image_without_a_source_becomes_its_alternative_text():
    html = str(render_abstract('![a plot](javascript:alert(1)) <img src="data:image/png;base64,AA" alt="a &amp; b">'
                               ' <img src="" alt="empty"> <img alt="none"> <img src="fig.png">').html)
    assert html == '<p>a plot a &amp; b empty none <img src="fig.png" alt=""></p>'


def test_links_in_links_and_images_in_refused_links():
    html = str(render_abstract('<a href="javascript:x"><img src="https://example.org/i.png" alt="i"></a> '
                               '<a href="https://example.org/"><img src="javascript:y" alt="inner"></a>').html)
    assert html == ('<p><img src="https://example.org/i.png" alt="i"> '
                    '<a href="https://example.org/" rel="noopener noreferrer nofollow">inner</a></p>')


def test_attribute_values_html_refuses_are_dropped_or_written_as_it_allows():
    html = str(render_abstract(
        '<table><tr><td colspan="0">a</td><td colspan="x" rowspan="-1">b</td><td colspan="2" rowspan="0">c</td>'
        '</tr></table>\n\n<ol start="x"><li>d</li></ol>\n\n<ol start="-2"><li>e</li></ol>\n\n'
        '<img src="f.png" alt="f" width="50%" height=" 007 ">').html)
    assert '<td>a</td><td>b</td><td colspan="2" rowspan="0">c</td>' in html
    assert "<ol><li>d</li></ol>" in html and '<ol start="-2"><li>e</li></ol>' in html
    assert '<img src="f.png" alt="f" height="7">' in html


def test_urls_are_written_as_html_allows_them():
    links = {'<a href="/a b">': "/a%20b", '<a href="%zz">': "%25zz", '<a href="x\\y">': "x%5Cy",
             '<a href="/\\evil.example/">': "/%5Cevil.example/", '<a href="https://x.org/#a#b">': "https://x.org/#a%23b",
             '<a href=" https://x.org/a[1]?q={2}|^` ">': "https://x.org/a%5B1%5D?q=%7B2%7D%7C%5E%60",
             '<a href="https://[::1]/é?ü#ö">': "https://[::1]/é?ü#ö", '<a href="">': ""}
    for source, href in links.items():
        found = _elements(str(render_abstract(f"{source}x</a>").html))
        assert found == [("p", {}), ("a", {"href": href, "rel": "noopener noreferrer nofollow"})], source


def test_elements_html_would_refuse_without_their_attributes_keep_only_their_text():
    source = ('<bdo dir="rtl">b</bdo> <data value="1">d</data> <time>t</time> <acronym>a</acronym> '
              '<strike>s</strike> <tt>tt</tt>')
    assert str(render_abstract(source).html) == "<p>b d t a s tt</p>"


_LINKS_AND_IMAGES = st.lists(st.one_of(_PROSE, st.sampled_from(
    ["[x](javascript:alert(1))", "[y](https://example.org/)", "![p](data:x)", "![q](fig.png)", "<img alt=n>",
     "<img src=''>", "<a>z</a>", "<a href=' '>s</a>", "<a href=javascript:1><b>w</b></a>", "<a href=/k>k</a>",
     "<table><tr><td><a href=javascript:2>t</a>", "<a href=mailto:m>", "</a>", "`<a>`", "$x$"])),
    max_size=8).map("".join)


@settings(max_examples=1000, deadline=None)
@given(_LINKS_AND_IMAGES)
def test_every_link_has_an_address_and_every_image_a_source_and_alt(source):
    rendered = render_abstract(source)
    for fragment in (rendered.html, rendered.excerpt):
        for tag, attributes in _elements(str(fragment)):
            if tag == "a":
                assert "href" in attributes, (source, fragment)
            if tag == "img":
                assert attributes.get("src") and "alt" in attributes, (source, fragment)


# --- shortened texts end after a whole word, marked ------------------------------------

def test_a_text_is_shortened_after_its_last_whole_word():
    assert markup.shorten("one two three", 13) == "one two three"
    assert markup.shorten("one two three four", 13) == "one two three …"  # 'three' ends at the limit
    assert markup.shorten("one two three four", 12) == "one two …"
    assert markup.shorten("first paragraph\n\nsecond one", 20) == "first paragraph …"


def test_a_long_word_is_left_out_whole():
    url = "https://example.org/" + "a" * 300
    assert markup.shorten(f"Data and code: {url} for all.", 280) == "Data and code: …"
    assert markup.shorten(url, 280) == url[:280] + "…"  # nothing but that word: cut inside it


def test_chinese_and_japanese_are_cut_after_a_character():
    chinese = "大型语言模型在许多任务上表现出色，但其推理能力仍然有限。" * 20
    assert markup.shorten(chinese, 280) == chinese[:280] + "…"
    mixed = "We study " + "大型语言模型" * 50
    assert markup.shorten(mixed, 20) == mixed[:20] + "…"


def test_a_cut_never_splits_a_character_from_its_marks():
    ivs = "葛\U000e0100"  # a Japanese name's glyph: the ideograph and its variation selector
    assert markup.shorten(ivs * 200, 281) == ivs * 140 + "…"
    accented = "e\u0301" * 200  # no composed form in the way: one word
    assert markup.shorten(accented, 281) == accented[:280] + "…"
    scientist = "\U0001f469\u200d\U0001f52c"  # woman, joiner, microscope: one emoji
    assert markup.shorten(scientist * 100, 280) == scientist * 93 + "…"


def test_an_excerpt_keeps_a_chinese_character_with_its_variation_selector():
    ivs = "葛\U000e0100"
    assert markup.excerpt_html(f"<p>{ivs * 50}</p>", 5) == f"<p>{ivs * 5}&hellip;</p>"
    assert markup.excerpt_html(f"<p>{'が' * 10} {'か' + chr(0x3099)}{'x' * 3}</p>", 11) == \
        f"<p>{'が' * 10} {'か' + chr(0x3099)}&hellip;</p>"


_TEXT = st.lists(st.one_of(st.sampled_from(list("ab \n") + ["中", "\u0301", "\U000e0100", "\u200d", "\U0001f52c",
                                                           "&amp;", ".", "ab" * 20]),
                           st.characters(blacklist_categories=("Cs",))), max_size=80).map("".join)


@settings(max_examples=3000, deadline=None)
@given(_TEXT, st.integers(min_value=1, max_value=60))
def test_a_shortened_text_is_an_opening_that_ends_after_a_whole_word(text, limit):
    short = markup.shorten(text, limit)
    if len(text) <= limit:
        assert short == text
        return
    assert short.endswith("…")
    kept = short[:-1].removesuffix(" ")
    assert text.startswith(kept) and len(kept) <= limit
    after = text[len(kept):]
    if kept and short.endswith(" …"):  # after a word: what follows starts another (or is space)
        assert after[:1].isspace() or markup._CJK_CHARACTER.match(after), (text, limit, short)
    if after and kept:  # nothing split from what was kept
        joined = kept.endswith("\u200d") and not after[:1].isspace()
        assert not markup._MARK.match(after) and not joined, (text, limit, short)
