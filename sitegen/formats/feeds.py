"""RSS 2.0 feeds, sitemap.xml and robots.txt.

The XML is written as text, element by element, with ElementTree's escaping and
layout exactly (test_feeds.py compares every file with ElementTree's for hostile
strings): building and serialising an ElementTree cost more than the rest of a
feed, about a tenth of a 10,000-paper build. Text reaching here has no control
characters (validate.py removes them), so escaping is all it takes to stay
well-formed whatever the content says. Readers parse some elements again as HTML:
plain text goes there HTML-escaped as well (`html_field`, `title_field`), so what a
title, an abstract or a name says is shown, never run.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone
from email.utils import format_datetime
from functools import lru_cache
from typing import Iterable, Sequence

from sitegen.config import Config
from sitegen.lru import LRUCache
from sitegen.formats.shown import Memo, ShownPaper
from sitegen.formats.search import snippet

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_LIMIT = 50_000  # URLs per file, as sitemaps.org allows
# A collaboration paper sits in every member's feed; naming all its authors in
# each would make feeds grow with the square of the collaboration's size (10,000
# authors: 10^8 elements). Items name the first ones, the paper page names all.
FEED_AUTHOR_LIMIT = 100
DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
# ElementTree.indent's layout: each level on a line of its own, two spaces deeper.
LEVEL1, LEVEL2, LEVEL3 = "\n  ", "\n    ", "\n      "


@lru_cache(maxsize=4096)  # a listing day's papers share it: a few hundred days, 10,000 items
def rfc822(day: date) -> str:
    return format_datetime(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def _text(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})


# What each element of an item holds, as feed readers read it:
# - description (item and channel): HTML, by RSS 2.0 and by every reader, so plain text
#   placed there (an abstract's opening, a channel's description naming an author or a
#   topic) is HTML-escaped first: `html_field`.
# - title (item and channel): plain text by RSS 2.0, but feedparser and readers built on
#   it read a title that looks like HTML as HTML (`<b>` in a title shows bold). A title
#   HTML would read differently from its text is HTML-escaped; one that reads the same
#   either way (most: "Q&A", "a < b") is left as it is, so readers that keep to the
#   specification show it as written too: `title_field`.
# - dc:creator and category: plain text (Dublin Core, RSS 2.0), and readers take them
#   so (feedparser neither sniffs nor sanitises them), so they are XML-escaped only:
#   escaping them for HTML would show "&lt;" to every reader.
# - content:encoded: the abstract's sanitised HTML, links made absolute.
# Every feed writes its channel and items through `channel` and `item`, which put each
# field through these (the weekly digest, digest.py, as well).
_READS_AS_MARKUP = re.compile(r"<[A-Za-z/!?]")  # where an HTML parser starts a tag, comment or declaration


def html_field(text: str) -> str:
    """Plain text for an element readers read as HTML: shown as written, never as markup."""
    return html.escape(text, quote=False)


def title_field(text: str) -> str:
    """Plain text for a title: HTML-escaped when HTML would read it differently (a tag,
    a comment or a character reference in it), else as it is."""
    if ("<" in text and _READS_AS_MARKUP.search(text)) or ("&" in text and html.unescape(text) != text):
        return html.escape(text, quote=False)
    return text


def _attributes(attrs: dict[str, str]) -> str:
    return "".join(f' {name}="{value.translate(_ATTRIBUTE_ESCAPES)}"' for name, value in attrs.items())


def _leaf(indent: str, tag: str, text: str | None = None, **attrs: str) -> str:
    """An element without children on a line of its own; empty text makes `<tag />`."""
    head = tag + _attributes(attrs) if attrs else tag
    return f"{indent}<{head}>{_text(text)}</{tag}>" if text else f"{indent}<{head} />"


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "xmlcharrefreplace")  # a lone surrogate becomes a reference


def rss(config: Config, *, title: str, description: str, page_path: str, feed_path: str,
        papers: Sequence[ShownPaper], items: Memo | None = None) -> bytes:
    """An RSS 2.0 channel of papers; item dates come from listing days, so output is
    reproducible.

    A paper's item is the same in every feed that carries it, so `items` (a process's
    cache) makes each once.
    """
    if items is None:
        items = LRUCache()
    return channel(config, title=title, description=description, page_path=page_path, feed_path=feed_path,
                   last=max(p.day for p in papers) if papers else None,
                   items=[items.get_or_make(("rss-item", paper.id), lambda: _item(config, paper)) for paper in papers])


def channel(config: Config, *, title: str, description: str, page_path: str, feed_path: str,
            last: date | None, items: Iterable[bytes]) -> bytes:
    """An RSS 2.0 channel: the feed of the page at `page_path`, written to `feed_path`,
    with `items` (made by `item`) as they come. `title` and `description` are plain text;
    `last`: the newest item's date (lastBuildDate), None for a channel without items."""
    head = [
        DECLARATION,
        f'<rss xmlns:atom="{ATOM}" xmlns:content="{CONTENT}" xmlns:dc="{DC}" version="2.0">{LEVEL1}<channel>',
        _leaf(LEVEL2, "title", title_field(title)),
        _leaf(LEVEL2, "link", config.absolute(page_path)),
        _leaf(LEVEL2, "description", html_field(description or title)),
        _leaf(LEVEL2, "language", config.language),
        _leaf(LEVEL2, "generator", "sitegen"),
        _leaf(LEVEL2, "atom:link", href=config.absolute(feed_path), rel="self", type="application/rss+xml"),
    ]
    if last is not None:
        head.append(_leaf(LEVEL2, "lastBuildDate", rfc822(last)))
    body = b"".join(b"\n    " + made for made in items)
    return _encode("".join(head)) + body + b"\n  </channel>\n</rss>\n"


