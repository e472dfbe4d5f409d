"""RSS feeds read as a feed reader reads them: each element's text, after XML parsing,
parsed again as HTML where readers take it as HTML.

sitegen/feeds.py says what each element holds:
- item and channel `description`, item and channel `title`: plain text, read as HTML
  (descriptions always, titles when they look like HTML): as HTML they must hold no
  element at all and read as the plain text;
- `content:encoded`: sanitised HTML: only the elements the sanitiser allows, no event
  handlers, no script or data URLs;
- `dc:creator`, `category`: plain text that readers show as text (XML-escaped only).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser

from invariants import unsafe_url
from sitegen.formats.markup import ABSTRACT_TAGS, MATHML_TAGS

SANITISED_ELEMENTS = frozenset(ABSTRACT_TAGS | MATHML_TAGS)  # what the sanitiser lets through

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"


class _AsHtml(HTMLParser):
    """What an HTML reader makes of a string: its elements (with attributes), its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.markup: list[str] = []  # comments, declarations, processing instructions
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self.elements.append(("/" + tag, {}))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.markup.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.markup.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.markup.append(f"<?{data}>")

    def unknown_decl(self, data):
        self.markup.append(f"<![{data}]>")


def read_as_html(value: str) -> _AsHtml:
    reader = _AsHtml()
    reader.feed(value)
    reader.close()
    return reader


def html_text_field(value: str, where: str) -> str:
    """The text an HTML reader shows of a plain-text field; it must hold no markup."""
    read = read_as_html(value)
    assert read.elements == [] and read.markup == [], f"{where}: {value!r} reads as markup {read.elements or read.markup}"
    return "".join(read.text)


def check_html_content(value: str, allowed: frozenset[str], where: str) -> None:
    """Sanitised HTML: only allowed elements, no event handler, no script or data URL."""
    read = read_as_html(value)
    assert read.markup == [], f"{where}: {read.markup}"
    for tag, attrs in read.elements:
        name = tag.lstrip("/")
        assert name in allowed, f"{where}: <{tag}> is not an element the sanitiser allows"
        handlers = [a for a in attrs if a.startswith("on")]
        assert handlers == [], f"{where}: <{tag}> has event handlers {handlers}"
        unsafe = [(a, v) for a, v in attrs.items() if v and unsafe_url(a, v)]
        assert unsafe == [], f"{where}: <{tag}> has script or data URLs {unsafe}"


@dataclass
class Item:
    title: str
    description: str
    creators: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    content: str | None = None


@dataclass
class Feed:
    title: str
    description: str
    items: list[Item]


def _text(element: ET.Element, tag: str) -> str:
    child = element.find(tag)
    return "" if child is None else child.text or ""


def read_feed(data: bytes, where: str = "feed", allowed: frozenset[str] = SANITISED_ELEMENTS) -> Feed:
    """Every field of an RSS feed as a reader shows it, checked as above: HTML fields as
    the text they show, plain fields as they are."""
    channel = ET.fromstring(data).find("channel")
    assert channel is not None, where
    items = []
    for n, item in enumerate(channel.findall("item")):
        at = f"{where} item {n + 1}"
        content = item.find(CONTENT)
        if content is not None:
            check_html_content(content.text or "", allowed, f"{at} content:encoded")
        items.append(Item(html_text_field(_text(item, "title"), f"{at} title"),
                          html_text_field(_text(item, "description"), f"{at} description"),
                          [c.text or "" for c in item.findall(DC_CREATOR)],
                          [c.text or "" for c in item.findall("category")],
                          None if content is None else content.text or ""))
    return Feed(html_text_field(_text(channel, "title"), f"{where} channel title"),
                html_text_field(_text(channel, "description"), f"{where} channel description"), items)
