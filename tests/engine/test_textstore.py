"""The store of rendered texts keeps its keys in memory and notices other builds' changes."""

import pytest

from sitegen.config import load_config
from sitegen.content.load import load_papers
from sitegen.formats.markup import render_abstract
from sitegen.engine.textstore import TextStore, _record_parts, _text_from_row, row, text_record
from sitekit import write_files


def papers(tmp_path, *abstracts: str):
    entries = "".join(f"- id: p{n}\n  title: Paper {n}\n  authors: [Ada Lovelace]\n  abstract: {abstract!r}\n"
                      f"  published: 2024-01-02\n" for n, abstract in enumerate(abstracts))
    write_files(tmp_path / "site", {"content/x.yaml": entries})
    config, _ = load_config(tmp_path / "site")
    found, problems, _ = load_papers(config)
    assert not [p for p in problems if p.is_error], problems
    return found


def test_keys_and_warnings_are_kept_up_to_date_by_adds_and_prunes(tmp_path):
    good, bad = papers(tmp_path, "Fine $x$.", "Broken $\\frac{1$ math.")
    store = TextStore(tmp_path / "texts.sqlite")
    assert store.missing([good, bad]) == [good, bad]
    store.add([row(good), row(bad)])
    assert store.missing([good, bad]) == []
    assert list(store.warnings()) == [bad.text_key]
    store.prune([good], spare=1)  # one text no paper has: within what may be spared
    assert store.missing([good, bad]) == []
    store.prune([good])
    assert store.missing([good, bad]) == [bad]
    assert store.warnings() == {}
    reopened = TextStore(tmp_path / "texts.sqlite")
    assert reopened.missing([good, bad]) == [bad]


def test_a_store_kept_open_sees_what_another_build_changed(tmp_path):
    first, second = papers(tmp_path, "One.", "Two.")
    kept = TextStore(tmp_path / "texts.sqlite")
    kept.add([row(first), row(second)])
    assert kept.missing([first, second]) == []
    other = TextStore(tmp_path / "texts.sqlite")  # a `sitegen build` while `sitegen serve` runs
    other.prune([first])
    other.close()
    assert kept.missing([first, second]) == [second]


def test_a_store_kept_open_knows_when_its_file_was_deleted(tmp_path):
    path = tmp_path / "cache" / "texts.sqlite"
    kept = TextStore(path)
    assert kept.is_current(path)
    kept.close()
    for name in path.parent.iterdir():  # the user removes .sitegen/ while serving
        name.unlink()
    assert not kept.is_current(path)
    assert TextStore(path).is_current(path)


def test_a_bibtex_abstract_is_the_views_whether_stored_viewed_or_neither(tmp_path):
    """Views.abstract_text reads one column, or takes a view's text, or renders the text
    itself when the store lacks it: all three give what the paper's view shows."""
    from sitegen.content.model import build_site
    from sitegen.engine.textstore import StoredTexts
    from sitegen.pages.views import Views

    stored, viewed, missing = papers(tmp_path, "Stored *with* $x^2$.", "Viewed \\'e text.", "Never  stored.")
    config, _ = load_config(tmp_path / "site")
    site = build_site([stored, viewed, missing])
    store = TextStore(tmp_path / "texts.sqlite")
    store.add([row(stored), row(viewed)])
    views = Views(site, config, StoredTexts(site.papers, tmp_path / "texts.sqlite"))
    views.paper(viewed.id)
    expected = {p.id: Views(site, config, StoredTexts(site.papers, tmp_path / "none.sqlite")).paper(p.id).abstract_text
                for p in (stored, viewed, missing)}
    assert {i: views.abstract_text(i) for i in expected} == expected
    assert expected[stored.id] == "Stored with x^2."  # the plain text, not the HTML


