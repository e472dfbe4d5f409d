"""A fresh build process takes up the warm state a previous build kept (snapshot.py):
it must give what a clean build gives, whatever snapshot it finds."""

import os
import shutil
import subprocess
import sys

import pytest

import sitegen.engine.build
import sitegen.engine.texts
from sitegen.content import model
from sitegen.engine import snapshot
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.build import build
from sitegen.config import load_config
from sitekit import PAPER, build_dir, generated_listing, output_tree

SECOND = PAPER.replace("excel in", "shine in")


def clean_output(make_site, text: str) -> dict:
    clean = make_site({"content/papers.yaml": text})
    build_dir(clean)
    return output_tree(clean / "output")


def test_a_build_keeps_a_snapshot_and_the_next_process_updates_its_model(make_site, monkeypatch):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    assert (CacheDir(site).snapshot).is_file()
    (site / "content/papers.yaml").write_text(SECOND)

    def whole(*args, **kwargs):
        raise AssertionError("the model was built whole, not updated from the snapshot")

    monkeypatch.setattr("sitegen.content.load.build_site", whole)
    report = build_dir(site)
    assert report.parsed == 1 and "papers/2203.00555/index.html" in report.rendered_files
    monkeypatch.undo()
    assert output_tree(site / "output") == clean_output(make_site, SECOND)


def test_a_small_edit_does_not_rewrite_the_snapshot_and_a_large_lag_does(make_site, monkeypatch):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    kept = CacheDir(site).snapshot
    before = kept.stat().st_mtime_ns
    (site / "content/papers.yaml").write_text(SECOND)
    build_dir(site)
    assert kept.stat().st_mtime_ns == before
    monkeypatch.setattr(snapshot, "LAG", 0)  # one changed paper is now too many
    (site / "content/papers.yaml").write_text(SECOND.replace("shine in", "glow in"))
    build_dir(site)
    assert kept.stat().st_mtime_ns != before


OTHER = """\
- id: "2401.00001"
  title: "Another Paper"
  authors: [Albert Gu]
  abstract: Something else.
  published: 2024-01-01
  day: 2024-03-12
"""


def test_an_old_snapshot_still_gives_a_clean_build(make_site):
    """Snapshots lag the content by design: one several edits old is compared with, not
    trusted to be the last build's. Here the last edit leaves papers.yaml as the build
    before left it, but not as the snapshot saw it."""
    site = make_site({"content/papers.yaml": PAPER, "content/other.yaml": OTHER})
    build_dir(site)
    old = site / "old.pickle"
    shutil.copy(CacheDir(site).snapshot, old)
    for text in (SECOND, SECOND.replace("Tri Dao", "Tri Dao Jr"), SECOND.replace("upvotes: 40", "upvotes: 4")):
        (site / "content/papers.yaml").write_text(text)
        build_dir(site)
        shutil.copy(old, CacheDir(site).snapshot)
    (site / "content/other.yaml").write_text(OTHER.replace("Something else", "Something new"))
    build_dir(site)
    clean = make_site({"content/papers.yaml": (site / "content/papers.yaml").read_text(),
                       "content/other.yaml": (site / "content/other.yaml").read_text()})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")


@pytest.mark.parametrize("damage", [b"", b"not a pickle", None])
def test_a_damaged_or_foreign_snapshot_is_ignored(make_site, damage, monkeypatch):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    kept = CacheDir(site).snapshot
    if damage is None:
        monkeypatch.setattr(snapshot, "__version__", "0.0.0-other")  # written by another sitegen
        (site / "content/papers.yaml").write_text(PAPER.replace("2206.12037", "2206.12038"))
        build_dir(site)
        monkeypatch.undo()
    else:
        kept.write_bytes(damage)
    (site / "content/papers.yaml").write_text(SECOND)
    build_dir(site)
    assert output_tree(site / "output") == clean_output(make_site, SECOND)
    assert snapshot.load(CacheDir(site).snapshot) is not None  # the build wrote a good one


def test_a_site_pickles_with_its_read_only_mappings():
    import pickle
    from datetime import date

    papers = [model.Paper(id=f"p{n}", title="Deep", authors=(model.Credit("Ann Lee"),), abstract="x",
                          published=date(2024, 1, 1), day=date(2024, 1, 2 + n)) for n in range(3)]
    site = model.build_site(papers)
    copy = pickle.loads(pickle.dumps(site))
    assert copy == site and copy.index == site.index
    assert type(copy.papers) is type(site.papers) and type(copy.index.author_slugs) is dict


def test_the_build_command_exits_with_its_status(make_site):
    """`sitegen build` ends its process without freeing the model: output, messages and
    the exit status must be those of an ordinary exit."""
    site = make_site({"content/papers.yaml": PAPER})
    command = [sys.executable, "-m", "sitegen", "build", "--site", str(site)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("Built ")
    (site / "content/papers.yaml").write_text(PAPER.replace("title: ", "titel: ", 1))
    failed = subprocess.run(command, capture_output=True, text=True)
    assert failed.returncode == 1 and "titel" in failed.stdout + failed.stderr


def test_while_texts_render_elsewhere_the_build_process_writes_the_snapshot(tmp_path, monkeypatch):
    """Pickling touches every object of the model: beside a render process, both would
    copy all of it. With texts to render in worker processes, the build process writes
    the snapshot while it waits for them, before any render process exists."""
    site = generated_listing(tmp_path / "site", sitegen.engine.texts.TEXT_CHUNK + 8)
    writers = tmp_path / "writers"
    keep = sitegen.engine.build._keep_snapshot

    def noted(*args):
        with open(writers, "a") as log:
            log.write(f"{os.getpid()}\n")
        keep(*args)

    monkeypatch.setattr(sitegen.engine.build, "_keep_snapshot", noted)
    config, _ = load_config(site)
    build(config, jobs=2)
    assert writers.read_text().split() == [str(os.getpid())]
    assert snapshot.load(CacheDir(site).snapshot) is not None


def test_a_snapshot_restores_papers_equal_and_sharing_what_they_shared(tmp_path):
    """Papers come back from a snapshot without the sharing tables: the pickle itself
    must keep each credit and day one object across papers, and the papers equal."""
    site_dir = generated_listing(tmp_path / "site", 60)
    build_dir(site_dir)
    kept = snapshot.load(CacheDir(site_dir).snapshot)
    assert kept is not None
    papers = list(kept.site.papers.values())
    fresh = model.Paper(**{name: getattr(papers[0], name) for name in model.Paper.__dataclass_fields__})
    assert fresh == papers[0] and fresh.fingerprint == papers[0].fingerprint
    credits = [credit for paper in papers for credit in paper.authors]
    assert len({id(c) for c in credits}) == len(set(credits)) < len(credits)
    days = [paper.day for paper in papers]
    assert len({id(d) for d in days}) == len(set(days)) < len(days)
