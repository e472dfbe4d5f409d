"""update_site must give exactly build_site's model, and reuse the records an edit does not touch."""

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.config import load_config
from sitegen.content.model import Credit, Paper, Profile, Site, build_site
from sitegen.content.update import update_site
from sitegen.pages.plan import plan
from sitegen.config import find_theme
from sitegen.pages.theme import Theme

# Names chosen to collide: same slug ('ann-lee'), alias of a profile, a name twice on a paper.
NAMES = ["Ann Lee", "Ann  Lee", "ANN LEE", "Bo Chen", "Bo Chen 2", "Cy Diaz", "Dee Ng", "Ed O'Neil", "Jürgen Ü"]
TAGS = ["LLM", "llm", "Vision", "vision", "RL", "Graphs", "graphs-2", "Graphs 2"]
TITLES = ["Monarch mixer", "The monarch mixer", "HiPPO", "On graphs", "A study", "Deep nets"]
PROFILES = (Profile("Ann Lee", aliases=("A. Lee",), affiliation="MIT"),)


def make_paper(pid, title, names, tags, day, published, upvotes, affiliation, line):
    credits = tuple(Credit(n, affiliation=affiliation if i == 0 else None) for i, n in enumerate(names))
    return Paper(id=pid, title=title, authors=credits, abstract=f"About {title}.",
                 published=date(2020 + published, 1, 1), day=date(2024, 3, day), tags=tuple(tags),
                 upvotes=upvotes, source=f"content/{pid}.yaml", line=line)


def paper_strategy(pid):
    return st.builds(make_paper, st.just(pid), st.sampled_from(TITLES),
                     st.lists(st.sampled_from(NAMES + ["A. Lee"]), min_size=1, max_size=4),
                     st.lists(st.sampled_from(TAGS), max_size=3), st.integers(1, 12), st.integers(0, 3),
                     st.integers(0, 5), st.sampled_from([None, "ETH"]), st.integers(1, 3))


IDS = [f"2403.{n:05d}" for n in range(12)]
listing = st.dictionaries(st.sampled_from(IDS), st.none(), min_size=1).flatmap(
    lambda ids: st.fixed_dictionaries({i: paper_strategy(i) for i in ids}))


def assert_same(updated: Site, clean: Site) -> None:
    assert updated == clean
    assert list(updated.papers) == list(clean.papers)
    assert list(updated.authors) == list(clean.authors)
    assert list(updated.tags) == list(clean.tags)
    a, b = updated.index, clean.index
    assert (a.author_slugs, a.author_first, a.tag_first, a.cite_bases) == \
        (b.author_slugs, b.author_first, b.tag_first, b.cite_bases)
    assert {n: a.author_natural[n] for n in b.author_natural} == b.author_natural
    assert {k: set(v) for k, v in a.cite_groups.items()} == {k: set(v) for k, v in b.cite_groups.items()}


@pytest.fixture(scope="module")
def site_settings(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    (root / "sitegen.yaml").write_text("title: T\nbase_url: https://example.org/\nper_page: 2\nfeed_items: 2\n")
    config, _ = load_config(root)
    return config, Theme.for_site(config, find_theme(config)[0])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(steps=st.lists(listing, min_size=2, max_size=5))
def test_updates_equal_a_model_built_whole_and_plan_alike(site_settings, steps):
    """Each step's model, updated or not, plans the same tasks with the last plan as without."""
    config, theme = site_settings
    site = build_site(steps[0].values(), PROFILES)
    last = plan(site, config, theme)
    for papers in steps[1:]:
        updated = update_site(site, papers.values(), PROFILES)
        clean = build_site(papers.values(), PROFILES)
        if updated is None:  # refused: the caller builds whole
            updated = clean
        assert_same(updated, clean)
        last = plan(updated, config, theme, last)
        assert last.tasks == plan(clean, config, theme).tasks
        site = updated


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=listing, data=st.data())
def test_an_edit_that_keeps_topics_and_places_equals_a_model_built_whole(site_settings, first, data):
    """Abstracts and credits edited, topics and listing order kept: the update takes
    the topics as they were (model_update._tags_kept), and the plan may keep the pages
    that list every author (plan.Planner.same_authors)."""
    config, theme = site_settings
    site = build_site(first.values(), PROFILES)
    last = plan(site, config, theme)
    edited = dict(first)
    for pid in data.draw(st.lists(st.sampled_from(sorted(first)), min_size=1, unique=True)):
        names = data.draw(st.lists(st.sampled_from(NAMES + ["A. Lee"]), min_size=1, max_size=4))
        edited[pid] = replace(first[pid], abstract="Edited.", authors=tuple(Credit(n) for n in names))
    clean = build_site(edited.values(), PROFILES)
    updated = update_site(site, edited.values(), PROFILES)
    if updated is not None:
        assert updated.tags == site.tags
        assert_same(updated, clean)
    assert plan(updated or clean, config, theme, last).tasks == plan(clean, config, theme).tasks


def test_untouched_records_are_the_same_objects():
    papers = {p.id: p for p in (
        make_paper("1", "Monarch mixer", ["Ann Lee", "Bo Chen"], ["LLM"], 4, 1, 3, None, 1),
        make_paper("2", "HiPPO", ["Cy Diaz"], ["Vision"], 5, 1, 2, None, 1),
        make_paper("3", "On graphs", ["Dee Ng", "Bo Chen"], ["RL"], 20, 2, 1, None, 1),
    )}
    site = build_site(papers.values())
    papers["1"] = make_paper("1", "Monarch mixer, revised", ["Ann Lee", "Bo Chen"], ["LLM"], 4, 1, 3, None, 1)
    updated = update_site(site, papers.values())
    assert_same(updated, build_site(papers.values()))
    assert updated.authors["cy-diaz"] is site.authors["cy-diaz"]
    assert updated.authors["dee-ng"] is site.authors["dee-ng"]
    assert updated.authors["ann-lee"] is not site.authors["ann-lee"]
    assert updated.tags["vision"] is site.tags["vision"]
    assert updated.days[0] is site.days[0]  # March 20th: no edited paper
    assert updated.papers["2"] is site.papers["2"]
    assert update_site(updated, papers.values()) is updated  # nothing changed


def test_refuses_what_it_cannot_do_exactly():
    papers = [make_paper("1", "Monarch", ["Ann Lee"], [], 4, 1, 3, None, 1)]
    site = build_site(papers)
    assert update_site(site, papers, PROFILES) is None  # profiles changed
    many = [make_paper(str(n), "Monarch", ["Ann Lee"], [], 4, 1, 3, None, 1) for n in range(100)]
    assert update_site(site, many) is None  # most of the listing is new
    # 'Ann  Lee' (first seen earlier) would take 'ann-lee' from 'Ann Lee'
    moved = papers + [make_paper("0", "Monarch", ["Ann  Lee"], [], 1, 1, 3, None, 1)]
    assert update_site(site, moved) is None
