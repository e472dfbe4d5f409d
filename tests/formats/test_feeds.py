"""Feeds and sitemaps are written as text: byte for byte what ElementTree makes of them.

The reference below builds the same documents with ElementTree, as sitegen once did;
hypothesis feeds both hostile strings (markup, quotes, entities, line breaks, tabs,
lone surrogates, any Unicode) and compares the bytes. The reference writes out what
each element holds on its own (feeds.py says why): descriptions HTML-escaped, titles
HTML-escaped where HTML would read them as markup, the abstract's HTML with its
root-relative links made absolute.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from datetime import date
from types import SimpleNamespace

import feedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.formats import feeds
from sitegen.config import load_config
from sitegen.lru import LRUCache
from sitegen.formats.search import snippet
from feedfields import read_as_html
from sitekit import build_dir, write_files

_HOSTILE = st.text(alphabet=st.one_of(st.sampled_from(list("<>&\"'\r\n\t ;#x/=]]>") + ["\ud800", "\u2028"]),
                                      st.characters()), max_size=30)
# Text that says what an attribute says: only tags' attributes are links to rewrite.
_ATTRIBUTE_LIKE = st.sampled_from([' href="/b"', ' src="/c.png"', '<a href="/d">', "&lt;a href=\"/e\"&gt;"])
_ABSTRACT_TEXT = st.one_of(_HOSTILE, st.tuples(_HOSTILE, _ATTRIBUTE_LIKE, _HOSTILE).map("".join))


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _reference_title(text: str) -> str:
    """HTML-escaped where an HTML reader would see markup: a '<' that opens a tag, an end
    tag, a comment or a declaration, or a character reference."""
    opens_markup = any(a == "<" and (b in "/!?" or "a" <= b.lower() <= "z") for a, b in zip(text, text[1:]))
    return html.escape(text, quote=False) if opens_markup or html.unescape(text) != text else text


def _reference_content(config, paper) -> str:
    """The abstract's HTML as a reader gets it: root-relative links (and only those, and
    only in tags) absolute on the site's origin, written out for the two test sites."""
    if config.site_url is None:
        return paper.abstract
    assert config.site_url == "https://user.github.io/repo/"
    return (f'<p>{paper.abstract_escaped}</p><a href="https://user.github.io/repo/x">x</a>'
            f'<img src="https://user.github.io/repo/fig.png" alt=""><img src="fig2.png" alt="">'
            f'<a href="//cdn.example/y" title="/z">y</a>')


def _reference_item(config, paper) -> bytes:
    item = ET.Element("item")
    url = config.absolute(paper.url[len(config.base_path):])
    _sub(item, "title", _reference_title(paper.title_text))
    _sub(item, "link", url)
    _sub(item, "guid", url, isPermaLink="true")
    _sub(item, "pubDate", feeds.rfc822(paper.day))
    for author in paper.authors[:feeds.FEED_AUTHOR_LIMIT]:
        _sub(item, "dc:creator", author.name)
    for tag in paper.tags:
        _sub(item, "category", tag.name)
    _sub(item, "description", html.escape(snippet(paper.abstract_text), quote=False))
    _sub(item, "content:encoded", _reference_content(config, paper))
    ET.indent(item, space="  ", level=2)
    return ET.tostring(item, encoding="utf-8")