def item(*, title: str, link: str, published: date, description: str, content: str,
         creators: Iterable[str] = (), categories: Iterable[str] = ()) -> bytes:
    """One item of a channel, each field as readers read it (see above): `title`,
    `description`, `creators` and `categories` plain text, `content` HTML with absolute
    links. Its guid is its permalink, `link`; its date `published`, a listing day (so the
    output is reproducible)."""
    parts = ["<item>", _leaf(LEVEL3, "title", title_field(title)), _leaf(LEVEL3, "link", link),
             _leaf(LEVEL3, "guid", link, isPermaLink="true"), _leaf(LEVEL3, "pubDate", rfc822(published))]
    parts += [_leaf(LEVEL3, "dc:creator", name) for name in creators]
    parts += [_leaf(LEVEL3, "category", name) for name in categories]
    parts.append(_leaf(LEVEL3, "description", html_field(description)))
    parts.append(_leaf(LEVEL3, "content:encoded", content))
    parts.append(f"{LEVEL2}</item>")
    return _encode("".join(parts))


def _item(config: Config, paper: ShownPaper) -> bytes:
    """A paper's item. The synopsis (a search result's snippet) and the whole abstract,
    as RSS and the content module mean them: a reader shows content:encoded, and the
    abstract in both made half of every feed's bytes."""
    return item(title=paper.title_text, link=config.absolute(paper.url[len(config.base_path):]), published=paper.day,
                creators=[author.name for author in paper.authors[:FEED_AUTHOR_LIMIT]],
                categories=[tag.name for tag in paper.tags], description=snippet(paper.abstract_text),
                content=_absolute_urls(str(paper.abstract), config))


# A tag of sanitised HTML (its attribute values have '<' and '>' escaped), and a
# root-relative URL attribute in it.
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def _absolute_urls(fragment: str, config: Config) -> str:
    """Feed readers show items out of the site, so links in them must be absolute. Only
    attributes are rewritten: an abstract's text may say `href="/x"` as well."""
    if not config.site_url or ('href="' not in fragment and 'src="' not in fragment):
        return fragment
    origin = config.site_url[: -len(config.base_path)] if config.base_path != "/" else config.site_url[:-1]

    def absolute(tag: re.Match) -> str:
        return _ROOT_RELATIVE.sub(lambda m: f"{m.group(1)}{origin}/", tag.group())

    return _TAG.sub(absolute, fragment)


def sitemap(config: Config, entries: Iterable[tuple[str, date | None]]) -> bytes:
    urls = []
    for path, lastmod in entries:
        lastmod_line = _leaf(LEVEL2, "lastmod", lastmod.isoformat()) if lastmod else ""
        urls.append(f"{LEVEL1}<url>{_leaf(LEVEL2, 'loc', config.absolute(path))}{lastmod_line}{LEVEL1}</url>")
    return _document("urlset", urls)


def sitemap_index(config: Config, parts: Sequence[str]) -> bytes:
    return _document("sitemapindex", [f"{LEVEL1}<sitemap>{_leaf(LEVEL2, 'loc', config.absolute(path))}{LEVEL1}</sitemap>"
                                      for path in parts])


def _document(tag: str, children: list[str]) -> bytes:
    """A sitemaps.org document whose children are already laid out."""
    head = f'{DECLARATION}<{tag} xmlns="{SITEMAP_NS}"'
    if not children:
        return _encode(head + " />\n")
    return _encode(f"{head}>{''.join(children)}\n</{tag}>\n")


def robots(config: Config) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if config.site_url:
        lines.append(f"Sitemap: {config.absolute('sitemap.xml')}")
    return ("\n".join(lines) + "\n").encode()
