"""Titles and abstracts → safe HTML (Markdown, MathML math) and readable plain text.

Math is cut out before Markdown sees it (so `a_1 * b_2` is not emphasis), converted
to MathML at build time, sanitised, and put back. All HTML that reaches a page goes
through nh3, so nothing a content file says can run script in a reader's browser.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, islice
from urllib.parse import quote

import nh3
from markupsafe import Markup

MATHML_TAGS = frozenset({
    "math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace",
    "mfrac", "msqrt", "mroot", "msup", "msub", "msubsup", "mover", "munder", "munderover",
    "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom", "menclose", "merror",
    "mmultiscripts", "mprescripts", "none",
})
MATHML_ATTRIBUTES = {
    "math": {"display"},
    "mo": {"stretchy", "fence", "separator", "lspace", "rspace", "form", "largeop", "movablelimits",
           "accent", "minsize", "maxsize", "symmetric"},
    "mover": {"accent"},
    "munder": {"accentunder"},
    "mfrac": {"linethickness"},
    "mspace": {"width", "height", "depth"},
    "mpadded": {"width", "height", "depth", "lspace", "voffset"},
    "mstyle": {"displaystyle", "scriptlevel", "mathvariant"},
    "mtable": {"columnalign", "rowspacing", "columnspacing"},
    "mtd": {"columnalign", "columnspan", "rowspan"},
    "menclose": {"notation"},
    "mi": {"mathvariant"},
    "mn": {"mathvariant"},
    "mtext": {"mathvariant"},
}
# Abstracts may use Markdown's formatting, lists, links, code and images; not h1/h2,
# since each page has one h1 and abstracts sit below h2s. Nor elements HTML makes
# obsolete (center, acronym, strike, tt) or requires an attribute of that the
# sanitiser does not keep (map's name, area's alt, bdo's dir, data's value, time's
# datetime): their text stays, the element would be invalid on every page showing it.
ABSTRACT_TAGS = (frozenset(nh3.ALLOWED_TAGS)
                 - {"h1", "h2", "center", "acronym", "strike", "tt", "map", "area", "bdo", "data", "time"})
ABSTRACT_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "col": {"span"},
    "colgroup": {"span"},
}
URL_SCHEMES = {"http", "https"}
# Numbers HTML allows in the attributes abstracts keep: (least, most), None for no bound.
_NUMBER_ATTRIBUTES = {"colspan": (1, 1000), "rowspan": (0, 65534), "span": (1, 1000), "width": (0, None),
                      "height": (0, None), "start": (None, None)}
_INTEGER = re.compile("-?[0-9]+")
# A character a URL may not hold as written (HTML's URL syntax: spaces, quotes, `<>[]{}|^\``,
# a backslash, controls) or a '%' that begins no escape. The sanitiser lets them through;
# they are written percent-encoded, as a browser sends them.
_URL_UNWRITABLE = re.compile("[^A-Za-z0-9!$&'()*+,\\-./:;=?@_~%#\u00a0-\ud7ff\ue000-\ufdcf\ufdf0-\ufffd"
                             "\U00010000-\U0010fffd]|%(?![0-9A-Fa-f]{2})")
_AUTHORITY = re.compile("(?:[A-Za-z][A-Za-z0-9+.-]*:)?//[^/?#]*")  # its [] (an IPv6 host) are allowed


_SENTINEL = re.compile("[\ue000\ue001]")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_TEXT_ESCAPE = re.compile(
    r"""\\(?:["'`^~=.](?:\{\\?[A-Za-z]?\}|\\[ij](?![A-Za-z])|[A-Za-z])"""
    r"""|[uvHckrdbt](?:\{\\?[A-Za-z]?\}|\s+[A-Za-z](?![A-Za-z]))"""
    r"""|(?:ss|o|O|ae|AE|oe|OE|aa|AA|l|L|i|j)(?![A-Za-z])(?:\{\}|[ \t](?=[A-Za-z]))?"""
    r"""|[&%$#_{}])"""
)
_DASHES = (("---", "\u2014"), ("--", "\u2013"))
_MATH_OR_ESCAPE = re.compile(r"[$\\]")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
logging.getLogger("pylatexenc").setLevel(logging.ERROR)  # bad TeX is reported as a build warning


@dataclass(frozen=True)
class Rendered:
    """What pages and feeds show of a title or an abstract."""

    html: Markup
    text: str
    warnings: tuple[str, ...] = ()
    excerpt: Markup | None = None  # an abstract's first words, for listing cards


def split_math(source: str) -> list[tuple[str, str]]:
    """Split text into ('text'|'inline'|'display', piece) parts.

    `$$...$$` is display math. `$...$` is inline math when the opening `$` is not
    followed by a space and the closing one is not preceded by a space nor followed
    by a digit, so prices such as "$5 and $10" stay text. `\\$` is a dollar sign.
    """
    if "$" not in source:
        return [("text", source)] if source else []
    parts: list[tuple[str, str]] = []
    text: list[str] = []
    i, n = 0, len(source)
    while i < n:
        special = _MATH_OR_ESCAPE.search(source, i)
        if special is None:
            text.append(source[i:])
            break
        if special.start() > i:  # a run of plain text, as is
            text.append(source[i:special.start()])
            i = special.start()
        ch = source[i]
        if ch == "\\" and i + 1 < n:
            text.append(source[i:i + 2])
            i += 2
            continue
        if ch == "$":
            if source.startswith("$$", i):
                end = _find_closing(source, i + 2, "$$")
                if end != -1 and source[i + 2:end].strip():
                    _flush(parts, text)
                    parts.append(("display", source[i + 2:end].strip()))
                    i = end + 2
                    continue
            else:
                end = _find_inline_end(source, i + 1)
                if end != -1:
                    _flush(parts, text)
                    parts.append(("inline", source[i + 1:end]))
                    i = end + 1
                    continue
        text.append(ch)
        i += 1
    _flush(parts, text)
    return parts


def _flush(parts, text):
    if text:
        parts.append(("text", "".join(text)))
        text.clear()


def _find_closing(source: str, start: int, token: str) -> int:
    i = start
    while True:
        j = source.find(token, i)
        if j == -1:
            return -1
        if source[j - 1] != "\\":
            return j
        i = j + 1


def _find_inline_end(source: str, start: int) -> int:
    if start >= len(source) or source[start].isspace() or source[start] == "$":
        return -1
    i = start
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "\n" and source.startswith("\n", i + 1):
            return -1  # math does not span paragraphs
        if ch == "$":
            if source[i - 1].isspace() or (i + 1 < len(source) and source[i + 1].isdigit()):
                return -1
            return i
        i += 1
    return -1


def latex_text(source: str, dashes: bool = True) -> str:
    """LaTeX text escapes (`H\\"older`, `\\'e`, `\\ss`, `--`) as the characters they mean.

    Only escape sequences are converted; everything else (`%`, `~`, braces) stays as
    written, since abstracts are Markdown, not LaTeX.
    """
    def convert(piece: str) -> str:
        if "\\" in piece:
            piece = _TEXT_ESCAPE.sub(lambda m: _escaped_character(m.group(0)), piece)
        if dashes and "--" in piece:
            for token, char in _DASHES:
                piece = piece.replace(token, char)
        return piece

    if "`" not in source:
        return convert(source)
    out, last = [], 0
    for match in _CODE_SPAN.finditer(source):
        out.append(convert(source[last:match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(convert(source[last:]))
    return "".join(out)


@lru_cache(maxsize=1024)  # a few hundred escapes exist; pylatexenc takes a millisecond per call
def _escaped_character(escape: str) -> str:
    return _latex_text().latex_to_text(escape)


def _balanced(tex: str) -> bool:
    depth = 0
    for index, ch in enumerate(tex):
        if ch in "{}" and index and tex[index - 1] == "\\":
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


@lru_cache(maxsize=4096)
def math_to_mathml(tex: str, display: bool) -> str | None:
    if not _balanced(tex):
        return None
    try:
        from latex2mathml.converter import convert as latex_to_mathml  # imported when first needed
        mathml = latex_to_mathml(tex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds of error on bad input
        return None
    return nh3.clean(mathml, tags=set(MATHML_TAGS), attributes=MATHML_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, strip_comments=True)


@lru_cache(maxsize=4096)
def math_to_text(tex: str) -> str:
    """Readable text of a formula: `O(n \\log n)` → 'O(n log n)', `\\alpha` → 'α'."""
    try:
        # A macro swallows the space after it; an empty group keeps that space.
        text = _latex_text().latex_to_text(re.sub(r"(\\[A-Za-z]+)(\s+)", r"\1{}\2", tex))
    except Exception:
        return tex
    return " ".join(text.split())


def _math_html(kind: str, tex: str, warnings: list[str]) -> str:
    mathml = math_to_mathml(tex, kind == "display")
    if mathml is None:
        warnings.append(f"could not convert math ${tex}$; shown as written")
        delimiter = "$$" if kind == "display" else "$"
        return f'<code class="math-source">{html.escape(delimiter + tex + delimiter)}</code>'
    return mathml


def render_title(source: str) -> Rendered:
    """A title: plain text with inline math and LaTeX escapes; no Markdown."""
    warnings: list[str] = []
    pieces, text = [], []
    for kind, piece in split_math(_SENTINEL.sub("", source)):
        if kind == "text":
            converted = latex_text(piece)
            pieces.append(html.escape(converted, quote=False))
            text.append(converted)
        else:
            converted = _math_html("inline", piece, warnings)
            pieces.append(converted)
            text.append(math_to_text(piece) if "math-source" not in converted else f"${piece}$")
    return Rendered(Markup("".join(pieces)), " ".join("".join(text).split()), tuple(warnings))


# Markdown, MathML and LaTeX-to-text are imported when a text first needs them: a
# rebuild that renders no text (most of them) does not pay for loading them.
@lru_cache(maxsize=1)
def _markdown():
    import markdown
    return markdown.Markdown(extensions=["smarty", "sane_lists"], output_format="html")


def renderers_loaded() -> bool:
    """Whether this process has rendered a text before. The first text pays for
    importing and setting up Markdown and latex2mathml: 0.15 s, a hundred texts' worth."""
    return _markdown.cache_info().currsize > 0


@lru_cache(maxsize=1)
def _latex_text():
    from pylatexenc.latex2text import LatexNodes2Text
    return LatexNodes2Text()


# Prose with nothing Markdown (or its smart punctuation) would change: no markup
# characters, quotes, dashes, ellipses, entities, indents, list or heading starts.
_PLAIN_CHARACTERS = re.compile("[\\w \n,.;:?()/%=+\\-\ue000\ue001]*")
# The same characters within ASCII, which most abstracts are: deleting them with
# bytes.translate and finding nothing left took a sixth of the pattern's time.
_PLAIN_ASCII = bytes(c for c in range(128) if _PLAIN_CHARACTERS.fullmatch(chr(c)))
_PARAGRAPH_BREAK = re.compile("\n\n+")


def _plain_characters_only(text: str) -> bool:
    if text.isascii():
        return not text.encode().translate(None, _PLAIN_ASCII)
    return _PLAIN_CHARACTERS.fullmatch(text) is not None


def _plain_paragraphs(text: str) -> list[str] | None:
    """The paragraphs of plain prose, or None if Markdown could make anything else of
    the text. Most abstracts are plain prose, and Markdown takes a millisecond each to
    find that out. Every check is a scan in C: a regular expression with anchors in
    multi-line mode cost more than the rest of the shortcut."""
    if ("_" in text or "--" in text or ".." in text or "  " in text or " \n" in text or text.endswith(" ")
            or not _plain_characters_only(text)):
        return None
    for line in text.split("\n"):
        if line and (line[0] in " -+=" or line[0].isdecimal()):  # an indent, a list, a heading underline
            return None
    return [paragraph for paragraph in _PARAGRAPH_BREAK.split(text.strip("\n")) if paragraph]


def paragraphs_html(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


def _paragraphs_text(paragraphs: list[str], plain_maths: list[str]) -> str | None:
    """What html_to_text makes of plain paragraphs' HTML, without parsing it (nh3 took a
    tenth of a full build's texts stage); None where that could differ: a formula alone
    in its paragraph (its HTML is no paragraph), or a formula's text holding markup."""
    if plain_maths:
        if any(_PLACEHOLDER.fullmatch(paragraph) for paragraph in paragraphs) \
                or any("<" in m or "&" in m or "\r" in m or "\0" in m for m in plain_maths):
            return None
        paragraphs = [_PLACEHOLDER.sub(lambda m: plain_maths[int(m.group(1))], p) for p in paragraphs]
    return "\n\n".join(joined for joined in (" ".join(p.split()) for p in paragraphs) if joined)


def sanitise(fragment: str) -> str:
    """An abstract's HTML with nothing that could run script, and nothing the sanitiser's
    removals would leave invalid on the pages that show it."""
    clean = nh3.clean(fragment, tags=set(ABSTRACT_TAGS), attributes=ABSTRACT_ATTRIBUTES,
                      attribute_filter=_attribute_value, url_schemes=URL_SCHEMES,
                      link_rel="noopener noreferrer nofollow", strip_comments=True)
    return _repair_links_and_images(clean) if "<a" in clean or "<img" in clean else clean


def _attribute_value(element: str, attribute: str, value: str) -> str | None:
    """A kept attribute's value as HTML allows it, or None to drop the attribute: a URL
    percent-encoded where it must be, a number within HTML's bounds. Called by nh3
    after its URL checks, so nothing here may make a refused URL of an allowed one
    (percent-encoding cannot: it never makes a scheme)."""
    if attribute == "href" or attribute == "src":
        return _writable_url(value) if value.strip() or attribute == "href" else None
    bounds = _NUMBER_ATTRIBUTES.get(attribute)
    if bounds is None:
        return value
    if not _INTEGER.fullmatch(value.strip()):
        return None
    number, (least, most) = int(value), bounds
    return None if (least is not None and number < least) or (most is not None and number > most) else str(number)


def _writable_url(url: str) -> str:
    """`url` as HTML's URL syntax allows it to be written: without surrounding spaces,
    with what it may not hold after its host percent-encoded (a second '#' too)."""
    url = url.strip(" \t\n\f\r")
    head, hash_sign, fragment = url.partition("#")
    if "#" not in fragment and not _URL_UNWRITABLE.search(url):
        return url
    authority = _AUTHORITY.match(head)
    start = authority.end() if authority else 0

    def encode(text: str) -> str:
        return _URL_UNWRITABLE.sub(lambda m: quote(m.group(), safe=""), text)

    return head[:start] + encode(head[start:]) + hash_sign + encode(fragment).replace("#", "%23")


# nh3 writes every tag's attributes quoted, with '<' and '>' in them escaped.
_LINK_OR_IMAGE_TAG = re.compile(r"<(/?)(a|img)(\s[^>]*)?>")
_SOURCE = re.compile(r'\ssrc="[^"]')
_ALT = re.compile(r'\salt="([^"]*)"')


def _repair_links_and_images(fragment: str) -> str:
    """An `a` whose address the sanitiser refused (or that had none) becomes its text: a
    link to nowhere is no link, and HTML forbids the `rel` the sanitiser gives every `a`
    on one without `href`. An `img` without a source becomes its alternative text, what a
    browser shows of an image it cannot load; one without `alt` gets an empty one, as
    Markdown's `![](...)` writes it (HTML requires it)."""
    kept: list[bool] = []  # for each `a` open at this point, whether it stays

    def repair(tag: re.Match) -> str:
        closing, name, attributes = tag.group(1), tag.group(2), tag.group(3) or ""
        if name == "a":
            if closing:
                return tag.group() if not kept or kept.pop() else ""
            kept.append(' href="' in attributes)
            return tag.group() if kept[-1] else ""
        if not _SOURCE.search(attributes):
            alt = _ALT.search(attributes)
            return alt.group(1) if alt else ""
        return tag.group() if _ALT.search(attributes) else f'<img{attributes} alt="">'

    return _LINK_OR_IMAGE_TAG.sub(repair, fragment)


# Spaces between a display formula and the text around it: the formula goes on a
# line of its own, and they would otherwise end or indent the paragraphs beside it.
_DISPLAY_SPACING = re.compile("[ \t]*(\n\n\ue000\\d+\ue001\n\n)[ \t]*")
_DISPLAY_PARAGRAPH = re.compile("<p>(\ue000\\d+\ue001)</p>")


def render_abstract(source: str) -> Rendered:
    """An abstract: Markdown with math, sanitised; and its plain text for feeds."""
    warnings: list[str] = []
    maths: list[str] = []
    plain_maths: list[str] = []
    md_source = []
    for kind, piece in split_math(_SENTINEL.sub("", source)):
        if kind == "text":
            md_source.append(latex_text(piece, dashes=False))
        else:
            converted = _math_html(kind, piece, warnings)
            maths.append(converted)
            plain_maths.append(math_to_text(piece) if "math-source" not in converted else piece)
            token = f"\ue000{len(maths) - 1}\ue001"
            md_source.append(f"\n\n{token}\n\n" if kind == "display" else token)
    text = "".join(md_source)
    if "\n\n\ue000" in text:
        text = _DISPLAY_SPACING.sub(r"\1", text)
    paragraphs = _plain_paragraphs(text)
    plain_text = None if paragraphs is None else _paragraphs_text(paragraphs, plain_maths)
    if paragraphs is None:
        clean = sanitise(_markdown().reset().convert(text))
    else:  # nothing in plain prose for nh3 to remove or escape (test_markup checks it)
        clean = paragraphs_html(paragraphs)
    # A display formula alone in a paragraph becomes a block of its own.
    clean = _DISPLAY_PARAGRAPH.sub(r"\1", clean)
    rendered = _PLACEHOLDER.sub(lambda m: maths[int(m.group(1))], clean) if maths else clean
    if plain_text is None:
        plain = _PLACEHOLDER.sub(lambda m: plain_maths[int(m.group(1))], clean) if maths else clean
        plain_text = html_to_text(plain)
    short = excerpt_html(clean)  # with formulas still placeholders, so none is cut
    if short == clean:
        short = rendered
    elif maths:
        short = _PLACEHOLDER.sub(lambda m: maths[int(m.group(1))], short)
    return Rendered(Markup(rendered), plain_text, tuple(warnings), Markup(short))


# Listing cards (author, topic, week and month pages) show an abstract's first words,
# as the researcher profile this theme follows does and as Pelican's and Hugo's
# summaries do; the paper's and the day's pages show it whole.
EXCERPT_WORDS = 40
_TAG = r"""<(/?)([a-zA-Z][a-zA-Z0-9-]*)(?:[^>"']|"[^"]*"|'[^']*')*>"""
_TAG_OR_TEXT = re.compile(_TAG + "|[^<]+")
_VOID_TAGS = frozenset({"area", "br", "col", "hr", "img", "wbr"})
# Chinese and Japanese put no spaces between words: each of their characters (and
# punctuation marks) counts as a word, as Hugo's hasCJKLanguage and Jekyll's
# number_of_words: cjk count them. Korean spaces its words.
_CJK = ("\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
        "\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f")
# Marks that belong to the character before them (accents, kana voicing marks,
# variation selectors, joiners): a cut never falls before one.
_MARKS = ("\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u200c\u200d\u20d0-\u20ff\u3099\u309a"
          "\ufe00-\ufe0f\ufe20-\ufe2f\U0001f3fb-\U0001f3ff\U000e0100-\U000e01ef")
_WORD = re.compile(rf"[{_CJK}][{_MARKS}]*|[^\s{_CJK}]+")
_CJK_CHARACTER = re.compile(f"[{_CJK}]")


def _nth_word(text: str, start: int, end: int, count: int) -> re.Match | None:
    """The `count`-th word of text[start:end], if it has that many (the matches are
    skipped in C, not in a Python loop)."""
    return next(islice(_WORD.finditer(text, start, end), count - 1, None), None)


_MARK = re.compile(f"[{_MARKS}\udc00-\udfff]")  # and a lone low surrogate: the second half of a pair


def shorten(text: str, limit: int) -> str:
    """Plain `text` if it has at most `limit` characters, else its opening up to the end
    of the last whole word that fits, marked with an ellipsis: " …" after a word, "…"
    straight after a Chinese or Japanese character (each is a word of its own, as in
    `excerpt_html`). Only a text whose first word alone is longer than the limit (a
    long URL) is cut inside a word, and then never inside a character's combining
    sequence or a surrogate pair."""
    if len(text) <= limit:
        return text
    space = max(text.rfind(" ", 0, limit + 1), text.rfind("\n", 0, limit + 1))
    if space > limit // 2 and (text.isascii() or not _CJK_CHARACTER.search(text, space, limit + 1)):
        return text[:space].rstrip() + " \u2026"  # most texts: no word after the last space fits
    last = None
    for word in _WORD.finditer(text, 0, limit + 1):
        if word.end() <= limit and not _joined(text, word.end()):  # one ending at limit + 1 may go on
            last = word
    if last is not None:
        return text[:last.end()] + ("\u2026" if _CJK_CHARACTER.match(last.group()) else " \u2026")
    cut = limit
    while cut > 0 and _joined(text, cut):
        cut -= 1
    return text[:cut] + "\u2026"


def _joined(text: str, at: int) -> bool:
    """Whether text[at] belongs with the character before it: a mark, a surrogate pair's
    second half, or what a joiner joins."""
    return bool(_MARK.match(text, at)) or (text[at - 1] == "\u200d" and not text[at].isspace())


def excerpt_html(fragment: str, words: int = EXCERPT_WORDS) -> str:
    """The first `words` words of well-formed (sanitised) HTML, with the elements open
    at the cut closed and an ellipsis after the last word; `fragment` itself if it has
    no more. Tags count no words, a formula's placeholder is one word, never cut, and
    so is each Chinese or Japanese character."""
    open_tags: list[str] = []
    left = words
    tokens = _TAG_OR_TEXT.finditer(fragment)
    for token in tokens:
        closing, name = token.group(1), token.group(2)
        if name is None:
            last = _nth_word(fragment, token.start(), token.end(), left) if left > 0 else None
            if last is None and left > 0:
                left -= len(_WORD.findall(token.group()))
                continue
            cut = last.end() if last else token.start()
            rest = chain((fragment[cut:token.end()],), (t.group() for t in tokens if t.group(2) is None))
            if not any(text.strip() for text in rest):  # nothing left to leave out
                return fragment
            ellipsis = "&hellip;" if last and _CJK_CHARACTER.match(last.group()) else " &hellip;"
            return fragment[:cut] + ellipsis + "".join(f"</{tag}>" for tag in reversed(open_tags))
        name = name.lower()
        if closing:
            if open_tags and open_tags[-1] == name:
                open_tags.pop()
        elif name not in _VOID_TAGS and not token.group().endswith("/>"):
            open_tags.append(name)
    return fragment


_URL_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)"')


def rebase_urls(fragment: str, base_path: str) -> str:
    """Relative URLs in content point into the site (e.g. static/ files), so that
    one abstract works on every page that shows it: 'fig.png' → '/repo/fig.png'."""
    if 'href="' not in fragment and 'src="' not in fragment:  # most abstracts link nothing
        return fragment
    def rebase(match: re.Match) -> str:
        url = match.group(2)
        if not url or url.startswith(("#", "/")) or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", url):
            return match.group(0)
        return f'{match.group(1)}{base_path}{url.removeprefix("./")}"'
    return _URL_ATTRIBUTE.sub(rebase, fragment)


def site_url(url: str, base_path: str) -> str:
    """A content URL (link or thumbnail): absolute and root-relative ones as is, others under base_path."""
    if url.startswith(("/", "#")) or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        return url
    return base_path + url.removeprefix("./")


def html_to_text(fragment: str) -> str:
    stripped = nh3.clean(re.sub(r"</(p|li|h\d|blockquote|pre)>", r"</\1>\n\n", fragment), tags=set())
    text = html.unescape(stripped)
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def plain_text(source: str) -> str:
    """Readable text of a LaTeX-flavoured string (names, venues) for feeds and titles."""
    return render_title(source).text
