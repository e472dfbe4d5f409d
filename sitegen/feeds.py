"""RSS 2.0 feeds, sitemap.xml and robots.txt, built with ElementTree so every
byte is well-formed XML whatever the content says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone
from email.utils import format_datetime
from typing import Iterable, Sequence

from sitegen.config import Config
from sitegen.fragments import FragmentCache
from sitegen.views import PaperView

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SITEMAP_LIMIT = 50_000  # URLs per file, as sitemaps.org allows
# A collaboration paper sits in every member's feed; naming all its authors in
# each would make feeds grow with the square of the collaboration's size (10,000
# authors: 10^8 elements). Items name the first ones, the paper page names all.
FEED_AUTHOR_LIMIT = 100


def rfc822(day: date) -> str:
    return format_datetime(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def rss(config: Config, *, title: str, description: str, page_path: str, feed_path: str,
        papers: Sequence[PaperView], items: FragmentCache | None = None) -> bytes:
    """An RSS 2.0 channel; item dates come from listing days, so output is reproducible.

    Items are serialised one by one and spliced into the channel: a paper's item is the
    same in every feed that carries it, so `items` (a process's cache) makes each once.
    """
    root = ET.Element("rss", {"xmlns:atom": ATOM, "xmlns:content": CONTENT, "xmlns:dc": DC, "version": "2.0"})
    channel = _sub(root, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", config.absolute(page_path))
    _sub(channel, "description", description or title)
    _sub(channel, "language", config.language)
    _sub(channel, "generator", "sitegen")
    _sub(channel, "atom:link", href=config.absolute(feed_path), rel="self", type="application/rss+xml")
    if papers:
        _sub(channel, "lastBuildDate", rfc822(max(p.day for p in papers)))
    head, tail = _serialise(root).rsplit(_CHANNEL_END, 1)
    if items is None:
        items = FragmentCache()
    body = b"".join(b"\n    " + items.get_or_make(("rss-item", paper.id), lambda: _item(config, paper))
                    for paper in papers)
    return head + body + _CHANNEL_END + tail


_CHANNEL_END = b"\n  </channel>"


def _item(config: Config, paper: PaperView) -> bytes:
    item = ET.Element("item")
    url = config.absolute(paper.url[len(config.base_path):])
    _sub(item, "title", paper.title_text)
    _sub(item, "link", url)
    _sub(item, "guid", url, isPermaLink="true")
    _sub(item, "pubDate", rfc822(paper.day))
    for author in paper.authors[:FEED_AUTHOR_LIMIT]:
        _sub(item, "dc:creator", author.name)
    for tag in paper.tags:
        _sub(item, "category", tag.name)
    _sub(item, "description", paper.abstract_text)
    _sub(item, "content:encoded", _absolute_urls(str(paper.abstract), config))
    ET.indent(item, space="  ", level=2)
    return ET.tostring(item, encoding="utf-8")


def _absolute_urls(fragment: str, config: Config) -> str:
    """Feed readers show items out of the site, so links in them must be absolute."""
    if not config.site_url or ('href="' not in fragment and 'src="' not in fragment):
        return fragment
    origin = config.site_url[: -len(config.base_path)] if config.base_path != "/" else config.site_url[:-1]
    return re.sub(r'(\s(?:href|src)=")/(?!/)', lambda m: f"{m.group(1)}{origin}/", fragment)


def _serialise(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def sitemap(config: Config, entries: Iterable[tuple[str, date | None]]) -> bytes:
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for path, lastmod in entries:
        url = _sub(root, "url")
        _sub(url, "loc", config.absolute(path))
        if lastmod:
            _sub(url, "lastmod", lastmod.isoformat())
    return _serialise(root)


def sitemap_index(config: Config, parts: Sequence[str]) -> bytes:
    root = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for path in parts:
        _sub(_sub(root, "sitemap"), "loc", config.absolute(path))
    return _serialise(root)


def robots(config: Config) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if config.site_url:
        lines.append(f"Sitemap: {config.absolute('sitemap.xml')}")
    return ("\n".join(lines) + "\n").encode()
