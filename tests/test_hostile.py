"""Property tests: arbitrary strings in every field never become script, event handlers,
javascript:/data: links or broken markup, in pages or in feeds as a reader reads them;
hostile link values are refused with a reported problem or built as safe links; the
loaders never crash on arbitrary bytes."""

import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import quote

import yaml
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feedfields import read_as_html, read_feed
from invariants import check_scripts, check_site, parse_html, unsafe_url
from sitegen.problems import ContentError
from sitegen.content.sources import read_source, split_front_matter
from sitegen.yamlfile import parse_yaml
from sitekit import build_dir, write_files

PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)",
            "data:text/html;base64,PHNjcmlwdD4=", '"><svg onload=alert(1)>', "</title><script>x</script>",
            "{{ 7*7 }}", "{% raw %}", "$\\text{<script>}$", "[x](javascript:alert(1))", "<a href=//evil>",
            "\u202e", "\x00", "&#106;avascript:", "<iframe src=//evil>", "<style>*{}</style>", "]]>", "'\"`"]
text = st.one_of(st.sampled_from(PAYLOADS), st.text(min_size=1, max_size=60),
                 st.lists(st.sampled_from(PAYLOADS), min_size=1, max_size=3).map("".join)
                 ).map(lambda s: s + " x")  # never blank, so the entry is valid and gets built
BUILT = []
# CI runs a bounded number of examples; SITEGEN_FUZZ_EXAMPLES=20000 runs the loaders longer (README).
FUZZ = int(os.environ.get("SITEGEN_FUZZ_EXAMPLES", "200"))
LOADER_INPUTS: dict[str, int] = {}  # loader property → inputs it was given (asserted below)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=text, name=text, abstract=text, tag=text, venue=text, link=text)
# Markup after an <iframe> is its raw text to an HTML parser: the sanitiser keeps it as
# escaped text, which shows `href="javascript:` but is no link (found by this property).
@example(title="<script>alert(1)</script> x", name="x", tag="x", venue="x", link="x",
         abstract="<img src=x onerror=alert(1)><iframe src=//evil>[x](javascript:alert(1)) x")
def test_hostile_strings_in_every_field(tmp_path_factory, title, name, abstract, tag, venue, link):
    site = tmp_path_factory.mktemp("hostile")
    entry = {"id": "evil", "title": title, "authors": [name, {"name": name + "2", "affiliation": venue}],
             "abstract": abstract, "published": "2024-01-01", "tags": [tag], "venue": venue,
             "links": {"code": "https://example.org/" + quote(link[:20])}}
    write_files(site, {"content/evil.yaml": yaml.safe_dump([entry], allow_unicode=True),
                       "sitegen.yaml": "base_url: https://example.org/\nsearch: false\n"})
    try:
        build_dir(site)
    except Exception as error:  # content may be rejected, but only as a reported problem
        assert isinstance(error, ContentError), error
        return
    BUILT.append(title)
    check_site(site / "output", "/", content_links={"/x"})  # the payload's own <img src=x>
    check_feeds_as_readers_read_them(site / "output")
    for path in (site / "output").rglob("*.html"):
        page = path.read_text()
        page = re.sub(r'<script type="application/ld\+json">[^<]*</script>|<script src="/(copy|search).js"[^>]*>',
                      "", page)
        assert not re.search(r"<(script|iframe|object|embed|style)\b", page, re.I), path
        # A URL attribute inside a tag (check_site reads every one with a parser): text that
        # merely shows such markup, escaped (`&lt;a href="javascript:...`), runs nothing.
        assert not re.search(r"""<[a-z][^<>]*\s(href|src|action|formaction)\s*=\s*["']?\s*(javascript|data|vbscript):""",
                             page, re.I), path


# Link values as people (and attackers) write them: script and data schemes in any
# case, behind entities, percent escapes, whitespace and control characters; paths that
# climb out of the site; values that break out of an attribute.
HOSTILE_LINKS = [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "\x01javascript:alert(1)", "javascript\x00:alert(1)", "\u200bjavascript:alert(1)",
    "\ufeffjavascript:alert(1)", "javascript :alert(1)", "javascript:/*https://x.org/*/alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=", "DATA:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "&#106;avascript:alert(1)", "&#x6A;avascript:alert(1)", "javascript&colon;alert(1)", "jav&#x09;ascript:alert(1)",
    "%6Aavascript:alert(1)", "javascript%3Aalert(1)", "https:javascript:alert(1)", "https://javascript:alert(1)",
    "//evil.example/x", "/\\evil.example/x", "\\\\evil.example/x", "../../../etc/passwd", "papers/../../../x",
    "./../x", "..", "static/../../x", "https://example.org/a\"onmouseover=\"alert(1)", "https://example.org/'><svg>",
    "https://example.org/<script>", "https://example.org/ x", "https://exa mple.org/", "http://", "https://",
    "mailto:a@example.org", "file:///etc/passwd", "ftp://example.org/", "'\"><script>alert(1)</script>",
    "{{ 7*7 }}", "x onerror=alert(1)", "#x\" onclick=\"alert(1)",
]
link_value = st.one_of(st.sampled_from(HOSTILE_LINKS), st.text(min_size=1, max_size=30),
                       st.tuples(st.sampled_from(["", " ", "\t", "./", "../", "/", "https://example.org/"]),
                                 st.sampled_from(HOSTILE_LINKS)).map("".join))
