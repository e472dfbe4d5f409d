"""Fragments made once per process and reused: the cache never changes what a page says."""

import shutil

import jinja2
import pytest

from sitegen.pages import fragments
from sitegen.pages import fast_jinja
from sitegen.pages.fragments import CacheExtension, LRUCache
from sitegen.config import load_config
from sitekit import REPO, build_dir, output_tree

SAMPLE = REPO / "content"


def test_the_least_recently_used_fragment_is_forgotten_first():
    cache = LRUCache(limit=2)
    made = []

    def make(value):
        return lambda: made.append(value) or value

    assert cache.get_or_make("a", make("A")) == "A"
    assert cache.get_or_make("b", make("B")) == "B"
    assert cache.get_or_make("a", make("A2")) == "A"  # a hit, and now the most recent
    assert cache.get_or_make("c", make("C")) == "C"  # forgets b, not a
    assert cache.get_or_make("a", make("A3")) == "A"
    assert cache.get_or_make("b", make("B2")) == "B2"
    assert made == ["A", "B", "C", "B2"]
    assert (cache.hits, cache.misses, len(cache)) == (2, 4, 2)


def test_an_empty_fragment_is_cached_too():
    cache = LRUCache()
    calls = []
    for _ in range(3):
        cache.get_or_make("k", lambda: calls.append(1) or "")
    assert calls == [1]


def render(source: str, **context) -> str:
    env = jinja2.Environment(loader=jinja2.DictLoader({"t.html": source}), autoescape=True,
                             extensions=[CacheExtension])
    return env.get_template("t.html").render(**context), env


def test_the_tag_renders_a_body_once_per_key_and_keeps_escaping():
    calls = []
    source = ("{% for p in papers %}{% cache p.id, level %}<b>{{ p.title }}{{ count() }}</b>{% endcache %}"
              "{% endfor %}")
    papers = [{"id": "x", "title": "<i>"}, {"id": "y", "title": "Y"}, {"id": "x", "title": "ignored"}]
    html, env = render(source, papers=papers, level=2, count=lambda: calls.append(1) or len(calls))
    assert html == "<b>&lt;i&gt;1</b><b>Y2</b><b>&lt;i&gt;1</b>"
    assert env.fragment_cache.hits == 1 and env.fragment_cache.misses == 2


@pytest.mark.parametrize("environment", [jinja2.Environment, fast_jinja.FastEnvironment])
def test_a_tag_whose_condition_is_false_renders_its_body_in_place(environment):
    """Both ways a tag is compiled: as Jinja's call block, and as the site's lookup."""
    source = ("{% for p in papers %}{% cache p, (1 if wide else 2) if reuse %}<b>{{ p }}{{ count() }}</b>"
              "{% endcache %}{% endfor %}")
    env = environment(loader=jinja2.DictLoader({"t.html": source}), autoescape=True, extensions=[CacheExtension])
    calls = []
    values = dict(papers=["<x>", "y", "<x>"], wide=True, count=lambda: calls.append(1) or len(calls))
    assert env.get_template("t.html").render(reuse=False, **values) == "<b>&lt;x&gt;1</b><b>y2</b><b>&lt;x&gt;3</b>"
    assert len(env.fragment_cache) == 0 and env.fragment_cache.misses == 0
    assert env.get_template("t.html").render(reuse=True, **values) == "<b>&lt;x&gt;4</b><b>y5</b><b>&lt;x&gt;4</b>"
    assert (env.fragment_cache.hits, env.fragment_cache.misses) == (1, 2)


def test_two_tags_with_the_same_key_are_different_fragments():
    html, _ = render("{% cache 1 %}A{% endcache %}{% cache 1 %}B{% endcache %}")
    assert html == "AB"


def test_a_malformed_tag_is_a_template_error():
    with pytest.raises(jinja2.TemplateSyntaxError):
        render("{% cache %}A{% endcache %}")
    with pytest.raises(jinja2.TemplateSyntaxError):
        render("{% cache 1 %}A")


def test_the_default_theme_renders_the_same_pages_with_and_without_the_cache(tmp_path, monkeypatch):
    """The keys the theme gives its `cache` tags name everything the fragments show."""
    for name in ("content", "sitegen.yaml"):
        source = SAMPLE.parent / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / "cached" / name)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / "uncached" / name)
    build_dir(tmp_path / "cached")
    monkeypatch.setattr(fragments.LRUCache, "get_or_make", lambda self, key, make: make())
    build_dir(tmp_path / "uncached")
    cached, uncached = output_tree(tmp_path / "cached" / "output"), output_tree(tmp_path / "uncached" / "output")
    assert cached.keys() == uncached.keys()
    assert [name for name in cached if cached[name] != uncached[name]] == []


