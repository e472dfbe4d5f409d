"""After any successful build, output/ holds exactly what the content makes, whatever
state `.sitegen/` is in (missing, from another folder, from another sitegen), but the
files `keep_files` names; and a renamed or copied site keeps its caches."""

from __future__ import annotations

import marshal
import shutil
import subprocess
from pathlib import Path

import pytest

from sitegen.commands.cli import main
from sitegen.config import load_config
from sitekit import build_dir, output_tree, write_files

SETTINGS = "title: Clean\nbase_url: https://example.org/\nper_page: 2\n"
DEFAULT_KEEP = frozenset({".git", ".nojekyll", "CNAME"})


def entry(paper_id: str, title: str, authors: list[str], tags: list[str], day: int, upvotes: int) -> str:
    return (f"id: {paper_id}\ntitle: {title!r}\nauthors: {authors!r}\n"
            f"abstract: The abstract of {title} with $x^2$.\npublished: 2024-03-{day:02d}\n"
            f"tags: {tags!r}\nupvotes: {upvotes}\n")


KEPT_PAPERS = {
    "p1": entry("p1", "Monarch Matrices", ["Tri Dao", "Albert Gu"], ["efficient training"], 13, 40),
    "p2": entry("p2", "How to Train Your HiPPO", ["Albert Gu"], ["state space models"], 13, 31),
    "p3": entry("p3", "Dissecting Neural ODEs", ["Michael Poli", "Tri Dao"], ["efficient training"], 14, 12),
}
# Deleting these removes a paper page and its cite.bib each, the only paper of "Solo
# Quixote" (author page, feed, works.bib) and of the topic "lonely topic", page 2 of
# the day 2024-03-13 (four papers, two a page, down to two), and search shards of
# words no other paper has.
DELETED_PAPERS = {
    "d1": entry("d1", "Zephyr Quagmire Xylophones", ["Solo Quixote"], ["lonely topic"], 13, 5),
    "d2": entry("d2", "Wombat Juxtaposition", ["Albert Gu", "Tri Dao"], ["state space models"], 13, 2),
}


def write_site(root: Path, papers: dict[str, str], extra: dict[str, str] | None = None) -> Path:
    files = {"sitegen.yaml": SETTINGS, "static/extra.txt": "a site's own static file\n", **(extra or {})}
    files.update({f"content/{paper_id}.yaml": text for paper_id, text in papers.items()})
    return write_files(root, files)


def delete_papers(site: Path) -> None:
    for paper_id in DELETED_PAPERS:
        (site / "content" / f"{paper_id}.yaml").unlink()


@pytest.fixture(scope="module")
def clean_tree(tmp_path_factory) -> dict[str, bytes]:
    """What a clean build of the content left after the deletion makes."""
    site = write_site(tmp_path_factory.mktemp("clean") / "site", KEPT_PAPERS)
    build_dir(site)
    return output_tree(site / "output")


def is_kept(name: str, keep: frozenset[str]) -> bool:
    """The name is one of `keep` or inside one of them."""
    parts = name.split("/")
    return any("/".join(parts[:n]) in keep for n in range(1, len(parts) + 1))


def add_kept_files(output: Path) -> None:
    write_files(output, {"CNAME": "papers.example.org\n", ".nojekyll": "",
                         ".git/HEAD": "ref: refs/heads/gh-pages\n", ".git/objects/ab/cdef": b"\x00\x01"})


def kept_state(output: Path, keep: frozenset[str] = DEFAULT_KEEP) -> dict[str, tuple[bytes, int]]:
    """The kept files' bytes and mtimes: untouched means both the same."""
    return {p.relative_to(output).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(output.rglob("*")) if p.is_file() and is_kept(p.relative_to(output).as_posix(), keep)}


def not_kept(tree: dict[str, bytes], keep: frozenset[str] = DEFAULT_KEEP) -> dict[str, bytes]:
    return {name: data for name, data in tree.items() if not is_kept(name, keep)}


# --- the starting states: each takes a built site and returns the site folder to build again


def cache_deleted(site: Path, tmp_path: Path) -> Path:
    shutil.rmtree(site / ".sitegen")
    return site


def site_renamed(site: Path, tmp_path: Path) -> Path:
    return site.rename(site.with_name("renamed"))