LINKS_REJECTED, LINKS_BUILT = [], []


def _scriptable(value: str) -> bool:
    """Whether the value, as a URL, is a script or data URL: a browser's URL parser drops
    the spaces and control characters around it and tabs and newlines inside it. (Entities
    and percent escapes are no part of a URL's scheme: `&#106;avascript:` and
    `javascript&colon;x` are paths, which the pages' own check reads as written.)"""
    squeezed = value.strip("".join(map(chr, range(0x21)))).replace("\t", "").replace("\n", "").replace("\r", "")
    return squeezed.lower().startswith(("javascript:", "data:", "vbscript:"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(link=link_value)
@example(link="javascript:alert(1)")
@example(link="&#106;avascript:alert(1)")
@example(link=" java\tscript:alert(1)")
@example(link="../../../etc/passwd")
@example(link="https://example.org/a\"onmouseover=\"alert(1)")
def test_hostile_link_values_are_refused_or_built_safe(tmp_path_factory, link):
    """A link or thumbnail value is either refused, with a problem naming the file, its
    line and the field, and nothing written; or built as a link that runs nothing, on
    every page and in the structured data. A value a browser could read as a script or
    data URL is always refused."""
    site = tmp_path_factory.mktemp("hostile-link")
    entry = {"id": "evil", "title": "T", "authors": ["A B"], "abstract": "x", "published": "2024-01-01",
             "tags": ["t"], "links": {"code": link, "project": link}, "thumbnail": link}
    write_files(site, {"content/evil.yaml": yaml.safe_dump([entry], allow_unicode=True),
                       "sitegen.yaml": "base_url: https://example.org/repo/\nsearch: false\n"})
    try:
        build_dir(site)
    except ContentError as error:
        LINKS_REJECTED.append(link)
        assert error.problems, error
        for problem in error.problems:
            assert problem.path == "content/evil.yaml" and problem.line is not None, problem
            assert problem.field in ("links.code", "links.project", "thumbnail"), problem
        assert not (site / "output").exists()
        return
    LINKS_BUILT.append(link)
    assert not _scriptable(link), f"{link!r} was built, not refused"
    output = site / "output"
    for path in output.rglob("*.html"):
        doc = parse_html(path)
        check_scripts(doc, "/repo/", path)
        assert doc.handlers == [], f"{path}: event handlers {doc.handlers}"
        unsafe = [(tag, name, value) for tag, name, value in doc.urls if unsafe_url(name, value)]
        assert unsafe == [], f"{path}: script or data URLs {unsafe}"
        for data in doc.script_texts:  # JSON-LD: sameAs and image are URLs too
            urls = [v for v in _strings(json.loads(data)) if unsafe_url("href", v)]
            assert urls == [], f"{path}: script or data URLs in JSON-LD {urls}"


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_hostile_link_values_were_both_refused_and_built():
    """The property above saw both outcomes: refusals and safe links were both checked."""
    assert len(LINKS_REJECTED) >= 10 and len(LINKS_BUILT) >= 3, (len(LINKS_REJECTED), len(LINKS_BUILT))


class _Meta(HTMLParser):
    """A page's <meta> tags: (property or name) → contents, as a browser reads them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        key = attrs.get("property") or attrs.get("name")
        if tag == "meta" and key and "content" in attrs:
            self.values.setdefault(key, []).append(attrs["content"])


def _meta(page) -> dict[str, list[str]]:
    reader = _Meta()
    reader.feed(page.read_text(encoding="utf-8"))
    return reader.values


def check_feeds_as_readers_read_them(output) -> None:
    """Every feed's HTML fields parsed as HTML, as a reader does after the XML: titles and
    descriptions hold no element and show the plain text the paper's page gives in its
    OpenGraph and citation tags; content:encoded only elements the sanitiser allows;
    names and topics are the plain text itself."""
    papers = {meta["og:url"][0]: meta for meta in map(_meta, (output / "papers").glob("*/index.html"))}
    site_title = {meta["og:site_name"][0] for meta in papers.values()}.pop()
    feeds = sorted(output.rglob("feed.xml"))
    assert feeds
    assert output / "weeks" / "feed.xml" in feeds
    for path in feeds:
        where = path.relative_to(output).as_posix()
        data = path.read_bytes()
        if where == "weeks/feed.xml":
            check_digest_as_readers_read_it(data, papers, where)
            continue
        feed = read_feed(data, where)
        assert feed.description == feed.title, where  # the site sets no description
        links = [item.findtext("link") for item in ET.fromstring(data).iter("item")]
        shown = set()
        for item, link in zip(feed.items, links, strict=True):
            meta = papers[link]
            assert item.title == meta["og:title"][0], where
            assert item.description == meta["og:description"][0], where
            assert item.creators == meta["citation_author"][:len(item.creators)], where
            assert item.categories == meta.get("article:tag", []), where
            shown.update(f"{name} — {site_title}" for name in item.creators + item.categories)
        if path.parent != output:
            assert feed.title in shown, f"{where}: channel title {feed.title!r} names no author or topic of its items"


def check_digest_as_readers_read_it(data: bytes, papers: dict, where: str) -> None:
    """The weekly digest: an item per week, its title and description plain text, its
    content:encoded email-safe HTML (only elements the sanitiser allows, no handler, links
    and images absolute, images with alt) whose text names each paper it links with the
    title and first author its page gives."""
    feed = read_feed(data, where)
    assert feed.description == feed.title, where
    assert feed.items, where
    for item in feed.items:
        read = read_as_html(item.content)
        shown = "".join(read.text)
        links = [attrs.get("href") or "" for tag, attrs in read.elements if tag == "a"]
        assert all(link.startswith(("https://", "http://")) for link in links), f"{where}: {links}"
        assert all(attrs.get("alt") for tag, attrs in read.elements if tag == "img"), where
        listed = [papers[link] for link in links if link in papers]
        assert listed, f"{where}: {item.title!r} links no paper"
        for meta in listed:
            assert meta["og:title"][0] in shown and meta["og:title"][0] in item.description, where
            assert meta["citation_author"][0] in shown, where


@pytest.mark.parametrize("attribute", ['href=" java\tscript:alert(1)"', "src=&#106;avascript:alert(1)",
                                       'action="DATA:text/html,x"', 'srcset="a.png 1x, data:image/png,x 2x"'])
def test_site_check_finds_script_urls_in_any_spelling(tmp_path, attribute):
    """The checks above would pass on nothing if check_site missed a spelling a browser runs."""
    page = f'<!DOCTYPE html><title>t</title><h1>t</h1><a {attribute}>x</a><p>&lt;a href="javascript:x"&gt;</p>'
    write_files(tmp_path, {"index.html": page})
    with pytest.raises(AssertionError, match="script or data URLs"):
        check_site(tmp_path)


def test_most_hostile_sites_were_built_not_rejected():
    assert len(BUILT) >= 15  # the property above ran on real builds, not on rejected entries


@settings(max_examples=FUZZ, deadline=None)
@given(st.binary(max_size=400))
def test_yaml_loader_never_crashes(data):
    LOADER_INPUTS["yaml"] = LOADER_INPUTS.get("yaml", 0) + 1
    value, problems = parse_yaml(data.decode("utf-8", errors="replace"), "fuzz.yaml")  # never raises
    assert all(p.path == "fuzz.yaml" and p.message for p in problems)


@settings(max_examples=FUZZ, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.sampled_from([".yaml", ".md"]))
def test_source_files_become_entries_or_problems(tmp_path_factory, data, suffix):
    LOADER_INPUTS["source"] = LOADER_INPUTS.get("source", 0) + 1
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / f"entry{suffix}"
    path.write_bytes(data)
    source = read_source(path, folder)  # must not raise
    assert source.entries or source.problems or not data.strip()


@settings(max_examples=FUZZ, deadline=None)
@given(st.text(max_size=200))
def test_front_matter_split_never_crashes(text):
    LOADER_INPUTS["front matter"] = LOADER_INPUTS.get("front matter", 0) + 1
    front, body, line, problems = split_front_matter(text, "x.md")
    assert (front is None) == bool(problems)


def test_the_loaders_were_given_as_many_inputs_as_the_readme_counts():
    """600 inputs a run (200 to each loader property), or SITEGEN_FUZZ_EXAMPLES each."""
    assert LOADER_INPUTS.keys() == {"yaml", "source", "front matter"}, LOADER_INPUTS
    assert all(count >= FUZZ for count in LOADER_INPUTS.values()), LOADER_INPUTS
