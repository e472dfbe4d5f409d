"""Feeds and sitemaps are written as text: byte for byte what ElementTree makes of them.

The reference below builds the same documents with ElementTree, as sitegen once did;
hypothesis feeds both hostile strings (markup, quotes, entities, line breaks, tabs,
lone surrogates, any Unicode) and compares the bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from types import SimpleNamespace

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen import feeds
from sitegen.config import load_config
from sitegen.fragments import FragmentCache
from sitegen.search import snippet
from sitekit import write_files

_HOSTILE = st.text(alphabet=st.one_of(st.sampled_from(list("<>&\"'\r\n\t ;#x/=]]>") + ["\ud800", "\u2028"]),
                                      st.characters()), max_size=30)


def _sub(parent, tag, text=None, **attrs):
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _reference_item(config, paper) -> bytes:
    item = ET.Element("item")
    url = config.absolute(paper.url[len(config.base_path):])
    _sub(item, "title", paper.title_text)
    _sub(item, "link", url)
    _sub(item, "guid", url, isPermaLink="true")
    _sub(item, "pubDate", feeds.rfc822(paper.day))
    for author in paper.authors[:feeds.FEED_AUTHOR_LIMIT]:
        _sub(item, "dc:creator", author.name)
    for tag in paper.tags:
        _sub(item, "category", tag.name)
    _sub(item, "description", snippet(paper.abstract_text))
    _sub(item, "content:encoded", feeds._absolute_urls(str(paper.abstract), config))
    ET.indent(item, space="  ", level=2)
    return ET.tostring(item, encoding="utf-8")


def _serialise(root) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _reference_rss(config, *, title, description, page_path, feed_path, papers) -> bytes:
    root = ET.Element("rss", {"xmlns:atom": feeds.ATOM, "xmlns:content": feeds.CONTENT, "xmlns:dc": feeds.DC,
                              "version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", config.absolute(page_path))
    _sub(channel, "description", description or title)
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


_PAPER = st.builds(
    lambda title, names, tags, abstract, day, slug: SimpleNamespace(
        id=slug, title_text=title, url=f"/repo/papers/{slug}/", day=day, abstract_text=abstract,
        abstract=f'<p>{abstract}</p><a href="/repo/x">x</a><img src="fig.png">',
        authors=[SimpleNamespace(name=n) for n in names], tags=[SimpleNamespace(name=t) for t in tags]),
    _HOSTILE, st.lists(_HOSTILE, max_size=3), st.lists(_HOSTILE, max_size=3), _HOSTILE,
    st.dates(date(1990, 1, 1), date(2030, 12, 31)), st.from_regex(r"[a-z0-9.\-]{1,12}", fullmatch=True))


@settings(max_examples=300, deadline=None)
@given(title=_HOSTILE, description=_HOSTILE, papers=st.lists(_PAPER, max_size=4, unique_by=lambda p: p.id))
def test_feeds_are_what_elementtree_makes(tmp_path_factory, title, description, papers):
    for base_url in ("https://user.github.io/repo/", "/repo/"):
        config = _config(tmp_path_factory, base_url)
        arguments = dict(title=title, description=description, page_path="authors/x/",
                         feed_path="authors/x/feed.xml", papers=papers)
        assert feeds.rss(config, items=FragmentCache(), **arguments) == _reference_rss(config, **arguments)


@settings(max_examples=200, deadline=None)
@given(entries=st.lists(st.tuples(st.from_regex(r"[a-z0-9/&<>\"'\-]{0,20}", fullmatch=True),
                                  st.one_of(st.none(), st.dates()))), parts=st.lists(_HOSTILE, max_size=3))
def test_sitemaps_are_what_elementtree_makes(tmp_path_factory, entries, parts):
    config = _config(tmp_path_factory, "https://example.org/")
    assert feeds.sitemap(config, entries) == _reference_sitemap(config, entries)
    assert feeds.sitemap_index(config, parts) == _reference_sitemap_index(config, parts)


def test_a_feed_with_markup_in_every_field_parses(tmp_path_factory):
    config = _config(tmp_path_factory, "https://example.org/")
    paper = SimpleNamespace(id="x", title_text='<b>"Bold" & co</b>', url="/papers/x/", day=date(2024, 3, 13),
                            abstract_text="a < b & c > d", abstract="<p>a &lt; b</p>",
                            authors=[SimpleNamespace(name="Ann <ann@x>")], tags=[SimpleNamespace(name="R&D")])
    parsed = feedparser.parse(feeds.rss(config, title="T & <t>", description="", page_path="", feed_path="feed.xml",
                                        papers=[paper]))
    assert parsed.bozo == 0
    assert parsed.feed.title == "T & <t>"
    entry = parsed.entries[0]
    assert entry.title == '<b>"Bold" & co</b>' and entry.author == "Ann <ann@x>" and entry.tags[0].term == "R&D"


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