def test_pages_render_in_the_order_of_the_newest_paper_they_show(tmp_path):
    from sitegen.engine.build import prepare
    from sitegen.pages.plan import plan, render_order

    shutil.copytree(SAMPLE, tmp_path / "content")
    shutil.copy(SAMPLE.parent / "sitegen.yaml", tmp_path / "sitegen.yaml")
    config, _ = load_config(tmp_path)
    site, theme, _ = prepare(config)
    tasks = plan(site, config, theme).tasks
    ordered = render_order(site, config, tasks)
    assert sorted(t.file for t in ordered) == sorted(t.file for t in tasks)
    days = [t.key for t in ordered if t.kind == "day"]
    assert days == sorted(days)  # newest day first, as each day shows newer papers than the next
    first_listing = next(t for t in ordered if t.kind in ("day", "week", "month", "author", "tag"))
    shown = {"day": lambda k: site.days[k[0]].papers, "week": lambda k: site.weeks[k[0]].papers,
             "month": lambda k: site.months[k[0]].papers, "author": lambda k: site.authors[k[0]].papers,
             "tag": lambda k: site.tags[k[0]].papers}[first_listing.kind](first_listing.key)
    assert site.newest[0] in shown


def test_a_warm_rebuild_reuses_the_cards_of_papers_an_edit_did_not_change(tmp_path):
    """sitegen serve keeps papers' cards and feed items between builds, under what each
    paper shows: an edit remakes the edited paper's and those of papers whose author it
    renamed, and the pages equal a clean build's."""
    from sitegen.engine.build import build
    from sitegen.engine.state import Warm
    from sitekit import generated_listing

    site = generated_listing(tmp_path / "warm", 60)
    config, _ = load_config(site)
    warm = Warm()
    build(config, jobs=2, warm=warm)  # in two render processes, which hand their fragments back
    kept = len(warm.fragments)
    assert kept > 60
    day = sorted((site / "content" / "days").glob("*.yaml"))[0]
    day.write_text(day.read_text().replace("abstract: ", "abstract: Edited. ", 1))
    hits = warm.fragments.hits
    report = build(config, jobs=1, warm=warm)
    assert report.rendered > 0
    assert warm.fragments.hits > hits  # untouched papers' cards came from the last build
    assert 0 < len(warm.fragments) - kept < 10  # the edited paper's card and item, made again
    clean = tmp_path / "clean"
    shutil.copytree(site / "content", clean / "content")
    shutil.copy(site / "sitegen.yaml", clean / "sitegen.yaml")
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")


def test_a_server_that_stops_stops_its_warm_up(tmp_path):
    from sitegen.engine.build import build
    from sitegen.engine.state import Warm
    from sitekit import generated_listing

    config, _ = load_config(generated_listing(tmp_path / "site", 60))
    warm = Warm()
    build(config, jobs=1, warm=warm)
    warm.idle()  # starts the warm-up in a render process
    assert warm.warm_up is not None
    pool, _ = warm.warm_up
    processes = list(pool._processes.values())
    assert processes
    warm.close()
    assert warm.warm_up is None
    assert not any(process.is_alive() for process in processes)


def test_a_finished_warm_up_fills_the_kept_fragments(tmp_path):
    from sitegen.engine.build import build
    from sitegen.engine.state import Warm
    from sitekit import generated_listing

    config, _ = load_config(generated_listing(tmp_path / "site", 60))
    warm = Warm()
    build(config, jobs=1, warm=warm)
    warm.fragments = fragments.LRUCache(warm.fragments.limit)  # as a server started on a built site
    warm.idle()
    warm.wait_for_warm_up()
    assert len(warm.fragments) > 60 and len(warm.api_records) == 60
    warm.idle()  # once per theme and settings: not again
    assert warm.warm_up is None


def test_the_default_theme_keeps_every_card_but_those_only_a_day_page_shows(tmp_path, monkeypatch):
    for name in ("content", "sitegen.yaml"):
        source = SAMPLE.parent / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    keys = []
    original = fragments.LRUCache.get_or_make
    monkeypatch.setattr(fragments.LRUCache, "get_or_make",
                        lambda self, key, make: keys.append(key) or original(self, key, make))
    build_dir(tmp_path)
    cards = {key[2:4] for key in keys if isinstance(key, tuple) and str(key[0]).startswith("_macros.html:")}
    assert (2, True) in cards and (4, False) in cards  # topics', weeks', months' and authors' pages
    assert (2, False) not in cards
    day = (tmp_path / "output" / "days").rglob("index.html")
    assert any('class="card"' in page.read_text() for page in day)