def test_texts_read_all_at_once_are_the_texts_read_one_by_one(tmp_path, monkeypatch):
    """A render process of a full build reads every text when it opens the store; what
    it shows is what reading each when needed shows, a text the store lacks included."""
    from sitegen.content.model import build_site
    from sitegen.engine.textstore import StoredTexts
    from sitegen.pages.views import Views

    stored, other, missing = papers(tmp_path, "Stored *with* $x^2$.", "Other \\'e text.", "Never  stored.")
    config, _ = load_config(tmp_path / "site")
    site = build_site([stored, other, missing])
    TextStore(tmp_path / "texts.sqlite").add([row(stored), row(other)])
    one_by_one = StoredTexts(site.papers, tmp_path / "texts.sqlite")
    at_once = StoredTexts(site.papers, tmp_path / "texts.sqlite", read_all=True)
    shown = lambda texts: [(v.title, v.abstract, v.abstract_text) for v in
                           (Views(site, config, texts).paper(p.id) for p in (stored, other, missing))]
    assert shown(at_once) == shown(one_by_one)
    assert at_once.abstract_text(other.id) == one_by_one.abstract_text(other.id) == "Other \u00e9 text."
    assert at_once.abstract_text(missing.id) is None
    monkeypatch.setattr(TextStore, "get", lambda *a: pytest.fail("read one by one"))
    monkeypatch.setattr(TextStore, "abstract_text", lambda *a: pytest.fail("read one by one"))
    assert at_once.get(stored.id).abstract.text == "Stored with x^2."
    assert at_once.abstract_text(stored.id) == "Stored with x^2."


def test_texts_shared_by_the_text_processes_are_the_stored_texts(tmp_path, monkeypatch):
    """Beyond TEXTS_READ_AT_ONCE papers a render process reads the texts the text
    processes shared; what it shows is what the store gives, and a text they did not
    share (one stored by an earlier build) still comes from the store."""
    from sitegen.content.model import build_site
    from sitegen.engine.shared_fragments import SharedFragments
    from sitegen.engine.textstore import StoredTexts, text_record
    from sitegen.pages.views import Views

    shared_one, stored_only, missing = papers(tmp_path, "Shared *with* $x^2$ and \u00e9.", "Stored \\'e only.", "Never.")
    config, _ = load_config(tmp_path / "site")
    site = build_site([shared_one, stored_only, missing])
    rows = [row(shared_one), row(stored_only)]
    TextStore(tmp_path / "texts.sqlite").add(rows)
    shared = SharedFragments(tmp_path, workers=1, expected=4)
    shared.attach(0)
    key, stored = rows[0]
    shared.put(("text", key), text_record(stored))
    shared.close_files()

    from_store = StoredTexts(site.papers, tmp_path / "texts.sqlite")
    from_shared = StoredTexts(site.papers, tmp_path / "texts.sqlite", shared=shared)
    shown = lambda texts: [(v.title, v.title_text, v.abstract, v.abstract_text) for v in
                           (Views(site, config, texts).paper(p.id) for p in (shared_one, stored_only, missing))]
    assert shown(from_shared) == shown(from_store)
    assert from_shared.abstract_text(stored_only.id) == "Stored \u00e9 only."
    monkeypatch.setattr(TextStore, "get", lambda *a: pytest.fail("read from the store"))
    monkeypatch.setattr(TextStore, "abstract_text", lambda *a: pytest.fail("read from the store"))
    assert from_shared.get(shared_one.id).abstract.text == "Shared with x^2 and \u00e9."
    assert from_shared.abstract_text(shared_one.id) == "Shared with x^2 and \u00e9."
    shared.remove()


def test_an_abstract_is_read_back_as_written_and_rendered_whether_or_not_the_row_kept_it(tmp_path):
    abstracts = ("Plain prose, nothing to render.", "Two paragraphs\nof prose.\n\nThe second.",
                 "Some *emphasis* and $x^2$.", "Prose  with   odd\n\n\n\nspacing.")
    written = papers(tmp_path, *abstracts)
    store = TextStore(tmp_path / "texts.sqlite")
    store.add([row(paper) for paper in written])
    rows = {key: (html, source) for key, html, source in
            store.db.execute("SELECT key, abstract_html, abstract_source FROM texts")}
    prose = written[0]  # its HTML is its text's paragraphs, its source its text: neither kept
    assert rows[prose.text_key] == (None, None)
    assert rows[written[2].text_key][0] is not None and rows[written[2].text_key][1] == written[2].abstract
    assert store.api_texts(written) == {p.text_key: (f"Paper {n}", p.abstract) for n, p in enumerate(written)}
    for paper in written:
        expected = render_abstract(paper.abstract)
        for text in (store.get(paper), store.all_texts()[paper.text_key],
                     _text_from_row(_record_parts(text_record(row(paper)[1])))):
            assert (text.abstract.html, text.abstract.text, text.abstract.excerpt) == \
                (expected.html, expected.text, expected.excerpt)
