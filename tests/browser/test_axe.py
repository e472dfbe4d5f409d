"""Accessibility: axe-core, injected into Debian's Chromium, finds no serious or critical
violation on the index, a paper, an author, a day and the search page, in the light and
the dark colour scheme; and on the front page and a week page of a site with
`subscribe_url` set, whose header and front page link it.

axe-core comes from the npm package `axe-core`, which .ci/run installs into .ci/npm/;
SITEGEN_AXE_JS names another axe.min.js. Without it these tests skip, unless
SITEGEN_REQUIRE_BROWSER=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
AXE_PLACES = (
    REPO / ".ci" / "npm" / "node_modules" / "axe-core" / "axe.min.js",  # .ci/run
    Path("/usr/local/lib/node_modules/axe-core/axe.min.js"),  # npm install -g
    Path("/usr/lib/node_modules/axe-core/axe.min.js"),
)
PAGES = {
    "index": "",
    "paper": "papers/2203.00555/",
    "author": "authors/michael-poli/",
    "day": "days/2024-03-13/",
    "search": "search/?q=monarch",
    # beyond the five the issue names: every other kind of page the theme renders
    "archive": "days/",
    "week": "weeks/2024-W11/",
    "authors": "authors/",
    "topics": "tags/",
    "topic": "tags/sparsity/",
    "not found": "404.html",
}
SCHEMES = ["light", "dark"]
PAGE_RUNS = 22  # docs/testing.md, "What the tests prove": every page above in each scheme
FAILING_IMPACTS = ("serious", "critical")


def _unavailable(reason: str):
    if os.environ.get("SITEGEN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def axe_source() -> str:
    named = os.environ.get("SITEGEN_AXE_JS")
    if named:
        if not Path(named).is_file():
            pytest.fail(f"SITEGEN_AXE_JS={named} is not a file")
        return Path(named).read_text(encoding="utf-8")
    for place in AXE_PLACES:
        if place.is_file():
            return place.read_text(encoding="utf-8")
    _unavailable("axe-core is missing (npm install --prefix .ci/npm axe-core, as .ci/run does, "
                 "or set SITEGEN_AXE_JS)")


@pytest.fixture(scope="module", params=SCHEMES)
def scheme_context(request, browser, axe_source):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=request.param)
    # An init script is not subject to the page's Content-Security-Policy, unlike a <script> tag.
    context.add_init_script(axe_source)
    yield request.param, context
    context.close()


def _describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:8]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node.get('failureSummary', '').strip()}"
                         .replace("\n", " "))
        if len(v["nodes"]) > 8:
            lines.append(f"    … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_serious_or_critical_axe_violations(scheme_context, sample_site, kind):
    check_page(scheme_context, sample_site, kind, PAGES[kind])


# Pages as `subscribe_url` shows them: every header's Subscribe link, the front page's
# call to subscribe, a week page's link to the weekly digest.
SUBSCRIBE_PAGES = {"index": "", "week": "weeks/2024-W11/"}


@pytest.mark.parametrize("kind", list(SUBSCRIBE_PAGES))
def test_subscribe_links_have_no_serious_or_critical_axe_violations(scheme_context, subscribe_site, kind):
    check_page(scheme_context, subscribe_site, f"{kind} with subscribe_url", SUBSCRIBE_PAGES[kind])


def check_page(scheme_context, site: str, kind: str, path: str) -> None:
    scheme, context = scheme_context
    page = context.new_page()
    try:
        response = page.goto(site + path)
        assert response.status == 200, f"{path}: {response.status}"  # the page itself, not the 404 page
        page.wait_for_load_state("load")
        if kind == "search":
            page.locator("#search-results .card-title a").first.wait_for()
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        if "subscribe_url" in kind:
            assert page.locator("a.subscribe").count() == 1, "no Subscribe link in the header"
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    finally:
        page.close()
    assert results["passes"], "axe checked nothing on the page"
    violations = results["violations"]
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    if others:
        print(f"\n{kind} ({scheme}), minor and moderate axe findings:\n{_describe(others)}")
    assert failing == [], f"axe on the {kind} page ({scheme}):\n{_describe(failing)}"


def test_the_page_runs_are_as_many_as_the_readme_counts():
    assert len(PAGES) * len(SCHEMES) == PAGE_RUNS
