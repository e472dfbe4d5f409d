"""After any sequence of edits, adds, renames and deletes, an incremental build gives
byte for byte what a clean build of the same content gives."""

import shutil

import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.engine.build import build
from sitegen.engine.state import Warm
from sitegen.config import load_config
from sitekit import build_dir, output_tree, write_files

AUTHORS = ["Tri Dao", "Michael Poli", "Christopher Ré", "Albert Gu", "José García", "Jose Garcia"]
TAGS = ["ssm", "efficient training", "SSM", "vision"]


def entry(index: int, title: str, authors: list[str], tags: list[str], day: int, upvotes: int) -> str:
    return (f"- id: p{index}\n  title: {title!r}\n  authors: {authors!r}\n  abstract: Abstract of {title!r} "
            f"with $x^{index}$.\n  published: 2024-03-{day:02d}\n  tags: {tags!r}\n  upvotes: {upvotes}\n")


papers = st.builds(
    lambda title, authors, tags, day, upvotes: (title, authors, tags, day, upvotes),
    st.sampled_from(["Monarch", "HiPPO", "S4D", "Hyena", "Chaos", "Koopman"]),
    st.lists(st.sampled_from(AUTHORS), min_size=1, max_size=3, unique=True),
    st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    st.integers(10, 14),
    st.integers(0, 50),
)
# Each step is the whole content of the site: a few files, each with a few papers.
steps = st.lists(st.dictionaries(st.sampled_from(["a.yaml", "b.yaml", "sub/c.yaml"]),
                                 st.lists(papers, min_size=1, max_size=3), min_size=1, max_size=3),
                 min_size=2, max_size=4)


def write_step(site, step, offset=0):
    for old in (site / "content").rglob("*.yaml"):
        old.unlink()
    index = 0
    for name, items in step.items():
        text = ""
        for item in items:
            index += 1
            text += entry(index, *item)
        write_files(site, {f"content/{name}": text})


SEQUENCES = 10  # per test; docs/testing.md, "What the tests prove": 20 sequences, in fresh and warm builds


def _each_sequence(check) -> int:
    """Run `check` on SEQUENCES random sequences of whole-site contents; returns how many it ran."""
    ran = []

    @settings(max_examples=SEQUENCES, deadline=None)
    @given(steps)
    def property_(sequence):
        check(sequence)
        ran.append(sequence)

    property_()
    return len(ran)


def test_incremental_builds_equal_clean_builds(tmp_path_factory):
    def check(sequence):
        site = tmp_path_factory.mktemp("incremental")
        write_files(site, {"sitegen.yaml": "base_url: https://example.org/site/\nper_page: 2\n"})
        for step in sequence:
            write_step(site, step)
            build_dir(site)
        clean = tmp_path_factory.mktemp("clean")
        shutil.copy(site / "sitegen.yaml", clean / "sitegen.yaml")
        shutil.copytree(site / "content", clean / "content")
        build_dir(clean)
        assert output_tree(site / "output") == output_tree(clean / "output")
        again = build_dir(site)
        assert (again.rendered, again.written, again.deleted) == (0, 0, 0)

    assert _each_sequence(check) >= SEQUENCES


def test_warm_rebuilds_equal_clean_builds(tmp_path_factory):
    """What `sitegen serve` does: one process, the model updated and the plan reused."""
    def check(sequence):
        site = tmp_path_factory.mktemp("warm")
        write_files(site, {"sitegen.yaml": "base_url: https://example.org/site/\nper_page: 2\n"})
        config, _ = load_config(site)
        warm = Warm()
        for number, step in enumerate(sequence):
            write_step(site, step)
            build(config, jobs=1, warm=warm)
            clean = tmp_path_factory.mktemp("clean")
            shutil.copy(site / "sitegen.yaml", clean / "sitegen.yaml")
            shutil.copytree(site / "content", clean / "content")
            build_dir(clean)
            assert output_tree(site / "output") == output_tree(clean / "output"), f"after step {number}"
        assert warm.site is not None and warm.plan.groups
        again = build(config, jobs=1, warm=warm)
        assert (again.rendered, again.written, again.deleted) == (0, 0, 0)

    assert _each_sequence(check) >= SEQUENCES