def site_copied(site: Path, tmp_path: Path) -> Path:
    copy = site.with_name("copy")
    shutil.copytree(site, copy, symlinks=True)  # times kept, as `cp -a` keeps them
    return copy


def site_copied_with_new_times(site: Path, tmp_path: Path) -> Path:
    copy = site.with_name("copy")
    shutil.copytree(site, copy, symlinks=True, copy_function=shutil.copy)  # as plain `cp -r`
    return copy


def manifest_of_another_version(site: Path, tmp_path: Path) -> Path:
    manifests = list((site / ".sitegen").glob("manifest-*.bin"))
    assert manifests
    for path in manifests:
        data = marshal.loads(path.read_bytes())
        data["sitegen"] = "0.0.1"
        path.write_bytes(marshal.dumps(data))
    return site


def _git(cwd: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "init.defaultBranch=main",
               *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def _published_branch(tmp_path: Path) -> Path:
    """A repository whose gh-pages branch holds an older build of the site: its papers
    and one more, since deleted, with .nojekyll and CNAME beside it."""
    older = write_site(tmp_path / "older", {**KEPT_PAPERS, **DELETED_PAPERS,
                                             "o1": entry("o1", "Obsolete Yodeling", ["Old Author"], ["old"], 12, 1)})
    build_dir(older)
    published = older / "output"
    write_files(published, {".nojekyll": "", "CNAME": "papers.example.org\n"})
    _git(published, "init", "-q")
    _git(published, "checkout", "-q", "-b", "gh-pages")
    _git(published, "add", "-A")
    _git(published, "commit", "-q", "-m", "Deploy")
    return published


def gh_pages_checkout(site: Path, tmp_path: Path) -> Path:
    """output/ replaced by a clone of the published branch; the cache as the last build left it."""
    published = _published_branch(tmp_path)
    shutil.rmtree(site / "output", ignore_errors=True)
    _git(tmp_path, "clone", "-q", "--branch", "gh-pages", str(published), str(site / "output"))
    return site


def gh_pages_checkout_in_ci(site: Path, tmp_path: Path) -> Path:
    """A CI job: a fresh checkout of the sources (no cache), the branch cloned into output/."""
    shutil.rmtree(site / ".sitegen", ignore_errors=True)
    return gh_pages_checkout(site, tmp_path)


STATES = [cache_deleted, site_renamed, site_copied, site_copied_with_new_times, manifest_of_another_version,
          gh_pages_checkout, gh_pages_checkout_in_ci]


@pytest.mark.parametrize("state", STATES, ids=[state.__name__ for state in STATES])
def test_a_build_after_deletions_equals_a_clean_build_whatever_the_cache(tmp_path, clean_tree, state):
    site = write_site(tmp_path / "site", {**KEPT_PAPERS, **DELETED_PAPERS})
    build_dir(site)
    add_kept_files(site / "output")
    site = state(site, tmp_path)
    output = site / "output"
    kept = kept_state(output)
    before = not_kept(output_tree(output))
    stale = before.keys() - clean_tree.keys()
    assert {"papers/d1/index.html", "authors/solo-quixote/feed.xml", "days/2024-03-13/page/2/index.html"} <= stale
    assert any(name.startswith("search-index/") for name in stale)
    delete_papers(site)

    report = build_dir(site)

    assert not_kept(output_tree(output)) == clean_tree
    assert kept_state(output) == kept and {".git/HEAD", ".nojekyll", "CNAME"} <= kept.keys()
    assert report.deleted == len(stale)


def test_the_published_branch_checked_out_in_output_stays_a_working_checkout(tmp_path):
    site = write_site(tmp_path / "site", {**KEPT_PAPERS, **DELETED_PAPERS})
    site = gh_pages_checkout_in_ci(site, tmp_path)
    head = _git(site / "output", "rev-parse", "HEAD")
    delete_papers(site)
    build_dir(site)
    assert _git(site / "output", "rev-parse", "HEAD") == head
    changes = _git(site / "output", "status", "--porcelain").splitlines()
    assert " D papers/o1/index.html" in changes and " D papers/d1/index.html" in changes
    assert not any(line.endswith((".nojekyll", "CNAME")) for line in changes)


def test_the_summary_says_how_many_files_were_removed_and_quiet_stays_quiet(tmp_path, runner, clean_tree):
    site = write_site(tmp_path / "site", {**KEPT_PAPERS, **DELETED_PAPERS})
    build_dir(site)
    stale = output_tree(site / "output").keys() - clean_tree.keys()
    shutil.rmtree(site / ".sitegen")
    delete_papers(site)
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 0, result.output
    assert f" written, {len(stale)} removed in " in result.output
    shutil.rmtree(site / ".sitegen")
    (site / "output/stray.html").write_text("left by hand")
    quiet = runner.invoke(main, ["build", "--site", str(site), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""
    assert not (site / "output/stray.html").exists()


def test_a_renamed_site_keeps_its_caches(tmp_path):
    site = write_site(tmp_path / "site", {**KEPT_PAPERS, **DELETED_PAPERS})
    twin = write_site(tmp_path / "twin", {**KEPT_PAPERS, **DELETED_PAPERS})
    build_dir(site)
    build_dir(twin)
    moved = site.rename(tmp_path / "moved")

    again = build_dir(moved)

    assert (again.parsed, again.rendered, again.written, again.deleted) == (0, 0, 0, 0)
    assert set(again.timings) == {"check"}  # nothing loaded: the no-change path
    for folder in (moved, twin):
        paper = folder / "content/p2.yaml"
        paper.write_text(paper.read_text().replace("The abstract of", "An edited abstract of"))
    edited, expected = build_dir(moved), build_dir(twin)
    assert edited.parsed == expected.parsed == 1
    assert sorted(edited.rendered_files) == sorted(expected.rendered_files)
    assert "static/extra.txt" not in edited.rendered_files
    assert "papers/p2/index.html" in edited.rendered_files and len(edited.rendered_files) < edited.pages // 2
    assert output_tree(moved / "output") == output_tree(twin / "output")


def test_no_cache_file_holds_the_site_folders_path(tmp_path):
    site = write_site(tmp_path / "site", {**KEPT_PAPERS, **DELETED_PAPERS})
    build_dir(site)
    delete_papers(site)
    build_dir(site)  # the journal, the snapshot of an edit
    where = str(site).encode()
    holding = [p.relative_to(site).as_posix() for p in (site / ".sitegen").rglob("*")
               if p.is_file() and where in p.read_bytes()]
    assert holding == []


def test_files_put_into_output_go_at_the_next_build_that_finds_output_changed(tmp_path):
    site = write_site(tmp_path / "site", KEPT_PAPERS)
    build_dir(site)
    output = site / "output"
    expected = output_tree(output)
    elsewhere = tmp_path / "elsewhere"
    write_files(elsewhere, {"precious.txt": "not the build's to remove"})
    write_files(output, {"stray.html": "by hand", "papers/gone/index.html": "an old page", "CNAME": "x.org\n",
                         "index.html": "a page changed by hand"})
    (output / "empty/inner").mkdir(parents=True)
    (output / "link").symlink_to(elsewhere)  # removed as a link, never followed

    report = build_dir(site)  # the content did not change

    assert report.rendered_files == ["index.html"]
    assert report.deleted == 4  # stray.html, papers/gone/index.html, empty/inner/, link
    assert output_tree(output) == {**expected, "CNAME": b"x.org\n"}
    assert sorted(p.name for p in output.iterdir()) == sorted({*(n.split("/")[0] for n in expected), "CNAME"})
    assert (elsewhere / "precious.txt").read_text() == "not the build's to remove"
    again = build_dir(site)
    assert (again.rendered, again.deleted) == (0, 0)


def test_an_output_folder_as_the_last_build_left_it_is_not_listed(tmp_path, monkeypatch):
    """The hot paths (a no-change build, an edit's) stat each recorded file and list no
    folder: a file put into an otherwise intact output/ waits for a build that finds
    output/ changed, or the manifest gone."""
    from sitegen.write.manifest import Manifest

    site = write_site(tmp_path / "site", KEPT_PAPERS)
    build_dir(site)
    listed = tmp_path / "listed"  # written by whichever process lists, a fork included
    find = Manifest._find_strays
    monkeypatch.setattr(Manifest, "_find_strays", lambda self: listed.touch() or find(self))
    assert build_dir(site).timings.keys() == {"check"}
    paper = site / "content/p1.yaml"
    paper.write_text(paper.read_text().replace("The abstract of", "An edited abstract of"))
    assert build_dir(site).rendered > 0
    assert not listed.exists()
    (site / "output/feed.xml").unlink()
    build_dir(site)
    assert listed.exists()


def test_a_stray_file_where_a_folder_must_be_and_a_folder_where_a_file_must_be(tmp_path, clean_tree):
    site = write_site(tmp_path / "site", {**KEPT_PAPERS, **DELETED_PAPERS})
    build_dir(site)
    output = site / "output"
    shutil.rmtree(site / ".sitegen")
    shutil.rmtree(output / "papers/p1")
    (output / "papers/p1").write_text("a file where the paper's folder goes")
    (output / "feed.xml").unlink()
    write_files(output, {"feed.xml/old.xml": "a folder where the feed goes"})
    delete_papers(site)
    build_dir(site)
    assert output_tree(output) == clean_tree


def test_keep_files_keeps_each_file_or_folder_it_names_and_replaces_the_default(tmp_path):
    site = write_site(tmp_path / "site", KEPT_PAPERS)
    write_files(site, {"sitegen.yaml": SETTINGS + "keep_files: [assets/vendor/, ./notes.txt]\n"})
    build_dir(site)
    output = site / "output"
    expected = output_tree(output)
    kept = {"assets/vendor/lib.js": "lib", "assets/vendor/sub/x.css": "x", "notes.txt": "notes"}
    write_files(output, {**kept, "assets/other.js": "stale", "notes.txt.bak": "stale", ".git/HEAD": "ref\n"})
    shutil.rmtree(site / ".sitegen")
    report = build_dir(site)
    assert output_tree(output) == {**expected, **{name: text.encode() for name, text in kept.items()}}
    assert report.deleted == 3  # .git is not in the list that replaced the default one


def test_a_kept_name_the_build_no_longer_makes_stays(tmp_path):
    site = write_site(tmp_path / "site", KEPT_PAPERS, {"static/CNAME": "papers.example.org\n"})
    build_dir(site)
    assert (site / "output/CNAME").read_text() == "papers.example.org\n"
    (site / "static/CNAME").unlink()
    report = build_dir(site)
    assert (site / "output/CNAME").read_text() == "papers.example.org\n"
    assert report.deleted == 0
    assert build_dir(site).rendered == 0  # and its record is gone: nothing to do after


def test_keep_files_default_and_normalised_entries(tmp_path):
    config, problems = load_config(tmp_path)
    assert config.keep_files == (".git", ".nojekyll", "CNAME") and problems == []
    (tmp_path / "sitegen.yaml").write_text("keep_files:\n  - assets/vendor/\n  - ./CNAME\n  - CNAME\n")
    config, problems = load_config(tmp_path)
    assert config.keep_files == ("assets/vendor", "CNAME") and problems == []
    (tmp_path / "sitegen.yaml").write_text("keep_files: []\n")
    assert load_config(tmp_path)[0].keep_files == ()


@pytest.mark.parametrize("text, line, field", [
    ("keep_files: .git\n", 1, "keep_files"),
    ("title: x\nkeep_files:\n  - CNAME\n  - ../outside\n", 4, "keep_files[2]"),
    ("keep_files: [/etc]\n", 1, "keep_files[1]"),
    ("keep_files: [a/../../b]\n", 1, "keep_files[1]"),
    ("keep_files: [.]\n", 1, "keep_files[1]"),
    ("keep_files: ['']\n", 1, "keep_files[1]"),
    ("keep_files:\n  - 3\n", 2, "keep_files[1]"),
    ("keep_files: {a: b}\n", 1, "keep_files"),
])
def test_bad_keep_files_are_errors_with_file_line_and_field(tmp_path, text, line, field):
    (tmp_path / "sitegen.yaml").write_text(text)
    config, problems = load_config(tmp_path)
    errors = [p for p in problems if p.is_error]
    assert [(p.path, p.line, p.field) for p in errors] == [("sitegen.yaml", line, field)]
    assert config.keep_files == (".git", ".nojekyll", "CNAME")


def test_a_bad_keep_files_stops_the_build_before_it_touches_output(tmp_path, runner):
    site = write_site(tmp_path / "site", KEPT_PAPERS)
    build_dir(site)
    write_files(site, {"sitegen.yaml": SETTINGS + "keep_files: [../site]\n", "output/stray.html": "x"})
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 1
    assert "sitegen.yaml:4" in result.output and "keep_files[1]" in result.output
    assert (site / "output/stray.html").exists()
