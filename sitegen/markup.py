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
# since each page has one h1 and abstracts sit below h2s.
ABSTRACT_TAGS = (frozenset(nh3.ALLOWED_TAGS) - {"h1", "h2", "center", "map", "area"})
ABSTRACT_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https"}

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
        clean = nh3.clean(_markdown().reset().convert(text), tags=set(ABSTRACT_TAGS),
                          attributes=ABSTRACT_ATTRIBUTES, url_schemes=URL_SCHEMES,
                          link_rel="noopener noreferrer nofollow", strip_comments=True)
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
_WORD = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_CJK_CHARACTER = re.compile(f"[{_CJK}]")


def _end_of_word(text: str, start: int, end: int, count: int) -> int | None:
    """Where the `count`-th word of text[start:end] ends, if it has that many (the
    matches are skipped in C, not in a Python loop)."""
    if count <= 0:
        return start
    found = next(islice(_WORD.finditer(text, start, end), count - 1, None), None)
    return None if found is None else found.end()


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
            cut = _end_of_word(fragment, token.start(), token.end(), left)
            if cut is None:
                left -= len(_WORD.findall(token.group()))
                continue
            rest = chain((fragment[cut:token.end()],), (t.group() for t in tokens if t.group(2) is None))
            if not any(text.strip() for text in rest):  # nothing left to leave out
                return fragment
            ellipsis = "&hellip;" if _CJK_CHARACTER.match(fragment, cut - 1) else " &hellip;"
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
