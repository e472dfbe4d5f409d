"""End to end: small sites built in temp folders and checked as a reader sees them."""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import bibtexparser
import feedparser
import pytest

from sitekit import PAPER, build_dir, generated_listing, output_tree, write_files
from feedfields import read_as_html, read_feed
from invariants import check_site
from sitegen.config import load_config
from sitegen.problems import ContentError, TemplateProblem
import sitegen.engine.build
import sitegen.engine.texts
import sitegen.engine.workers
from sitegen.engine.build import build

SPEC_URLS = [
    "index.html", "papers/2203.00555/index.html", "papers/2203.00555/cite.bib", "authors/index.html",
    "authors/michael-poli/index.html", "days/index.html", "days/2024-03-13/index.html", "tags/index.html",
    "tags/efficient-training/index.html", "feed.xml", "authors/michael-poli/feed.xml",
    "tags/efficient-training/feed.xml", "weeks/2024-W11/index.html", "weeks/feed.xml", "sitemap.xml", "robots.txt",
    "404.html",
]


@pytest.fixture
def site(make_site):
    return make_site({"content/papers.yaml": PAPER,
                      "sitegen.yaml": "title: Test Papers\nbase_url: https://user.github.io/repo/\n"})


def test_every_spec_url_exists_under_a_sub_path(site):
    report = build_dir(site)
    output = site / "output"
    for name in SPEC_URLS:
        assert (output / name).is_file(), name
    counts = check_site(output, "/repo/", "https://user.github.io/repo/")
    assert counts["feeds"] == 1 + 5 + 3 + 1  # site, each author, each tag, the weekly digest
    assert report.written == report.pages
    index = (output / "index.html").read_text()
    assert 'href="/repo/papers/2002.08071/"' in index  # the newest day
    assert '<link rel="canonical" href="https://user.github.io/repo/">' in index


def test_feed_items_are_absolute_and_dated_by_listing_day(site):
    build_dir(site)
    feed = feedparser.parse((site / "output/feed.xml").read_bytes())
    assert feed.bozo == 0
    assert feed.feed.title == "Test Papers"
    first = feed.entries[0]
    assert first.link == first.id == "https://user.github.io/repo/papers/2002.08071/"
    assert first.published == "Thu, 14 Mar 2024 00:00:00 +0000"
    assert [l.href for l in feed.feed.links if l.rel == "self"] == ["https://user.github.io/repo/feed.xml"]


