"""Checks every built site must pass: SPEC URLs, internal links, feeds, BibTeX, no script."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import bibtexparser
import feedparser


URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "cite", "data", "xlink:href",
                            "background", "srcset"})
_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")


def unsafe_url(name: str, value: str) -> bool:
    """A URL a browser would run or load as a document of its own: it drops the
    whitespace around a URL and tabs and newlines inside it before reading the scheme.
    `srcset` holds several URLs, each before its size."""
    urls = [(part.split() or [""])[0] for part in value.split(",")] if name == "srcset" else [value]
    return any("".join(url.split()).lower().startswith(_UNSAFE_SCHEMES) for url in urls)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.urls: list[tuple[str, str, str]] = []  # every attribute a browser reads as a URL
        self.scripts: list[dict] = []
        self.script_texts: list[str] = []
        self._in_script = False
        self.handlers: list[tuple[str, str]] = []
        self.h1 = 0
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
            self._in_script = True
        if tag == "h1":
            self.h1 += 1
        for name, value in attrs.items():
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("href", "src") and value:
                self.links.append(value)
            if name in URL_ATTRIBUTES and value:
                self.urls.append((tag, name, value))
            if name == "id" and value:
                self.ids.append(value)


    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_texts.append(data)


def check_scripts(doc: _Links, base_path: str, where) -> None:
    """Only the theme's own script files and JSON-LD data blocks; never inline code."""
    for attrs in doc.scripts:
        if attrs.get("type") == "application/ld+json":
            continue
        src = attrs.get("src") or ""
        assert src.startswith(base_path) and src.endswith(".js"), f"{where}: script {attrs}"
    for text in doc.script_texts:
        json.loads(text)  # JSON-LD only: inline code would not parse


def parse_html(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def site_path(output: Path, base_path: str, url: str) -> Path | None:
    """The file a root-relative link points to, or None for an external link."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    assert path.startswith(base_path), f"link {url!r} ignores the base path {base_path!r}"
    target = output / path[len(base_path):]
    if path.endswith("/"):
        target = target / "index.html"
    return target


def check_site(output: Path, base_path: str = "/", site_url: str | None = None, content_links=()) -> dict:
    """Run every invariant; returns counts for the caller's own assertions."""
    pages = sorted(output.rglob("*.html"))
    assert pages, "no pages built"
    broken = []
    for page in pages:
        doc = parse_html(page)
        check_scripts(doc, base_path, page)
        assert doc.handlers == [], f"{page}: has event handlers {doc.handlers}"
        assert doc.h1 == 1, f"{page}: has {doc.h1} h1 elements"
        assert len(doc.ids) == len(set(doc.ids)), f"{page}: duplicate ids"
        page_url = base_path + page.relative_to(output).as_posix().removesuffix("index.html")
        unsafe = [(tag, name, value) for tag, name, value in doc.urls if unsafe_url(name, value)]
        assert unsafe == [], f"{page}: script or data URLs {unsafe}"
        for link in doc.links:
            if link.startswith("#"):
                continue
            target = site_path(output, base_path, urljoin(page_url, link))
            if target is not None and not target.is_file() and link not in content_links:
                broken.append((page.relative_to(output).as_posix(), link))
    assert broken == [], f"broken internal links: {broken[:10]}"

    feeds = sorted(output.rglob("feed.xml"))
    for feed in feeds:
        parsed = feedparser.parse(feed.read_bytes())
        assert parsed.bozo == 0, f"{feed}: {parsed.get('bozo_exception')}"
        assert parsed.version == "rss20"
        links = [link for link in parsed.feed.get("links", []) if link.get("rel") == "self"]
        assert links, f"{feed}: no atom:link rel=self"
        for entry in parsed.entries:
            assert entry.id == entry.link
            if site_url:
                assert entry.link.startswith(site_url), entry.link
            assert entry.published_parsed is not None

    bibs = sorted(output.rglob("*.bib"))
    for bib in bibs:
        library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
        assert library.failed_blocks == [], f"{bib}: {library.failed_blocks}"
        assert library.entries, f"{bib}: no entries"
    return {"pages": len(pages), "feeds": len(feeds), "bibs": len(bibs)}
