"""The search page asks the server only for files it has: whatever a reader types,
letter by letter, no request fails and none answers 404 (on GitHub Pages each 404 also
downloads the site's 404 page)."""

import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sitekit import build_dir

pytestmark = pytest.mark.browser

# Typed one key at a time, so that every prefix of each is searched for on the way.
TYPED = [
    "hyper",  # "h", "hy": prefixes no term of the listing is
    "xylophone",  # matches nothing, and no shard holds its first letters
    "zq",
    "Ré",  # an accent, folded: Christopher Ré
    "深度学习",
    "ß Ωmega",
    "2203 42",
    "?!., -- ;:",
    "café naïve",
    "🙂 ok",
    "Gilpin",
    "neural ODE",
    "monarch",
]
# Typed words of the listing's papers, and what their results show.
MATCHING = {"hyper": "Hypersolvers", "Ré": "Christopher Ré", "Gilpin": "Chaos as an interpretable benchmark",
            "neural ODE": "Dissecting Neural ODEs", "monarch": "Monarch"}
NOTHING = {"xylophone", "zq"}
# Set at once: a very long word, words in many scripts, stop words only, and nothing at all.
FILLED = ["pneumonoultramicroscopicsilicovolcanoconiosis" * 8, "Ελληνικά русский عربى हिन्दी", "the of a", ""]


def _watch_requests(page):
    """Requests in flight, and those that failed or answered with an error."""
    page.in_flight, page.failed = set(), []
    page.on("request", lambda r: page.in_flight.add(r))
    page.on("requestfinished", lambda r: page.in_flight.discard(r))
    page.on("requestfailed", lambda r: (page.in_flight.discard(r), page.failed.append(f"{r.url}: {r.failure}")))
    page.on("response", lambda r: page.failed.append(f"{r.url}: HTTP {r.status}") if r.status >= 400 else None)


def _settle(page, query: str) -> None:
    """Wait until the results of `query` are shown and no request is still on its way."""
    shown = query.strip()
    expected = f"“{shown}”" if shown else "Type to search"
    page.wait_for_function("text => document.querySelector('#search-status').textContent.includes(text)",
                           arg=expected)
    deadline = time.monotonic() + 10
    while page.in_flight and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert not page.in_flight, [r.url for r in page.in_flight]


def test_typing_in_the_search_box_requests_only_files_that_exist(page, sample_site):
    _watch_requests(page)
    page.goto(sample_site + "search/")
    box = page.locator("#search-input")
    _settle(page, "")
    for word in TYPED:
        box.fill("")
        box.press_sequentially(word, delay=20)
        _settle(page, word)
        if word in MATCHING:
            assert MATCHING[word] in page.locator("#search-results").inner_text(), word
        if word in NOTHING:
            assert page.locator("#search-results li").count() == 0, word
    for text in FILLED:
        box.fill(text)
        _settle(page, text)
    assert page.failed == []
    assert page.console_errors == [] and page.outside_requests == []
    requested = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    assert any("/search-index/terms/" in url for url in requested)  # the shards that exist are read


class _StaticHost(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


SCRIPTS = """\
- id: p1
  title: 深度学习 for Ωmega fields
  authors: [Zoë Ångström]
  abstract: AI in 3D, and x.
  published: 2024-03-01
  day: 2024-03-02
- id: p2
  title: Ελληνικά κείμενα
  authors: [Þóra Ólafsdóttir]
  abstract: Ωmega again, in ℌilbert spaces.
  published: 2024-03-01
  day: 2024-03-03
"""


@pytest.fixture
def scripts_site(make_site):
    """A listing whose terms are in several scripts, one and two characters long, served
    from its output folder by a plain static file server."""
    site = make_site({"content/papers.yaml": SCRIPTS, "sitegen.yaml": "title: Scripts\n"})
    build_dir(site)
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_StaticHost, directory=str(site / "output")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_words_in_any_script_find_their_papers_without_a_failed_request(page, scripts_site):
    _watch_requests(page)
    page.goto(scripts_site + "search/")
    box = page.locator("#search-input")
    _settle(page, "")
    found = {"深度学习": "深度学习 for Ωmega", "Ωmega": "Ελληνικά κείμενα", "zoe": "Zoë Ångström",
             "AI": "深度学习", "3D": "深度学习", "x": "深度学习", "Þóra": "Þóra Ólafsdóttir", "κείμενα": "Ελληνικά",
             "hilbert": "Ελληνικά", "ℌilbert": "Ελληνικά"}
    for word, shown in found.items():
        box.fill("")
        box.press_sequentially(word, delay=20)
        _settle(page, word)
        assert shown in page.locator("#search-results").inner_text(), word
    for word in ("深入", "Ωz", "ab", "y"):
        box.fill("")
        box.press_sequentially(word, delay=20)
        _settle(page, word)
        assert page.locator("#search-results li").count() == 0, word
    assert page.failed == [] and page.console_errors == []
