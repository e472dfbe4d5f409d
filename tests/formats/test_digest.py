"""The weekly digest /weeks/feed.xml (SPEC, Feeding the listing): an RSS 2.0 item per ISO
week with papers, newest first, linking its week's page, its content:encoded the week's
top papers by upvotes (at most `digest_size`) as HTML a mail client shows as meant:
inline styles only, no script or event handler, absolute links, `alt` on every image,
and text that says everything with the images off. Week pages link the digest; with
`subscribe_url` set every page's header and the front page link it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from types import SimpleNamespace

import feedparser
import pytest

from feedfields import CONTENT, read_feed
from sitegen.config import load_config
from sitegen.engine.build import build
from sitegen.formats import digest
from sitegen.formats.search import snippet
from sitekit import build_dir, write_files

SITE_URL = "https://example.org/repo/"
SETTINGS = f"title: Test Papers\nbase_url: {SITE_URL}\ndigest_size: 2\n"
SUBSCRIBE = "https://buttondown.com/test-papers"


def _abstract(title: str) -> str:
    return (f"The abstract of {title}, which goes on for a while to say what the paper does and why, long "
            f"enough that a digest shows only its opening words and not all of them, as a search result or "
            f"the synopsis of a feed item does, cut after a whole word and marked with an ellipsis, and these "
            f"words and the ones after them are past the cut, which falls before three hundred characters.")


def _paper(paper_id: str, title: str, day: str, upvotes: int, **extra) -> str:
    lines = [f'- id: "{paper_id}"', f'  title: "{title}"', f"  authors: [Ann Lee, Bo Chen {paper_id[-1]}]",
             f"  abstract: {_abstract(title)}",
             f"  published: {day}", f"  day: {day}", f"  upvotes: {upvotes}", "  tags: [theory]"]
    lines += [f"  {key}: {value}" for key, value in extra.items()]
    return "\n".join(lines) + "\n"


# Three ISO weeks: W10 one paper, W11 four over two days (the top two by upvotes, then
# title: "Alpha" before "Beta" at 20), W12 one with a thumbnail in the site.
PAPERS = "".join([
    _paper("2403.00001", "Early Paper", "2024-03-04", 3),
    _paper("2403.00002", "Top Paper", "2024-03-11", 30, thumbnail="https://example.com/top.png",
           links="{arxiv: 2403.00002, pdf: 'https://arxiv.org/pdf/2403.00002', code: 'https://github.com/x/y'}"),
    _paper("2403.00003", "Beta Paper", "2024-03-12", 20),
    _paper("2403.00004", "Alpha Paper", "2024-03-12", 20),
    _paper("2403.00005", "Low Paper", "2024-03-11", 5),
    _paper("2403.00006", "Late Paper", "2024-03-18", 1, thumbnail="thumbs/late.png"),
])
WEEKS = [("2024-W12", date(2024, 3, 18), ["Late Paper"]),
         ("2024-W11", date(2024, 3, 12), ["Top Paper", "Alpha Paper"]),
         ("2024-W10", date(2024, 3, 4), ["Early Paper"])]


@pytest.fixture
def site(make_site):
    return make_site({"content/papers.yaml": PAPERS, "sitegen.yaml": SETTINGS, "static/thumbs/late.png": b"\x89PNG"})


def _digest(site) -> bytes:
    return (site / "output/weeks/feed.xml").read_bytes()


def _items(data: bytes) -> list[ET.Element]:
    return ET.fromstring(data).find("channel").findall("item")


class EmailHtml(HTMLParser):
    """What a mail client makes of a message: its elements and their attributes, and the
    text a reader sees with images off (images' alt aside)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.markup: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.markup.append(data)

    def handle_decl(self, decl):
        self.markup.append(decl)

    handle_pi = unknown_decl = handle_decl


def email_safe(content: str, where: str = "digest") -> EmailHtml:
    """content:encoded checked as a mail client needs it; the parsed HTML."""
    read = EmailHtml()
    read.feed(content)
    read.close()
    assert read.markup == [], f"{where}: comments or declarations {read.markup}"
    for tag, attrs in read.elements:
        assert tag not in ("script", "style", "link", "iframe", "object", "embed", "form", "svg", "math"), \
            f"{where}: <{tag}>"
        assert [a for a in attrs if a.startswith("on")] == [], f"{where}: <{tag}> has event handlers {attrs}"
        assert "class" not in attrs and "id" not in attrs, f"{where}: <{tag}> relies on a stylesheet: {attrs}"
        if tag == "a":
            assert attrs.get("href", "").startswith(("https://", "http://")), f"{where}: link {attrs}"
        if tag == "img":
            assert (attrs.get("alt") or "").strip(), f"{where}: image without alt {attrs}"
            assert attrs.get("src", "").startswith(("https://", "http://")), f"{where}: image {attrs}"
            assert attrs.get("width", "").isdigit(), f"{where}: image without width {attrs}"
    styled = [tag for tag, attrs in read.elements if tag in ("table", "td", "p", "a", "h3", "img")]
    assert styled and all("style" in attrs for tag, attrs in read.elements if tag in styled), \
        f"{where}: elements without inline styles"
    return read


def test_one_item_per_week_newest_first_linking_its_week_page(site):
    build_dir(site)
    data = _digest(site)
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0 and parsed.version == "rss20", parsed.get("bozo_exception")
    assert parsed.feed.title == "Weekly digest — Test Papers"
    assert [l.href for l in parsed.feed.links if l.rel == "self"] == [SITE_URL + "weeks/feed.xml"]
    assert [e.link for e in parsed.entries] == [f"{SITE_URL}weeks/{key}/" for key, _, _ in WEEKS]
    assert [e.id for e in parsed.entries] == [e.link for e in parsed.entries]  # stable: the week's page
    # Dated by the week's last listing day: the same bytes whenever it is built.
    assert [parsedate_to_datetime(e.published).date() for e in parsed.entries] == [end for _, end, _ in WEEKS]
    assert [e.title for e in parsed.entries] == ["Top papers of week 12 of 2024 (from Mar 18)",
                                                 "Top papers of week 11 of 2024 (from Mar 11)",
                                                 "Top papers of week 10 of 2024 (from Mar 4)"]
    feed = read_feed(data, "weeks/feed.xml")  # plain-text fields hold no markup, content only sanitised elements
    assert feed.items[1].description.startswith(
        "The 2 most upvoted of the 4 papers listed from March 11, 2024 to March 12, 2024. 1. Top Paper; 2. Alpha Paper")
    build_dir(site)
    assert _digest(site) == data


def test_content_is_the_weeks_top_papers_by_upvotes_as_email_safe_html(site):
    build_dir(site)
    for item, (key, _, titles) in zip(_items(_digest(site)), WEEKS, strict=True):
        read = email_safe(item.findtext(CONTENT), key)
        titled = [attrs["href"] for tag, attrs in read.elements if tag == "a" and "/papers/" in attrs["href"]]
        text = " ".join(" ".join(read.text).split())
        assert [t for t in titles if t in text] == titles  # with images off the text names every paper
        assert len(titled) == len(titles) <= 2  # digest_size
        assert [text.index(t) for t in titles] == sorted(text.index(t) for t in titles)  # by upvotes, then title
        assert all(link.startswith(SITE_URL + "papers/") for link in titled)
        assert f"{SITE_URL}weeks/{key}/" in [attrs["href"] for tag, attrs in read.elements if tag == "a"]
    top = email_safe(_items(_digest(site))[1].findtext(CONTENT))
    text = " ".join(" ".join(top.text).split())
    assert "#1 · 30 upvotes" in text and "#2 · 20 upvotes" in text and "Ann Lee, Bo Chen 2" in text
    opening = snippet(_abstract("Top Paper"))
    assert opening.endswith(" …") and opening in text  # the abstract's opening, cut after a word
    assert {"https://arxiv.org/abs/2403.00002", "https://arxiv.org/pdf/2403.00002", "https://github.com/x/y"} \
        <= {attrs["href"] for tag, attrs in top.elements if tag == "a"}
    assert "arXiv · PDF · Code" in text
    images = [attrs for tag, attrs in top.elements if tag == "img"]
    assert [i["src"] for i in images] == ["https://example.com/top.png"] and "Top Paper" in images[0]["alt"]
    late = email_safe(_items(_digest(site))[0].findtext(CONTENT))
    assert [attrs["src"] for tag, attrs in late.elements if tag == "img"] == [SITE_URL + "thumbs/late.png"]


def test_the_digest_is_bounded_by_feed_items_and_digest_size(site):
    (site / "sitegen.yaml").write_text(SETTINGS.replace("digest_size: 2", "digest_size: 3") + "feed_items: 2\n")
    report = build_dir(site)
    assert "weeks/feed.xml" in report.rendered_files
    items = _items(_digest(site))
    assert [i.findtext("link") for i in items] == [f"{SITE_URL}weeks/{key}/" for key, _, _ in WEEKS[:2]]
    text = " ".join(email_safe(items[1].findtext(CONTENT)).text)
    assert [t for t in ("Top Paper", "Alpha Paper", "Beta Paper", "Low Paper") if t in text] == \
        ["Top Paper", "Alpha Paper", "Beta Paper"]


def test_digest_size_alone_renders_the_digest_again(site):
    """digest_size is no public setting (no page but the digest shows it): the digest's own
    inputs hold it."""
    build_dir(site)
    (site / "sitegen.yaml").write_text(SETTINGS.replace("digest_size: 2", "digest_size: 1"))
    report = build_dir(site)
    assert "weeks/feed.xml" in report.rendered_files
    assert "Alpha Paper" not in _digest(site).decode()


@pytest.mark.parametrize("edit, shown", [
    (("Low Paper, which goes", "Low Paper, which now goes"), False),  # outside its week's top two
    (("upvotes: 5", "upvotes: 6"), False),  # still outside
    (("Alpha Paper, which goes", "Alpha Paper, which now goes"), True),  # in the top two
    (("upvotes: 5", "upvotes: 25"), True),  # moves into the top two
    (("upvotes: 30", "upvotes: 31"), True),  # the top paper's upvotes are shown
])
def test_an_edit_renders_the_digest_only_if_it_shows_the_paper(site, edit, shown):
    build_dir(site)
    before = _digest(site)
    old, new = edit
    papers = site / "content/papers.yaml"
    assert papers.read_text().count(old) == 1
    papers.write_text(papers.read_text().replace(old, new))
    report = build(load_config(site)[0], jobs=1)
    assert ("weeks/feed.xml" in report.rendered_files) is shown, report.rendered_files
    assert (_digest(site) != before) is shown


def test_week_pages_link_their_digest(site):
    build_dir(site)
    for key, _, _ in WEEKS:
        page = (site / f"output/weeks/{key}/index.html").read_text()
        assert '<link rel="alternate" type="application/rss+xml" title="Weekly digest — Test Papers" ' \
               'href="/repo/weeks/feed.xml">' in page
        assert '<a class="rss" href="/repo/weeks/feed.xml">Weekly digest (RSS)</a>' in page
    assert "weeks/feed.xml" not in (site / "output/months/2024-03/index.html").read_text()


def test_subscribe_url_links_every_header_and_the_front_page(site):
    build_dir(site)
    pages = sorted((site / "output").rglob("*.html"))
    assert not any("Subscribe" in p.read_text() or SUBSCRIBE in p.read_text() for p in pages)
    (site / "sitegen.yaml").write_text(SETTINGS + f"subscribe_url: {SUBSCRIBE}\n")
    report = build_dir(site)
    assert set(report.rendered_files) >= {p.relative_to(site / "output").as_posix() for p in pages}
    for page in pages:
        assert f'<li><a href="{SUBSCRIBE}" class="subscribe">Subscribe</a></li>' in page.read_text(), page
    assert f'in your inbox. <a href="{SUBSCRIBE}">Subscribe</a></p>' in (site / "output/index.html").read_text()
    assert "in your inbox" not in (site / "output/weeks/2024-W11/index.html").read_text()


# --- the format on its own -------------------------------------------------------------

def _shown(title: str, **fields) -> SimpleNamespace:
    values = dict(id="p1", url="/repo/papers/p1/", day=date(2024, 3, 11), thumbnail=None, title_text=title,
                  abstract="", abstract_text="An abstract.", authors=[SimpleNamespace(name="Ann")], tags=[],
                  upvotes=1, links=[])
    values.update(fields)
    return SimpleNamespace(**values)


def _week(*papers) -> digest.Week:
    return digest.Week("2024-W11", "week 11 of 2024 (from Mar 11)", "weeks/2024-W11/", date(2024, 3, 11),
                       date(2024, 3, 11), len(papers), list(papers))


def test_links_a_message_cannot_follow_are_left_out(tmp_path):
    """A link in the site gets the site's origin; one that is neither that nor http(s) is
    left out (the model refuses such links: the format does not rely on it)."""
    config = load_config(write_files(tmp_path, {"sitegen.yaml": f"base_url: {SITE_URL}\n"}))[0]
    link = SimpleNamespace
    paper = _shown("A <b>title</b>", thumbnail="javascript:alert(1)", links=[
        link(label="PDF", url="/repo/files/p1.pdf"), link(label="Bad", url="javascript:alert(1)"),
        link(label="Data", url="data:text/html,x"), link(label="Other", url="//evil.example/x")])
    read = email_safe(digest.week_html(config, _week(paper)))
    assert [(t, a.get("href")) for t, a in read.elements if t in ("a", "img")] == [
        ("a", SITE_URL + "papers/p1/"), ("a", "https://example.org/repo/files/p1.pdf"),
        ("a", SITE_URL + "weeks/2024-W11/")]
    assert "A <b>title</b>" in "".join(read.text)


def test_many_authors_are_named_up_to_a_limit(tmp_path):
    config = load_config(tmp_path)[0]
    names = [SimpleNamespace(name=f"Author {n}") for n in range(digest.DIGEST_AUTHORS + 5)]
    many = digest.paper_html(config, _shown("T", authors=names))
    assert f"Author {digest.DIGEST_AUTHORS - 1} and 5 more<" in many and f"Author {digest.DIGEST_AUTHORS}" not in many
    one_more = digest.paper_html(config, _shown("T", authors=names[: digest.DIGEST_AUTHORS + 1]))
    assert f", Author {digest.DIGEST_AUTHORS}<" in one_more and " more" not in one_more