def test_sitemap_and_robots(site):
    build_dir(site)
    root = ET.parse(site / "output/sitemap.xml").getroot()
    locs = [e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://user.github.io/repo/" in locs
    assert "https://user.github.io/repo/papers/2203.00555/" in locs
    assert all(loc.startswith("https://user.github.io/repo/") for loc in locs)
    assert "Sitemap: https://user.github.io/repo/sitemap.xml" in (site / "output/robots.txt").read_text()


def test_bibtex_parses_with_the_fields(site):
    build_dir(site)
    library = bibtexparser.parse_string((site / "output/papers/2203.00555/cite.bib").read_text())
    (entry,) = library.entries
    assert entry.key == "dao2022monarch"
    assert entry["author"] == "Tri Dao and Michael Poli and Christopher Ré"
    assert entry["eprint"] == "2203.00555"
    works = bibtexparser.parse_string((site / "output/authors/michael-poli/works.bib").read_text())
    assert [e.key for e in works.entries] == ["dao2022monarch", "massaroli2020dissecting"]


def test_bibtex_leaves_the_abstract_out_unless_the_site_asks(site):
    bib = site / "output/papers/2203.00555/cite.bib"
    works = site / "output/authors/michael-poli/works.bib"
    build_dir(site)
    assert "abstract" not in bibtexparser.parse_string(bib.read_text()).entries[0].fields_dict
    assert 'class="bibtex"' in (site / "output/papers/2203.00555/index.html").read_text()
    settings = site / "sitegen.yaml"
    settings.write_text(settings.read_text() + "bibtex_abstracts: true\n")
    build_dir(site)
    (entry,) = bibtexparser.parse_string(bib.read_text()).entries
    assert entry["abstract"] == "Large neural networks excel in many domains."
    assert all("abstract" in e.fields_dict for e in bibtexparser.parse_string(works.read_text()).entries)
    page = (site / "output/papers/2203.00555/index.html").read_text()
    assert "abstract = {Large neural networks excel in many domains.}" in page  # the Cite box shows the same entry


def test_author_page_lists_works_newest_first_and_coauthors(site):
    build_dir(site)
    html = (site / "output/authors/michael-poli/index.html").read_text()
    assert html.index("Monarch") < html.index("Dissecting Neural ODEs")
    assert "/repo/authors/stefano-massaroli/" in html and "/repo/authors/christopher-re/" in html


def test_listing_cards_show_an_excerpt_and_day_pages_the_whole_abstract(make_site):
    words = " ".join(f"word{i}" for i in range(80))
    site = make_site({"content/a.yaml": f"""\
        id: long
        title: Long
        authors: [Ann Lee]
        abstract: "Opening $x^2$ {words} closing."
        published: 2024-01-01
        day: 2024-03-13
        tags: [theory]
        """})
    build_dir(site)
    whole, excerpt = "word79 closing.</p>", "word37 &hellip;</p>"
    for page in ("days/2024-03-13/index.html", "index.html", "papers/long/index.html"):
        html = (site / "output" / page).read_text()
        assert whole in html and excerpt not in html, page
    for page in ("authors/ann-lee/index.html", "tags/theory/index.html", "weeks/2024-W11/index.html",
                 "months/2024-03/index.html"):
        html = (site / "output" / page).read_text()
        assert excerpt in html and "word38" not in html and "<math" in html, page


def test_day_page_orders_by_upvotes(site):
    build_dir(site)
    html = (site / "output/days/2024-03-13/index.html").read_text()
    assert html.index("Monarch") < html.index("HiPPO")


HOSTILE = """\
id: evil
title: "<script>alert(1)</script> <img src=x onerror=alert(2)>"
authors: ["<b onmouseover=alert(3)>Mallory</b>", "javascript:alert(4)"]
abstract: |
  <script>alert(5)</script><img src=x onerror=alert(6)> <a href="javascript:alert(7)">x</a>
  <iframe src="https://evil.example"></iframe> <svg onload=alert(8)></svg> [y](data:text/html,boo)
  <style>body{display:none}</style> <form action=https://evil.example><input></form>
published: 2024-01-01
tags: ["<script>t</script>"]
venue: "</title><script>alert(9)</script>"
"""


def test_hostile_content_never_becomes_markup(make_site):
    site = make_site({"content/evil.yaml": HOSTILE})
    build_dir(site)
    check_site(site / "output", content_links={"/x"})  # parses every page: no handlers, no script

    for path in (site / "output").rglob("*.html"):
        text = path.read_text()
        theme_scripts = r'<script type="application/ld\+json">[^<]*</script>|<script src="/(copy|search).js"[^>]*>'
        text = re.sub(theme_scripts, "", text)
        assert not re.search(r"<(script|iframe|style|object|embed)\b", text, re.I), path
        assert len(re.findall(r"<form\b", text)) == len(re.findall(r'<form class="[\w-]+" role="search"', text))
        assert not re.search(r"(href|src|action)=\"\s*(javascript|data|vbscript):", text, re.I), path
    # A feed's markup is escaped text, which a reader parses again: each field is read
    # as the reader reads it (feedfields.py): titles, descriptions, names and topics
    # hold no element, content:encoded only what the sanitiser allows.
    feeds = sorted((site / "output").rglob("*.xml"))
    names = set()
    for path in feeds:
        if path.relative_to(site / "output").as_posix() == "weeks/feed.xml":  # the weekly digest: a week an item
            (week,) = read_feed(path.read_bytes(), "weeks/feed.xml").items
            assert week.title == "Top papers of week 1 of 2024 (from Jan 1)"
            assert "<script>alert(1)</script> <img src=x onerror=alert(2)>" in week.description
            shown = "".join(read_as_html(week.content).text)
            assert "<script>alert(1)</script> <img src=x onerror=alert(2)>" in shown
            assert "<b onmouseover=alert(3)>Mallory</b>, javascript:alert(4)" in shown
        elif path.name == "feed.xml":
            feed = read_feed(path.read_bytes(), path.name)
            names.add(feed.title)
            for item in feed.items:
                assert item.title == "<script>alert(1)</script> <img src=x onerror=alert(2)>"
                assert item.creators == ["<b onmouseover=alert(3)>Mallory</b>", "javascript:alert(4)"]
                assert item.categories == ["<script>t</script>"]
        else:
            assert path.name == "sitemap.xml" and "<script" not in path.read_text(), path
    assert "<b onmouseover=alert(3)>Mallory</b> — Papers" in names and "<script>t</script> — Papers" in names


def test_a_failed_build_leaves_output_untouched(site):
    build_dir(site)
    before = output_tree(site / "output")
    (site / "content/bad.yaml").write_text("id: x\ntitle: [unclosed\n")
    (site / "content/papers.yaml").write_text(PAPER.replace("Dissecting", "Changed"))
    with pytest.raises(ContentError) as error:
        build_dir(site)
    assert "content/bad.yaml:3" in error.value.report() or "content/bad.yaml:2" in error.value.report()
    assert output_tree(site / "output") == before
    assert not list((site / ".sitegen").glob("staging-*"))


def test_a_template_error_leaves_output_untouched(site):
    build_dir(site)
    before = output_tree(site / "output")
    (site / "templates").mkdir()
    (site / "templates/paper.html").write_text('{% extends "base.html" %}\n{% block main %}\n{{ paper.nope }}\n{% endblock %}\n')
    with pytest.raises(TemplateProblem) as error:
        build_dir(site)
    assert "paper.html" in str(error.value) and ":3:" in str(error.value)
    assert output_tree(site / "output") == before


def test_second_build_renders_and_writes_nothing(site):
    build_dir(site)
    report = build_dir(site)
    assert (report.rendered, report.written, report.deleted) == (0, 0, 0)


def test_with_no_input_changed_a_rebuild_stops_before_reading_content(site, monkeypatch):
    build_dir(site)
    monkeypatch.setattr(sitegen.engine.build, "prepare", lambda *a, **k: pytest.fail("content was read"))
    report = build_dir(site)
    assert (report.rendered, report.written, report.pages) == (0, 0, sum(p.is_file() for p in (site / "output").rglob("*")))
    assert list(report.timings) == ["check"]


def test_a_build_command_with_nothing_to_do_does_not_load_the_build_and_repeats_its_warnings(make_site):
    """`sitegen build` asks uptodate.py before it imports the build (the model, Jinja,
    Markdown): a rebuild with nothing changed needs none of them."""
    site = make_site({"content/a.yaml": PAPER.replace("abstract: ", "abstract: Broken $\\frac{1}{$ math. ", 1)})
    command = [sys.executable, "-c", "import runpy, sys; sys.argv = ['sitegen', 'build', '--site', sys.argv[1]];"
               "import atexit; atexit.register(lambda: print(sorted(m for m in sys.modules"
               " if m in ('jinja2', 'markdown', 'sitegen.engine.build', 'sitegen.content.model'))));"
               "from sitegen.commands.cli import main; main()", str(site)]
    first = subprocess.run(command, capture_output=True, text=True)
    again = subprocess.run(command, capture_output=True, text=True)
    assert first.returncode == again.returncode == 0, first.stderr + again.stderr
    assert "'sitegen.engine.build'" in first.stdout and "0 rendered, 0 written" in again.stdout
    assert again.stdout.splitlines()[-1] == "[]"
    warning = [line for line in first.stderr.splitlines() if "a.yaml" in line]
    assert warning and warning == [line for line in again.stderr.splitlines() if "a.yaml" in line]


@pytest.mark.parametrize("change", ["touch content", "touch theme", "delete output", "edit output", "setting"])
def test_any_changed_input_or_output_takes_the_full_path(site, change):
    first = build_dir(site)
    (site / "templates").mkdir()
    (site / "templates/robots.txt").write_text("unused")  # a site template folder the stamp watches
    build_dir(site)
    page = site / "output/index.html"
    original = page.read_bytes()
    if change == "touch content":
        os.utime(site / "content/papers.yaml", ns=(1, 1))
    elif change == "touch theme":
        os.utime(site / "templates/robots.txt", ns=(1, 1))
    elif change == "delete output":
        page.unlink()
    elif change == "edit output":
        page.write_bytes(b"changed by hand")
    else:
        (site / "sitegen.yaml").write_text("title: Other Title\nbase_url: https://user.github.io/repo/\n")
    report = build_dir(site)
    assert "check" not in report.timings
    if change == "setting":
        assert report.rendered > first.rendered / 2 and b"Other Title" in page.read_bytes()
    else:
        assert page.read_bytes() == original and report.rendered == (1 if "output" in change else 0)


def test_editing_one_abstract_renders_only_what_shows_it(site):
    build_dir(site)
    (site / "content/papers.yaml").write_text(PAPER.replace("Continuous deep learning", "Edited deep learning"))
    config, _ = load_config(site)
    report = build(config, jobs=1, explain=True)
    # The search index is one task of the plan (its meta.json), asserted below file by file.
    rendered = sorted(name for name, why in report.reasons if not name.startswith("search-index/"))
    pages = sorted(name for name in report.rendered_files if not name.startswith("search-index/"))
    assert "search-index/meta.json" in report.rendered_files
    # Not its cite.bib nor its authors' works.bib: BibTeX entries leave the abstract out.
    assert rendered == pages == sorted([
        "papers/2002.08071/index.html",
        "index.html", "days/2024-03-14/index.html", "weeks/2024-W11/index.html", "months/2024-03/index.html",
        "feed.xml", "weeks/feed.xml", "api/papers.json",  # the weekly digest shows its week's top ten
        "authors/michael-poli/index.html", "authors/michael-poli/feed.xml",
        "authors/stefano-massaroli/index.html", "authors/stefano-massaroli/feed.xml",
        "tags/efficient-training/index.html", "tags/efficient-training/feed.xml",
        "tags/neural-odes/index.html", "tags/neural-odes/feed.xml",
    ])
    # The search index: the paper's record, the shard of the word that came ("edited"),
    # and meta.json, which lists that new shard.
    indexed = sorted(name for name, why in report.reasons if why == "search index changed")
    assert indexed == ["search-index/docs/0.json", "search-index/meta.json", "search-index/terms/edi.json"]
    assert report.written == len(rendered) + len(indexed)


@pytest.mark.parametrize("edit, bibtex_abstracts", [("abstract", True), ("title", False)])
def test_an_edit_the_bibtex_shows_renders_the_bibtex(site, edit, bibtex_abstracts):
    settings = site / "sitegen.yaml"
    settings.write_text(settings.read_text() + f"bibtex_abstracts: {str(bibtex_abstracts).lower()}\n")
    build_dir(site)
    old = "Continuous deep learning" if edit == "abstract" else "Dissecting Neural ODEs"
    (site / "content/papers.yaml").write_text(PAPER.replace(old, "Edited " + old))
    report = build_dir(site)
    bibtex = {"papers/2002.08071/cite.bib", "authors/michael-poli/works.bib", "authors/stefano-massaroli/works.bib"}
    assert bibtex <= set(report.rendered_files)
    assert all(("Edited " + old) in (site / "output" / name).read_text() for name in bibtex)


def test_a_fresh_process_renders_an_edits_few_texts_in_a_worker_as_it_would_itself(site, make_site, monkeypatch):
    """A process that has not rendered a text yet hands the few an edit needs to one
    worker (it loads Markdown and latex2mathml while this one plans)."""
    build_dir(site)
    edited = PAPER.replace("Continuous deep learning", "Edited deep $x^2$ learning")
    (site / "content/papers.yaml").write_text(edited)
    workers = []
    real = sitegen.engine.processes.pool
    monkeypatch.setattr(sitegen.engine.texts, "renderers_loaded", lambda: False)
    monkeypatch.setattr(sitegen.engine.processes, "pool", lambda count, *args: workers.append(count) or real(count, *args))
    config, _ = load_config(site)
    report = build(config, jobs=2)
    assert (report.texts, workers[:1]) == (1, [1])
    clean = make_site({"content/papers.yaml": edited, "sitegen.yaml": (site / "sitegen.yaml").read_text()})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")
    assert "<math" in (site / "output/papers/2002.08071/index.html").read_text()


def test_removed_papers_lose_their_pages(site):
    build_dir(site)
    (site / "content/papers.yaml").write_text(PAPER.split('- id: "2002.08071"')[0])
    report = build_dir(site)
    assert not (site / "output/papers/2002.08071").exists()
    assert not (site / "output/authors/stefano-massaroli").exists()
    assert report.deleted >= 5


def test_incremental_output_equals_a_clean_build(site, make_site):
    build_dir(site)
    (site / "content/papers.yaml").write_text(PAPER.replace("Tri Dao", "Tri Dao Jr").replace("upvotes: 12", "upvotes: 99"))
    build_dir(site)
    clean = make_site({"content/papers.yaml": (site / "content/papers.yaml").read_text(),
                       "sitegen.yaml": (site / "sitegen.yaml").read_text()})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")


def test_jobs_do_not_change_output(site, make_site):
    other = make_site({"content/papers.yaml": PAPER, "sitegen.yaml": (site / "sitegen.yaml").read_text()})
    config, _ = load_config(site)
    build(config, jobs=1)
    config, _ = load_config(other)
    build(config, jobs=3)
    assert output_tree(site / "output") == output_tree(other / "output")


def test_a_hand_edited_output_file_is_restored(site):
    build_dir(site)
    page = site / "output/papers/2203.00555/index.html"
    original = page.read_bytes()
    page.write_text("tampered")
    report = build_dir(site)
    assert report.written == 1 and page.read_bytes() == original


def test_drafts_are_left_out_unless_asked(make_site):
    site = make_site({"content/a.yaml": PAPER.replace("upvotes: 40", "upvotes: 40\n  draft: true")})
    build_dir(site)
    assert not (site / "output/papers/2203.00555").exists()
    build_dir(site, drafts=True)
    assert (site / "output/papers/2203.00555/index.html").exists()


def test_markdown_entries(make_site):
    site = make_site({"content/notes/monarch.md": """\
        ---
        id: monarch
        title: Monarch with $O(n \\log n)$
        authors: [Tri Dao]
        published: 2022-03-01
        ---
        The **abstract** with H\\"older.
        """})
    build_dir(site)
    html = (site / "output/papers/monarch/index.html").read_text()
    assert "<strong>abstract</strong> with Hölder" in html and "<math" in html
    assert "<title>Monarch with O(n" in html


def test_output_folder_may_not_hold_the_site(make_site):
    from sitegen.write.commit import OutputLocationError
    site = make_site({"content/a.yaml": PAPER})
    for output in (".", "content", ".."):
        config, _ = load_config(site, output=output)
        with pytest.raises(OutputLocationError):
            build(config, jobs=1)


def test_paginated_listings_have_stable_urls(make_site):
    papers = "".join(f"- id: p{i}\n  title: Paper {i}\n  authors: [Ann Lee]\n  abstract: x\n"
                     f"  published: 2024-01-01\n  tags: [big]\n" for i in range(7))
    site = make_site({"content/a.yaml": papers, "sitegen.yaml": "per_page: 3\n"})
    build_dir(site)
    out = site / "output"
    for base in ("tags/big/", "authors/ann-lee/", "days/2024-01-01/"):
        assert (out / base / "index.html").is_file() and (out / base / "page/3/index.html").is_file()
        assert not (out / base / "page/4").exists()
    page2 = (out / "tags/big/page/2/index.html").read_text()
    assert '<link rel="prev" href="/tags/big/">' in page2 and '<link rel="next" href="/tags/big/page/3/">' in page2
    check_site(out)


def test_api_exports_papers_and_authors(site):
    import json

    build_dir(site)
    papers = json.loads((site / "output/api/papers.json").read_text())
    assert papers["count"] == 3 and papers["pages"] == 1 and papers["next"] is None
    assert [p["id"] for p in papers["papers"]] == ["2002.08071", "2203.00555", "2206.12037"]
    first = papers["papers"][1]
    assert first["url"] == "https://user.github.io/repo/papers/2203.00555/"
    assert [a["name"] for a in first["authors"]] == ["Tri Dao", "Michael Poli", "Christopher Ré"]
    assert first["links"] == {"arxiv": "https://arxiv.org/abs/2203.00555"}
    config, _ = load_config(site)
    sources = {p.id: p.abstract for p in sitegen.engine.build.prepare(config)[0].papers.values()}
    assert first["abstract"] == sources["2203.00555"]  # as written, read back from the text store
    authors = json.loads((site / "output/api/authors.json").read_text())
    poli = next(a for a in authors["authors"] if a["slug"] == "michael-poli")
    assert poli["papers"] == ["2203.00555", "2002.08071"]


def test_a_new_process_takes_an_api_pages_unchanged_records_from_the_page_in_output(site, make_site, monkeypatch):
    from sitegen.formats import api

    monkeypatch.setattr(api, "_WORTH_TAKING", 0)  # a page of three papers
    build_dir(site)
    made = []
    real = api.paper_record
    monkeypatch.setattr(api, "paper_record", lambda *a: made.append(a[2]) or real(*a))
    for number in range(2):
        edited = PAPER.replace("Continuous deep learning", f"Edited {number} deep learning")
        (site / "content/papers.yaml").write_text(edited)
        made.clear()
        build_dir(site)
        if number == 0:
            assert made == ["2002.08071"]  # the other two records were the last page's
        else:
            assert sorted(made) == ["2002.08071", "2203.00555", "2206.12037"]
        clean = make_site({"content/papers.yaml": edited, "sitegen.yaml": (site / "sitegen.yaml").read_text()})
        build_dir(clean)
        assert output_tree(site / "output") == output_tree(clean / "output")
        page = site / "output/api/papers.json"  # changed by hand: its records are not taken
        page.write_bytes(page.read_bytes().replace(b"Monarch", b"Mon\\u0061rch"))


def test_large_api_export_is_paginated(make_site, monkeypatch):
    import json

    from sitegen.formats import api
    monkeypatch.setattr(api, "PAGE_SIZE", 2)
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    first = json.loads((site / "output/api/papers.json").read_text())
    assert first["pages"] == 2 and first["next"].endswith("/api/papers/page/2.json")
    second = json.loads((site / "output/api/papers/page/2.json").read_text())
    assert second["next"] is None and len(first["papers"]) + len(second["papers"]) == 3


def test_rebuild_parses_and_renders_only_what_changed(site):
    first = build_dir(site)
    assert first.parsed == 1 and first.texts == 3
    again = build_dir(site)
    assert (again.parsed, again.texts, again.rendered) == (0, 0, 0)
    (site / "content/more.yaml").write_text("id: x1\ntitle: New\nauthors: [Ann Lee]\nabstract: Fresh text.\n"
                                            "published: 2024-03-14\n")
    added = build_dir(site)
    assert (added.parsed, added.texts) == (1, 1)


def test_bad_math_warns_on_every_build_naming_the_file(make_site):
    site = make_site({"content/a.yaml": PAPER.replace("Large neural networks", "Broken $\\\\frac{a$ math")})
    for _ in range(2):
        report = build_dir(site)
        assert [(w.path, w.field) for w in report.warnings if "math" in w.message] == [("content/a.yaml", "abstract")]
    assert "math-source" in (site / "output/papers/2203.00555/index.html").read_text()


def _pooled_listing(root, papers=80):
    """A listing with enough pages that rendering goes to worker processes (build.CHUNK)."""
    site = generated_listing(root, papers)
    config, _ = load_config(site)
    return site, config


def test_render_processes_give_what_one_process_gives(tmp_path):
    one, one_config = _pooled_listing(tmp_path / "one")
    four, four_config = _pooled_listing(tmp_path / "four")
    build(one_config, jobs=1)
    report = build(four_config, jobs=4)
    assert report.rendered > 4 * sitegen.engine.workers.CHUNK  # four processes shared the render order
    assert output_tree(one / "output") == output_tree(four / "output")


def test_a_template_error_in_a_render_process_stops_every_process_and_names_the_line(tmp_path):
    site, config = _pooled_listing(tmp_path / "site")
    build(config, jobs=2)
    before = output_tree(site / "output")
    papers = sorted(p.name for p in (site / "output/papers").iterdir())
    broken = papers[len(papers) // 2]
    write_files(site, {"templates/paper.html": '{% extends "base.html" %}\n{% block main %}\n'
                       f'{{% if paper.id == "{broken}" %}}{{{{ paper.nope }}}}{{% endif %}}\n{{% endblock %}}\n'})
    with pytest.raises(TemplateProblem) as error:
        build(config, jobs=2)
    assert f"papers/{broken}/" in str(error.value) and "paper.html" in str(error.value) and ":3" in str(error.value)
    assert output_tree(site / "output") == before
    assert not list((site / ".sitegen").glob("staging-*"))


# Identifiers as people write them (issue: bare DOIs and arXiv ids were taken as paths
# in the site, and every card, paper page and feed linked a page that does not exist).
IDENTIFIERS = """\
- id: monarch
  title: "Monarch: Expressive Structured Matrices"
  authors: [Tri Dao, Michael Poli]
  abstract: Large neural networks excel in many domains.
  published: 2022-03-01
  day: 2024-03-13
  links:
    doi: 10.48550/arXiv.2203.00555
    arxiv: 2203.00555
- id: hippo
  title: How to Train Your HiPPO
  authors: [Albert Gu]
  abstract: Linear time-invariant state space models.
  published: 2022-06-24
  day: 2024-03-13
  links:
    doi: "doi:10.1002/(SICI)1097-4636(199706)35:4<498::AID-JBM8>3.0.CO;2-B"
    arxiv: "arXiv:hep-th/9901001v2"
- id: odes
  title: Dissecting Neural ODEs
  authors: [Stefano Massaroli]
  abstract: Continuous deep learning architectures.
  published: 2020-02-18
  day: 2024-03-14
  links:
    doi: 'https://dx.doi.org/10.1234/"><script>alert(1)</script>'
    arxiv: 1501.00001v2
"""
MONARCH_DOI = "https://doi.org/10.48550/arXiv.2203.00555"
HIPPO_DOI = "https://doi.org/10.1002/(SICI)1097-4636(199706)35:4%3C498::AID-JBM8%3E3.0.CO;2-B"
HOSTILE_DOI = "https://doi.org/10.1234/%22%3E%3Cscript%3Ealert(1)%3C/script%3E"


def _json_ld(html: str) -> dict:
    import json

    return json.loads(re.search(r'<script type="application/ld\+json">([^<]*)</script>', html).group(1))


def test_bare_dois_and_arxiv_ids_are_doi_org_and_arxiv_org_links_everywhere(make_site, runner):
    import json

    from sitegen.commands.cli import main

    site = make_site({"content/papers.yaml": IDENTIFIERS,
                      "sitegen.yaml": "title: Test Papers\nbase_url: https://user.github.io/repo/\n"})
    report = build_dir(site)
    assert report.warnings == []
    out = site / "output"
    links = {"monarch": (MONARCH_DOI, "https://arxiv.org/abs/2203.00555"),
             "hippo": (HIPPO_DOI, "https://arxiv.org/abs/hep-th/9901001v2"),
             "odes": (HOSTILE_DOI, "https://arxiv.org/abs/1501.00001v2")}
    cards = {"monarch": ["days/2024-03-13/index.html", "authors/tri-dao/index.html", "weeks/2024-W11/index.html"],
             "hippo": ["days/2024-03-13/index.html", "weeks/2024-W11/index.html", "months/2024-03/index.html"],
             "odes": ["index.html", "days/2024-03-14/index.html", "authors/stefano-massaroli/index.html"]}
    for paper_id, (doi, arxiv) in links.items():
        for page in [f"papers/{paper_id}/index.html"] + cards[paper_id]:
            html = (out / page).read_text()
            assert f'<a href="{doi}" class="link-doi"' in html, (paper_id, page)
            assert f'<a href="{arxiv}" class="link-arxiv"' in html, (paper_id, page)
    assert "<script>alert" not in (out / "papers/odes/index.html").read_text()

    paper = (out / "papers/hippo/index.html").read_text()
    bare = "10.1002/(SICI)1097-4636(199706)35:4<498::AID-JBM8>3.0.CO;2-B"
    assert f'<meta name="citation_doi" content="{bare.replace("<", "&lt;").replace(">", "&gt;")}">' in paper
    assert '<meta name="citation_arxiv_id" content="hep-th/9901001v2">' in paper
    data = _json_ld(paper)
    assert data["sameAs"] == [links["hippo"][1], HIPPO_DOI]
    assert {"@type": "PropertyValue", "propertyID": "DOI", "value": bare} in data["identifier"]
    assert {"@type": "PropertyValue", "propertyID": "arXiv", "value": "hep-th/9901001v2"} in data["identifier"]
    monarch = (out / "papers/monarch/index.html").read_text()
    assert '<meta name="citation_doi" content="10.48550/arXiv.2203.00555">' in monarch
    assert '<meta name="citation_pdf_url" content="https://arxiv.org/pdf/2203.00555">' in monarch

    entries = {e.key: {k: f.value for k, f in e.fields_dict.items()}
               for e in bibtexparser.parse_string((out / "papers/hippo/cite.bib").read_text()).entries}
    [hippo] = entries.values()
    assert hippo["doi"] == bare and hippo["eprint"] == "hep-th/9901001v2" and hippo["url"] == links["hippo"][1]
    [monarch_bib] = bibtexparser.parse_string((out / "papers/monarch/cite.bib").read_text()).entries
    assert monarch_bib.fields_dict["doi"].value == "10.48550/arXiv.2203.00555"

    api = {p["id"]: p["links"] for p in json.loads((out / "api/papers.json").read_text())["papers"]}
    assert api == {pid: {"arxiv": arxiv, "doi": doi} for pid, (doi, arxiv) in links.items()}

    for feed in [out / "feed.xml", *out.glob("*/*/feed.xml")]:  # a path such as /repo/10.48550/... nowhere
        text = feed.read_text()
        assert "10.48550" not in text and "9901001" not in text and "<script" not in text, feed
    check_site(out, "/repo/", "https://user.github.io/repo/")
    result = runner.invoke(main, ["check", "--site", str(site), "--links"])
    assert result.exit_code == 0 and "broken link" not in result.stderr, result.stderr
    assert "No problems found." in result.stderr


RELATIVE = """\
- id: monarch
  title: Monarch
  authors:
    - Tri Dao
    - name: Ann Lee
      url: people/ann/
  abstract: Text.
  published: 2022-03-01
  day: 2024-03-13
  thumbnail: figures/missing.png
  links:
    slides: slides/talk.pdf
    poster: slides/poster.pdf
    day: days/2024-03-13/
    home: /repo/
    bib: papers/hippo/cite.bib
    other: ./papers/hippo
    gone: papers/nothing/
    top: /days/2024-03-13/
    arxiv: 2203.055
    anchor: "#abstract"
    page: papers/hippo/index.html
- id: hippo
  title: HiPPO
  authors: [Albert Gu]
  abstract: Text.
  published: 2022-06-24
  day: 2024-03-13
  thumbnail: figures/one.png
"""


def test_a_link_into_the_site_to_nothing_is_a_warning_with_file_line_and_field(make_site, runner):
    import json

    from sitegen.engine.state import Warm
    from sitegen.commands.cli import main

    site = make_site({"content/papers.yaml": RELATIVE,
                      "content/authors.yaml": "- name: Albert Gu\n  url: people/albert.html\n"
                                              "- name: Tri Dao\n  url: authors/tri-dao/\n",
                      "static/slides/talk.pdf": "%PDF", "static/figures/one.png": "png",
                      "sitegen.yaml": "base_url: https://user.github.io/repo/\n"})
    expected = [
        ("content/authors.yaml", 2, "url", "'people/albert.html' is not a page of this site nor a file in static/"),
        ("content/papers.yaml", 6, "authors[2].url", "'people/ann/' is not a page of this site nor a file in static/"),
        ("content/papers.yaml", 10, "thumbnail", "'figures/missing.png' is not a page of this site nor a file in static/"),
        ("content/papers.yaml", 13, "links.poster", "'slides/poster.pdf' is not a page of this site nor a file in static/"),
        ("content/papers.yaml", 18, "links.gone", "'papers/nothing/' is not a page of this site nor a file in static/"),
        ("content/papers.yaml", 19, "links.top", "'/days/2024-03-13/' is outside the site, whose pages are under /repo/"),
        ("content/papers.yaml", 20, "links.arxiv", "'2203.055' is not a page of this site nor a file in static/"),
    ]

    def found(problems):
        return [(p.path, p.line, p.field, p.message) for p in problems if p.field != "base_url"]

    report = build_dir(site)
    assert found(report.warnings) == expected
    assert all(not w.is_error and w.hint for w in report.warnings)
    by_field = {w.field: w for w in report.warnings}
    assert "static/slides/poster.pdf" in by_field["links.poster"].hint
    assert "2203.00555" in by_field["links.arxiv"].hint
    assert str(by_field["links.poster"]).startswith("content/papers.yaml:13: warning: links.poster: 'slides/poster.pdf'")
    html = (site / "output/authors/albert-gu/index.html").read_text()
    assert 'href="/repo/people/albert.html"' in html  # under the base path, as links are
    api = json.loads((site / "output/api/papers.json").read_text())["papers"]
    monarch = next(p for p in api if p["id"] == "monarch")["links"]
    assert monarch["slides"] == "https://user.github.io/repo/slides/talk.pdf"
    assert monarch["home"] == "https://user.github.io/repo/" and monarch["other"] == "https://user.github.io/repo/papers/hippo"
    authors = json.loads((site / "output/api/authors.json").read_text())["authors"]
    assert next(a for a in authors if a["slug"] == "albert-gu")["homepage"] == "https://user.github.io/repo/people/albert.html"

    # Again with nothing changed (the stamp's warnings), in a fresh process and in a warm one.
    assert found(build_dir(site).warnings) == expected
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 0 and "content/papers.yaml:13: warning: links.poster" in result.stderr
    config, _ = load_config(site)
    warm = Warm()
    assert found(build(config, jobs=1, warm=warm).warnings) == expected
    assert found(build(config, jobs=1, warm=warm).warnings) == expected
    # An edit elsewhere (an incremental build) still reports it; the file now there ends it.
    papers = site / "content/papers.yaml"
    papers.write_text(papers.read_text().replace("abstract: Text.\n  published: 2022-06-24", "abstract: New.\n  published: 2022-06-24"))
    assert found(build(config, jobs=1, warm=warm).warnings) == expected
    (site / "static/slides/poster.pdf").write_text("%PDF")
    assert found(build(config, jobs=1, warm=warm).warnings) == [w for w in expected if w[2] != "links.poster"]
    assert found(build_dir(site).warnings) == [w for w in expected if w[2] != "links.poster"]

    check = runner.invoke(main, ["check", "--site", str(site)])
    assert check.exit_code == 0
    assert [line for line in check.stderr.splitlines() if ": warning: " in line and "base_url" not in line] == \
        [line for line in map(str, build_dir(site).warnings) if "base_url" not in line]