def test_a_warm_process_survives_its_cache_folder_being_deleted(tmp_path):
    """`rm -rf .sitegen` while `sitegen serve` runs: the next rebuild starts its caches afresh."""
    site = write_files(tmp_path / "site", {"sitegen.yaml": "base_url: https://example.org/site/\n"})
    write_step(site, {"a.yaml": [("Monarch", ["Tri Dao"], ["ssm"], 10, 3)], "b.yaml": [("HiPPO", ["Albert Gu"], [], 11, 1)]})
    config, _ = load_config(site)
    warm = Warm()
    build(config, jobs=1, warm=warm)
    shutil.rmtree(site / ".sitegen")
    write_step(site, {"a.yaml": [("Monarch", ["Tri Dao"], ["ssm"], 10, 3)], "b.yaml": [("Hyena", ["Albert Gu"], [], 11, 1)]})
    build(config, jobs=1, warm=warm)
    clean = write_files(tmp_path / "clean", {"sitegen.yaml": "base_url: https://example.org/site/\n"})
    shutil.copytree(site / "content", clean / "content")
    build_dir(clean)
    built, expected = output_tree(site / "output"), output_tree(clean / "output")
    # Without the manifest the build cannot know which older files were its own, so a file
    # an edit made obsolete (here a search shard) stays, as after `rm -rf .sitegen` and a
    # fresh `sitegen build`; every file the site has is as a clean build makes it.
    assert {name: built[name] for name in expected} == expected
    assert set(built) - set(expected) <= {"search-index/terms/hip.json"}


def test_a_warm_process_restores_output_files_changed_between_builds(tmp_path):
    """`sitegen serve` checks output/ against the manifest between builds: a page deleted
    or edited by hand comes back with the next rebuild, as after a fresh build."""
    site = write_files(tmp_path / "site", {"sitegen.yaml": "base_url: https://example.org/site/\n"})
    write_step(site, {"a.yaml": [("Monarch", ["Tri Dao"], ["ssm"], 10, 3)], "b.yaml": [("HiPPO", ["Albert Gu"], [], 11, 1)]})
    config, _ = load_config(site)
    warm = Warm()
    build(config, jobs=1, warm=warm)
    expected = output_tree(site / "output")
    build(config, jobs=1, warm=warm)  # its check runs against this build's manifest
    assert warm.manifest.is_intact("index.html")  # waits for the check, done while the server idles
    (site / "output/papers/p1/index.html").unlink()
    (site / "output/tags/ssm/index.html").write_text("vandalised")
    # A later check (after the next build) sees the damage; that build's successor repairs it.
    first = build(config, jobs=1, warm=warm)
    assert first.written == 0  # this check ran before the damage
    second = build(config, jobs=1, warm=warm)
    assert sorted(second.rendered_files) == ["papers/p1/index.html", "tags/ssm/index.html"]
    assert output_tree(site / "output") == expected


def test_warm_api_records_follow_a_renamed_author(tmp_path):
    """sitegen serve keeps papers' JSON records between builds: a profile that renames an
    author (same slug) changes no paper entry, yet every record naming them changes."""
    write_files(tmp_path, {
        "sitegen.yaml": "base_url: https://example.org/site/\n",
        "content/a.yaml": entry(1, "Monarch", ["Tri Dao", "Albert Gu"], [], 10, 3)
        + entry(2, "HiPPO", ["Albert Gu"], ["ssm"], 11, 5),
    })
    config, _ = load_config(tmp_path)
    warm = Warm()
    build(config, jobs=1, warm=warm)
    assert len(warm.api_records) == 2
    write_files(tmp_path, {"content/authors.yaml": "- name: Tri DAO\n  aliases: [Tri Dao]\n"})
    build(config, jobs=1, warm=warm)
    clean = tmp_path / "clean"
    shutil.copytree(tmp_path / "content", clean / "content")
    shutil.copy(tmp_path / "sitegen.yaml", clean / "sitegen.yaml")
    build_dir(clean)
    api = (tmp_path / "output/api/papers.json").read_bytes()
    assert b"Tri DAO" in api and api == (clean / "output/api/papers.json").read_bytes()