def _serialise(root) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _reference_rss(config, *, title, description, page_path, feed_path, papers) -> bytes:
    root = ET.Element("rss", {"xmlns:atom": feeds.ATOM, "xmlns:content": feeds.CONTENT, "xmlns:dc": feeds.DC,
                              "version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", _reference_title(title))
    _sub(channel, "link", config.absolute(page_path))
    _sub(channel, "description", html.escape(description or title, quote=False))
    _sub(channel, "language", config.language)
    _sub(channel, "generator", "sitegen")
    _sub(channel, "atom:link", href=config.absolute(feed_path), rel="self", type="application/rss+xml")
    if papers:
        _sub(channel, "lastBuildDate", feeds.rfc822(max(p.day for p in papers)))
    head, tail = _serialise(root).rsplit(b"\n  </channel>", 1)
    return head + b"".join(b"\n    " + _reference_item(config, p) for p in papers) + b"\n  </channel>" + tail


def _reference_sitemap(config, entries) -> bytes:
    root = ET.Element("urlset", {"xmlns": feeds.SITEMAP_NS})
    for path, lastmod in entries:
        url = _sub(root, "url")
        _sub(url, "loc", config.absolute(path))
        if lastmod:
            _sub(url, "lastmod", lastmod.isoformat())
    return _serialise(root)


def _reference_sitemap_index(config, parts) -> bytes:
    root = ET.Element("sitemapindex", {"xmlns": feeds.SITEMAP_NS})
    for path in parts:
        _sub(_sub(root, "sitemap"), "loc", config.absolute(path))
    return _serialise(root)


_CONFIGS: dict = {}


def _config(tmp_path_factory, base_url: str):
    if base_url not in _CONFIGS:
        root = write_files(tmp_path_factory.mktemp("site"), {"sitegen.yaml": f"base_url: {base_url}\n"})
        _CONFIGS[base_url] = load_config(root)[0]
    return _CONFIGS[base_url]


# An abstract's HTML as the sanitiser writes it: text escaped (quotes kept as they are),
# a root-relative link and image, a relative image and a protocol-relative link.
_PAPER = st.builds(
    lambda title, names, tags, abstract, day, slug: SimpleNamespace(
        id=slug, title_text=title, url=f"/repo/papers/{slug}/", day=day, abstract_text=abstract,
        abstract_escaped=html.escape(abstract, quote=False),
        abstract=(f'<p>{html.escape(abstract, quote=False)}</p><a href="/repo/x">x</a>'
                  f'<img src="/repo/fig.png" alt=""><img src="fig2.png" alt=""><a href="//cdn.example/y" title="/z">y</a>'),
        authors=[SimpleNamespace(name=n) for n in names], tags=[SimpleNamespace(name=t) for t in tags]),
    _HOSTILE, st.lists(_HOSTILE, max_size=3), st.lists(_HOSTILE, max_size=3), _ABSTRACT_TEXT,
    st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.from_regex(r"[a-z0-9.\-]{1,12}", fullmatch=True))


@settings(max_examples=300, deadline=None)
@given(title=_HOSTILE, description=_HOSTILE, papers=st.lists(_PAPER, max_size=4, unique_by=lambda p: p.id))
def test_feeds_are_what_elementtree_makes(tmp_path_factory, title, description, papers):
    for base_url in ("https://user.github.io/repo/", "/repo/"):
        config = _config(tmp_path_factory, base_url)
        arguments = dict(title=title, description=description, page_path="authors/x/",
                         feed_path="authors/x/feed.xml", papers=papers)
        assert feeds.rss(config, items=LRUCache(), **arguments) == _reference_rss(config, **arguments)


@settings(max_examples=200, deadline=None)
@given(entries=st.lists(st.tuples(st.from_regex(r"[a-z0-9/&<>\"'\-]{0,20}", fullmatch=True),
                                  st.one_of(st.none(), st.dates()))), parts=st.lists(_HOSTILE, max_size=3))
def test_sitemaps_are_what_elementtree_makes(tmp_path_factory, entries, parts):
    config = _config(tmp_path_factory, "https://example.org/")
    assert feeds.sitemap(config, entries) == _reference_sitemap(config, entries)
    assert feeds.sitemap_index(config, parts) == _reference_sitemap_index(config, parts)


def _shown(detail, value: str) -> str:
    """What a reader shows of a feedparser text construct: HTML read as HTML (it must
    hold no element), plain text as it is."""
    if detail.type == "text/plain":
        return value
    read = read_as_html(value)
    assert read.elements == [] and read.markup == [], f"{value!r} reaches readers as markup"
    return "".join(read.text)


def test_a_feed_with_markup_in_every_field_parses(tmp_path_factory):
    """Every field shows a reader what it says, markup characters included: a title and
    descriptions as text, never as markup (feedparser reads a title that looks like HTML
    as HTML, and would show `<b>` bold); names and topics, plain text, as they are."""
    config = _config(tmp_path_factory, "https://example.org/")
    paper = SimpleNamespace(id="x", title_text='<b>"Bold" & co</b>', url="/papers/x/", day=date(2024, 3, 13),
                            abstract_text="a < b & c > d", abstract="<p>a &lt; b</p>",
                            authors=[SimpleNamespace(name="Ann <ann@x>")], tags=[SimpleNamespace(name="R&D")])
    parsed = feedparser.parse(feeds.rss(config, title="T & <t>", description="", page_path="", feed_path="feed.xml",
                                        papers=[paper]))
    assert parsed.bozo == 0
    assert _shown(parsed.feed.title_detail, parsed.feed.title) == "T & <t>"
    assert _shown(parsed.feed.subtitle_detail, parsed.feed.subtitle) == "T & <t>"
    entry = parsed.entries[0]
    assert _shown(entry.title_detail, entry.title) == '<b>"Bold" & co</b>'
    assert entry.author == "Ann <ann@x>" and entry.tags[0].term == "R&D"
    assert _shown(entry.summary_detail, entry.summary) == "a < b & c > d"


@pytest.mark.parametrize("title, escaped", [
    ("<b>Bold</b> claims", True), ("A <script>alert(1)</script> title", True), ("a <!-- x --> b", True),
    ("Q&amp;A, written as an entity", True), ("&lt;b&gt; as text", True),
    ("Q&A: models", False), ("When a < b and c > d", False), ("Plain title", False)])
def test_a_title_is_escaped_where_readers_would_read_it_as_html(tmp_path_factory, title, escaped):
    config = _config(tmp_path_factory, "https://example.org/")
    paper = SimpleNamespace(id="x", title_text=title, url="/papers/x/", day=date(2024, 3, 13), abstract_text="a",
                            abstract="<p>a</p>", authors=[], tags=[])
    data = feeds.rss(config, title=title, description="", page_path="", feed_path="feed.xml", papers=[paper])
    entry = feedparser.parse(data).entries[0]
    assert _shown(entry.title_detail, entry.title) == title
    assert (entry.title_detail.type == "text/html") == escaped  # a plain title stays plain text for every reader
    assert ET.fromstring(data).find("channel/item/title").text == (html.escape(title, quote=False) if escaped else title)


HOSTILE_NAMES = {
    "content/papers.yaml": """\
        - id: "2401.00001"
          title: "Details <b>bold</b>"
          authors: ["<script>alert(1)</script> Mallory", "Ann"]
          abstract: "The element `<details open ontoggle=alert(1)>` runs script when shown."
          published: 2024-01-01
          tags: ["<img src=x onerror=alert(2)>"]
        """,
    "sitegen.yaml": "title: T\nbase_url: https://example.org/\n",
}


def test_plain_text_in_every_feed_reaches_readers_as_text(make_site):
    """An abstract that mentions markup, and author and topic names holding markup, as
    item descriptions and as the channel titles and descriptions of their feeds."""
    site = make_site(HOSTILE_NAMES)
    build_dir(site)
    output = site / "output"
    feeds_built = sorted(output.rglob("feed.xml"))
    assert len(feeds_built) == 1 + 2 + 1 + 1  # the site's, each author's, the topic's, the weekly digest
    for path in feeds_built:
        parsed = feedparser.parse(path.read_bytes())
        assert parsed.bozo == 0, path
        _shown(parsed.feed.title_detail, parsed.feed.title)  # as text, whatever it says
        _shown(parsed.feed.subtitle_detail, parsed.feed.subtitle)
        entry = parsed.entries[0]
        if path == output / "weeks/feed.xml":  # an item per week, naming its papers
            assert _shown(entry.title_detail, entry.title) == "Top papers of week 1 of 2024 (from Jan 1)"
            assert _shown(entry.summary_detail, entry.summary).endswith(" 1. Details <b>bold</b>")
            content = read_as_html(entry.content[0].value)
            assert "Details <b>bold</b>" in "".join(content.text)
            assert "b" not in [tag for tag, attrs in content.elements]
            continue
        assert _shown(entry.summary_detail, entry.summary) == \
            "The element <details open ontoggle=alert(1)> runs script when shown."
        assert _shown(entry.title_detail, entry.title) == "Details <b>bold</b>"
    author = feedparser.parse((output / "authors/script-alert-1-script-mallory/feed.xml").read_bytes()).feed
    assert _shown(author.title_detail, author.title) == "<script>alert(1)</script> Mallory — T"
    assert _shown(author.subtitle_detail, author.subtitle) == "<script>alert(1)</script> Mallory — T"
    topic = feedparser.parse((output / "tags/img-src-x-onerror-alert-2/feed.xml").read_bytes()).feed
    assert _shown(topic.subtitle_detail, topic.subtitle) == "<img src=x onerror=alert(2)> — T"


def test_an_item_describes_a_long_abstract_by_its_opening_and_carries_all_of_it_as_content(tmp_path_factory):
    config = _config(tmp_path_factory, "https://example.org/")
    words = [f"word{n}" for n in range(300)]
    paper = SimpleNamespace(id="x", title_text="T", url="/papers/x/", day=date(2024, 3, 13),
                            abstract_text=" ".join(words), abstract=f"<p>{' '.join(words)}</p>",
                            authors=[], tags=[])
    entry = feedparser.parse(feeds.rss(config, title="T", description="", page_path="", feed_path="feed.xml",
                                       papers=[paper])).entries[0]
    assert entry.summary.endswith(" …") and len(entry.summary) <= 282
    assert " ".join(words).startswith(entry.summary[:-2])
    assert entry.content[0].value == f"<p>{' '.join(words)}</p>"
