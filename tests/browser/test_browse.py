"""One browser test per user path: reading the listing, following a paper and an
author, the archive and topics, a phone screen, dark mode, and a missing page."""

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


def test_index_paper_author(page, sample_site, tmp_path):
    """Also takes the README's screenshot (into docs/ when SITEGEN_UPDATE_SCREENSHOT=1)."""
    page.goto(sample_site)
    assert page.locator("h1").count() == 1
    assert page.locator("main").count() == 1 and page.locator("header nav").count() == 1
    assert "Daily Papers" in page.title()
    screenshot = README_SCREENSHOT if os.environ.get("SITEGEN_UPDATE_SCREENSHOT") == "1" else tmp_path / "index.png"
    screenshot.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(screenshot), full_page=False)
    assert screenshot.stat().st_size > 10_000

    card_link = page.locator(".card-title a").first
    title = card_link.inner_text()
    card_link.click()
    page.wait_for_load_state()
    assert page.url.startswith(sample_site + "papers/")
    assert page.locator("h1").inner_text() == title
    assert page.locator("meta[name=citation_author]").count() == page.locator(".authors-full a").count()
    assert page.locator("a.link-arxiv").count() == 1

    author_link = page.locator(".authors-full a").first
    author = author_link.inner_text()
    author_link.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == author
    assert title in page.locator(".works").inner_text()
    assert page.outside_requests == [] and page.console_errors == []


def test_archive_day_topics(page, sample_site):
    page.goto(sample_site)
    page.get_by_role("link", name="Archive").first.click()
    assert page.url == sample_site + "days/"
    page.locator(".calendar td.has-papers a").first.click()
    assert page.locator("h1").inner_text().startswith("Papers of")
    older = page.locator(".day-nav a[rel=prev]")
    if older.count():
        older.click()
        assert page.locator("h1").inner_text().startswith("Papers of")
    page.get_by_role("link", name="Topics").first.click()
    assert page.url == sample_site + "tags/"
    page.locator(".tag-cloud a").first.click()
    assert page.locator(".card").count() >= 1
    assert page.outside_requests == []


def test_copy_bibtex(page, sample_site):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(sample_site + "papers/2203.00555/")
    button = page.get_by_role("button", name="Copy BibTeX")
    button.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@inproceedings{dao2022monarch,")


def test_phone_width_has_no_horizontal_scroll(browser, sample_site):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    page = context.new_page()
    for path in ("", "papers/2302.10866/", "authors/michael-poli/", "days/"):
        page.goto(sample_site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 361, path
    context.close()


def _luminance(css_colour: str) -> float:
    r, g, b = (int(v) for v in css_colour[css_colour.index("(") + 1:].rstrip(")").split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_mode_follows_the_system(browser, sample_site):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    page.goto(sample_site)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    text = page.evaluate("getComputedStyle(document.body).color")
    assert _luminance(background) < 0.2 and _luminance(text) > 0.8
    context.close()


def test_missing_page_is_the_404_page(page, sample_site):
    response = page.goto(sample_site + "no/such/page/")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "Page not found"
    page.get_by_role("link", name="The latest papers").click()
    assert page.url == sample_site


def test_search_finds_papers_by_abstract_word_and_author_under_a_sub_path(page, sample_site):
    page.goto(sample_site)
    page.fill("#site-search-input", "hardware-efficient")
    page.press("#site-search-input", "Enter")
    page.wait_for_url(sample_site + "search/?q=hardware-efficient")
    first = page.locator("#search-results .card-title a").first
    first.wait_for()
    assert first.inner_text().startswith("Monarch")
    assert page.locator("#search-results mark").count() >= 1

    page.fill("#search-input", "Gilpin")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('Gilpin')")
    titles = page.locator("#search-results .card-title a").all_inner_texts()
    assert titles == ["Chaos as an interpretable benchmark for forecasting and data-driven modelling"]
    page.locator("#search-results .card-title a").first.click()
    assert page.url == sample_site + "papers/2110.05266/"
    assert page.outside_requests == [] and page.console_errors == []


def test_search_folds_accents_and_plurals_and_matches_word_beginnings(page, sample_site):
    page.goto(sample_site + "search/?q=christopher%20re")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('match')")
    by_re = page.locator("#search-results .search-authors").all_inner_texts()
    assert by_re and all("Christopher Ré" in authors for authors in by_re)

    page.fill("#search-input", "neural ODE")  # the titles say "Neural ODEs"
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('neural ODE')")
    titles = page.locator("#search-results .card-title a").all_inner_texts()
    assert "Dissecting Neural ODEs" in titles

    page.fill("#search-input", "hyper")  # typing: a word beginning finds "Hypersolvers"
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('hyper')")
    titles = page.locator("#search-results .card-title a").all_inner_texts()
    assert any(title.startswith("Hypersolvers") for title in titles)
    assert page.console_errors == []


def test_search_says_when_nothing_matches(page, sample_site):
    page.goto(sample_site + "search/?q=xylophone")
    page.wait_for_function("document.querySelector('#search-status').textContent.includes('No papers')")
    assert page.locator("#search-results li").count() == 0