def test_a_warm_process_renders_with_edited_and_newly_overriding_templates(tmp_path):
    """Templates are not stat'ed on every page: each build drops the compiled ones whose
    file changed or is now overridden by the site's templates/."""
    write_files(tmp_path, {
        "sitegen.yaml": "base_url: https://example.org/\n",
        "content/a.yaml": entry(1, "Monarch", ["Tri Dao"], ["ssm"], 10, 3),
        "templates/tag.html": '{% extends "base.html" %}{% block main %}First {{ tag.name }}{% endblock %}',
    })
    config, _ = load_config(tmp_path)
    warm = Warm()
    build(config, jobs=1, warm=warm)
    assert "First ssm" in (tmp_path / "output/tags/ssm/index.html").read_text()
    (tmp_path / "templates/tag.html").write_text('{% extends "base.html" %}{% block main %}Second {{ tag.name }}{% endblock %}')
    build(config, jobs=1, warm=warm)
    assert "Second ssm" in (tmp_path / "output/tags/ssm/index.html").read_text()
    (tmp_path / "templates/paper.html").write_text('{% extends "base.html" %}{% block main %}Own {{ paper.id }}{% endblock %}')
    build(config, jobs=1, warm=warm)
    assert (tmp_path / "output/papers/p1/index.html").read_text().count("Own p1") == 1


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_a_paper_leaving_a_listings_last_page_updates_its_first_page(tmp_path, warm):
    """A listing's first page says how many papers it holds, its pager how many pages
    follow, and a week's or month's page which days it spans: when a paper on the last
    page leaves (for a later day, one topic fewer), page 1 shows the same papers yet
    must change too. Found by random edits of a generated 1,000-paper listing."""
    def content(last_day: int, last_tags: list[str]) -> str:
        # by upvotes p1 first: with two a page, p5 is alone on page 3 of its day, week and topic
        return "".join(entry(n, f"Paper {n}", ["Tri Dao"], ["ssm"], 11, 60 - n) for n in range(1, 5)) \
            + entry(5, "Paper 5", ["Albert Gu"], last_tags, last_day, 1)
    site = write_files(tmp_path / "site", {"sitegen.yaml": "base_url: https://example.org/\nper_page: 2\n",
                                           "content/a.yaml": content(11, ["ssm"])})
    config, _ = load_config(site)
    state = Warm() if warm else None
    build(config, jobs=1, warm=state)
    assert "5 papers" in (site / "output/tags/ssm/index.html").read_text()
    write_files(site, {"content/a.yaml": content(20, [])})  # March 20th: another week
    rebuilt = build(config, jobs=1, warm=state)
    for listing in ("days/2024-03-11", "weeks/2024-W11", "tags/ssm"):
        first = (site / "output" / listing / "index.html").read_text()
        assert "4 papers" in first and f"{listing}/page/3/" not in first, listing
        assert f"{listing}/index.html" in rebuilt.rendered_files
    clean = write_files(tmp_path / "clean", {"sitegen.yaml": "base_url: https://example.org/\nper_page: 2\n",
                                             "content/a.yaml": content(20, [])})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")


@pytest.mark.parametrize("warm", [False, True], ids=["fresh", "warm"])
def test_a_paper_moved_to_another_day_in_the_same_place_updates_the_sitemap(tmp_path, warm):
    """The sitemap gives a paper page's listing day as its last change. A paper moved to
    the day before it in the listing keeps its place, so every page path is the same,
    yet its `lastmod` changes."""
    def content(day_of_p2: int) -> str:
        return (entry(1, "X", ["Tri Dao"], [], 13, 9) + entry(2, "A", ["Tri Dao"], [], day_of_p2, 5)
                + entry(3, "Y", ["Tri Dao"], [], 12, 3) + entry(4, "Z", ["Tri Dao"], [], 11, 3))
    site = write_files(tmp_path / "site", {"sitegen.yaml": "base_url: https://example.org/\n",
                                           "content/a.yaml": content(12)})
    config, _ = load_config(site)
    state = Warm() if warm else None
    build(config, jobs=1, warm=state)
    write_files(site, {"content/a.yaml": content(13)})
    rebuilt = build(config, jobs=1, warm=state)
    assert "sitemap.xml" in rebuilt.rendered_files
    assert "<loc>https://example.org/papers/p2/</loc>\n    <lastmod>2024-03-13</lastmod>" in \
        (site / "output/sitemap.xml").read_text()
    clean = write_files(tmp_path / "clean", {"sitegen.yaml": "base_url: https://example.org/\n",
                                             "content/a.yaml": content(13)})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")
