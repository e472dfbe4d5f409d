"""The write stage's safety and the sharing of render work between processes."""

from pathlib import Path

import pytest

from sitegen.engine.cachedir import CacheDir
from sitegen.write import manifest as manifest_module
from sitegen.write.manifest import Manifest, Record
from sitegen.urls import UnsafePath, checked_relative
from sitekit import PAPER, build_dir, output_tree


@pytest.mark.parametrize("name", ["/etc/passwd", "../x.html", "papers/../../x", "a\\b", "a\x00b"])
def test_names_that_would_leave_the_folder_are_refused(name):
    with pytest.raises(UnsafePath):
        checked_relative(name)


@pytest.mark.parametrize("name", ["index.html", "papers/2203.00555/cite.bib", "tags/a..b/index.html"])
def test_ordinary_names_pass(name):
    assert checked_relative(name) == name


def test_a_rebuild_does_not_write_through_a_link_out_of_the_output_folder(make_site, tmp_path, runner):
    from sitegen.commands.cli import main

    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    paper = site / "output" / "papers" / "2203.00555"
    for file in paper.iterdir():
        file.unlink()
    paper.rmdir()
    paper.symlink_to(elsewhere)  # output/papers/<id>/ now leads outside
    before = output_tree(site / "output")
    (site / "content/papers.yaml").write_text(PAPER.replace("excel in", "shine in"))

    result = runner.invoke(main, ["build", "--site", str(site)])

    assert result.exit_code == 1
    assert "outside the output folder" in result.output
    assert list(elsewhere.iterdir()) == []
    assert output_tree(site / "output") == before  # nothing moved before the refusal


def built_manifest(site: Path):
    return Manifest.load(CacheDir(site).manifest(site / "output"), site / "output")


def test_a_fresh_build_process_restores_damaged_output_while_rebuilding_an_edit(make_site):
    import subprocess
    import sys

    site = make_site({"content/papers.yaml": PAPER})
    command = [sys.executable, "-m", "sitegen", "build", "--site", str(site), "--quiet"]
    subprocess.run(command, check=True)
    expected = output_tree(site / "output")
    (site / "output/authors/index.html").unlink()
    (site / "output/days/index.html").write_text("changed by hand")
    (site / "content/papers.yaml").write_text(PAPER + " ")  # an edit that changes no page
    subprocess.run(command, check=True)  # a single-threaded process: the check runs in a fork
    assert output_tree(site / "output") == expected


def test_a_build_with_damaged_output_checks_each_file_once(make_site, monkeypatch):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    files = len(built_manifest(site).records)
    (site / "output/index.html").unlink()  # inputs unchanged: the no-change check finds it
    checked = []
    matches = Manifest._matches
    monkeypatch.setattr(Manifest, "_matches", lambda self, name: checked.append(name) or matches(self, name))
    report = build_dir(site)
    assert report.rendered_files == ["index.html"]
    assert len(checked) == files  # the build went on with the no-change check's answer


def _edit_and_build(site: Path, old: str, new: str):
    papers = site / "content/papers.yaml"
    papers.write_text(papers.read_text().replace(old, new))
    return build_dir(site)


@pytest.fixture
def journaled(monkeypatch):
    """A tiny site's edit changes a large share of its records: journal them anyway."""
    monkeypatch.setattr(manifest_module, "JOURNAL_SHARE", 0.001)


def test_a_rebuild_appends_its_records_to_the_journal_and_a_reload_replays_them(make_site, journaled):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    manifest = built_manifest(site)
    whole = manifest.path.read_bytes()
    report = _edit_and_build(site, "excel in", "shine in")
    assert report.rendered > 0
    assert manifest.path.read_bytes() == whole  # not rewritten
    assert manifest.journal.stat().st_size > 0
    reloaded = built_manifest(site)
    assert reloaded.records["papers/2203.00555/index.html"] != manifest.records["papers/2203.00555/index.html"]
    assert all(reloaded._matches(name) for name in reloaded.records)  # each record is the file on disk
    assert build_dir(site).rendered == 0


def test_a_torn_journal_entry_is_ignored_and_its_pages_render_again(make_site, journaled):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    _edit_and_build(site, "excel in", "shine in")
    journal = built_manifest(site).journal
    journal.write_bytes(journal.read_bytes()[:-3])  # the build was cut off while appending
    again = build_dir(site)
    assert "papers/2203.00555/index.html" in again.rendered_files  # its record is the one before the edit
    clean = make_site({"content/papers.yaml": PAPER.replace("excel in", "shine in")})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")
    assert build_dir(site).rendered == 0


def test_the_journal_is_folded_into_the_whole_once_it_grows(make_site, monkeypatch):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    monkeypatch.setattr(manifest_module, "JOURNAL_SHARE", 1000)  # any entry is too much
    _edit_and_build(site, "excel in", "shine in")
    manifest = built_manifest(site)
    assert not manifest.journal.exists()
    assert all(manifest._matches(name) for name in manifest.records)


def test_journal_entries_of_another_whole_are_ignored(make_site, journaled):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    _edit_and_build(site, "excel in", "shine in")
    manifest = built_manifest(site)
    entries = manifest.journal.read_bytes()
    manifest._save_whole()  # a new whole; as if the journal could not be removed after it:
    manifest.journal.write_bytes(entries)
    assert built_manifest(site).records == manifest.records


def test_save_keeps_the_records_under_a_folder_current_and_writes_what_changed(tmp_path):
    output = tmp_path / "output"
    manifest = Manifest.load(CacheDir(tmp_path).made() / "manifest.bin", output)
    first = {name: Record("in", "d", 1, 2) for name in ("a/1.json", "a/2.json", "b/x.html", "ab.html")}
    manifest.save(first, [])
    assert manifest.under("a") == {"a/1.json": first["a/1.json"], "a/2.json": first["a/2.json"]}
    manifest.save({"a/3.json": Record("in", "e", 3, 4), "b/x.html": Record("new", "f", 5, 6)}, ["a/1.json", "gone"])

    def prefixed(records):
        return {n: r for n, r in records.items() if n.startswith("a/")}

    assert manifest.under("a") == prefixed(manifest.records) == {"a/2.json": first["a/2.json"],
                                                                  "a/3.json": Record("in", "e", 3, 4)}
    reloaded = Manifest.load(CacheDir(tmp_path).path / "manifest.bin", output)
    assert reloaded.records == manifest.records
    assert reloaded.under("a") == manifest.under("a")

