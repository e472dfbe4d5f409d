"""The search index: tokenising, sharding, records, and how builds keep it current."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.formats import search
from sitegen.engine.build import build
from sitegen.engine.state import Warm
from sitegen.config import load_config
from sitekit import PAPER, build_dir, output_tree


def test_words_are_folded_stemmed_and_stop_words_dropped():
    assert search.tokens("Neural ODEs for the Hölder-continuous Studies") == [
        "neural", "ode", "holder", "continuous", "study"]
    assert search.tokens("Christopher Ré") == ["christopher", "re"]
    assert search.tokens("snake_case x2 ß 深度学习") == ["snake", "case", "x2", "ß", "深度学习"]
    assert search.tokens("class virus analysis") == ["class", "virus", "analysis"]


def test_a_character_that_decomposes_to_a_capital_is_folded_to_lower_case():
    """'ℌ' is 'H' once decomposed: the word is 'hello', as search.js folds it too
    (tests/browser/test_search_requests.py searches such a word in Chromium)."""
    assert search.tokens("ℌello ＡＢＣ") == ["hello", "abc"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_ascii_text_splits_into_the_words_the_pattern_finds(text):
    folded = search.fold(text)
    assert search.words(folded) == search._WORD.findall(folded)


def test_title_words_outweigh_abstract_words_and_repeats_are_capped():
    terms = json.loads(search.text_terms("Flows", "flow flow flow flow graph"))
    assert terms == {"flow": search.TITLE_WEIGHT + search.MAX_ABSTRACT_WEIGHT, "graph": 1}


def test_shard_files_are_plain_names_for_any_script():
    assert search.shard_file("neu") == "search-index/terms/neu.json"
    assert search.shard_file("深度学") == "search-index/terms/x" + "深度学".encode().hex() + ".json"
    assert search.shard_file("../") == "search-index/terms/x2e2e2f.json"


def test_buckets_are_fnv1a_and_their_count_a_power_of_two():
    # FNV-1a 32-bit reference values; search.js computes the same.
    assert search.bucket("a", 1 << 32) == 0xE40C292C
    assert search.bucket("foobar", 1 << 32) == 0xBF9CF968
    assert [search.bucket_count(n) for n in (0, 1, 64, 65, 10_000, 100_000)] == [1, 1, 1, 2, 256, 2048]


@pytest.fixture
def site(make_site):
    return make_site({"content/papers.yaml": PAPER, "sitegen.yaml": "title: Test Papers\n"})


def _index(site) -> dict:
    out = site / "output" / search.FOLDER
    return {p.relative_to(out).as_posix(): json.loads(p.read_text()) for p in out.rglob("*.json")}


def test_the_built_index_finds_papers_by_every_field(site):
    build_dir(site)
    index = _index(site)
    meta = index["meta.json"]
    assert meta["format"] == search.FORMAT and meta["prefix"] == search.PREFIX and "the" in meta["stop"]

    def papers(term):
        postings = index[search.shard_file(search.shard_key(term)).split("/", 1)[1]].get(term, "")
        return [p.split(":")[0] for p in postings.split()]

    assert papers("monarch") == ["2203.00555"]  # a title word
    assert papers("re") == ["2203.00555", "2206.12037"]  # an author, accents folded
    assert "2203.00555" in papers("network")  # an abstract word, plural folded
    records = index[f"docs/{search.bucket('2203.00555', meta['buckets'])}.json"]
    path, title, authors, day, *_ = records["2203.00555"]
    assert (path, title, authors) == ("papers/2203.00555/", "Monarch: Expressive Structured Matrices",
                                      "Tri Dao, Michael Poli, Christopher Ré")


def test_postings_list_the_newest_paper_first(site):
    build_dir(site)
    index = _index(site)
    ids = [p.split(":")[0] for p in index["terms/mic.json"]["michael"].split()]
    assert ids == ["2002.08071", "2203.00555"]  # listed 2024-03-14, then 2024-03-13


def test_an_unchanged_site_keeps_its_index_and_a_new_author_changes_only_their_shards(site):
    build_dir(site)
    assert not [n for n, _ in build_dir(site).reasons]
    (site / "content/papers.yaml").write_text(PAPER.replace("[Tri Dao,", "[Tri Dao, Zelda Quux,"))
    config, _ = load_config(site)
    report = build(config, jobs=1, explain=True)
    indexed = sorted(name for name, why in report.reasons if why == "search index changed")
    assert indexed == ["search-index/docs/0.json", "search-index/meta.json",  # which lists the two new shards
                       "search-index/terms/quu.json", "search-index/terms/zel.json"]


def test_turning_search_off_removes_the_index(site):
    build_dir(site)
    assert (site / "output/search-index/meta.json").is_file()
    (site / "sitegen.yaml").write_text((site / "sitegen.yaml").read_text() + "search: false\n")
    build_dir(site)
    assert not (site / "output/search-index").exists() and not (site / "output/search").exists()


@pytest.mark.parametrize("text", ["", "   ", "the of and", "—–…"])
def test_texts_without_words_index_nothing(text):
    assert search.text_terms(text, text) == "{}"


WORDS = "state space model attention graph kernel flow sparse diffusion protein robust vision".split()


def _listing(count: int, *, edits: dict[int, str] | None = None, skip=(), renamed: str | None = None,
             moved: int | None = None) -> str:
    edits = edits or {}
    text = ""
    for n in range(count):
        if n in skip:
            continue
        words = " ".join(WORDS[(n + k) % len(WORDS)] for k in range(6))
        author = renamed if renamed and n % 10 == 3 else f"Author {n % 10}"
        day = 1 + (n % 20) if n != moved else 28
        text += (f"- id: p{n:03d}\n  title: Paper {n} on {WORDS[n % len(WORDS)]}\n"
                 f"  authors: [{author}, Shared Person]\n  abstract: {edits.get(n, words)}\n"
                 f"  published: 2024-02-{day:02d}\n  day: 2024-03-{day:02d}\n  tags: [{WORDS[n % 5]}]\n")
    return text


@pytest.mark.parametrize("edit", [
    dict(edits={7: "a brand new zebra abstract"}),
    dict(edits={7: "of the", 8: "quantum"}),
    dict(skip={5}),
    dict(renamed="Renamed Person"),
    dict(moved=11),
], ids=["abstract", "two-abstracts", "removed", "author-renamed", "day-moved"])
def test_an_edit_patches_the_index_to_exactly_what_a_clean_build_gives(make_site, monkeypatch, edit):
    site = make_site({"content/papers.yaml": _listing(40)})
    build_dir(site)
    whole = []
    monkeypatch.setattr(search, "index_files", lambda *a, _real=search.index_files: whole.append(1) or _real(*a))
    (site / "content/papers.yaml").write_text(_listing(40, **edit))
    build_dir(site)
    assert whole == []  # patched in place
    clean = make_site({"content/papers.yaml": _listing(40, **edit)})
    build_dir(clean)
    assert _index(site) == _index(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")


@pytest.mark.parametrize("warm", [False, True], ids=["fresh-process", "serve"])
def test_an_abstract_edit_reads_only_the_shards_whose_postings_change(make_site, monkeypatch, warm):
    """The paper's other shards (of 'state', 'space', its title, its authors) stay unread."""
    site = make_site({"content/papers.yaml": _listing(40)})
    config, _ = load_config(site)
    keep = Warm() if warm else None
    build(config, jobs=1, warm=keep)
    read = []
    real = search.patched_files
    monkeypatch.setattr(search, "patched_files", lambda *a: real(*a[:5], lambda name: read.append(name) or a[5](name),
                                                                 *a[6:]))
    abstract = " ".join(WORDS[(7 + k) % len(WORDS)] for k in range(6))
    (site / "content/papers.yaml").write_text(_listing(40, edits={7: abstract + " zebra"}))
    build(config, jobs=1, warm=keep)
    assert sorted(name for name in read if "/terms/" in name) == ["search-index/terms/zeb.json"]
    clean = make_site({"content/papers.yaml": _listing(40, edits={7: abstract + " zebra"})})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")


def test_an_added_paper_is_patched_in_and_many_changes_rebuild_whole(make_site, monkeypatch):
    site = make_site({"content/papers.yaml": _listing(40)})
    build_dir(site)
    whole = []
    monkeypatch.setattr(search, "index_files", lambda *a, _real=search.index_files: whole.append(1) or _real(*a))
    (site / "content/papers.yaml").write_text(_listing(41))
    build_dir(site)
    assert whole == []
    (site / "content/papers.yaml").write_text(_listing(41, edits={n: "changed" for n in range(20)}))
    build_dir(site)
    assert whole == [1]
    clean = make_site({"content/papers.yaml": _listing(41, edits={n: "changed" for n in range(20)})})
    build_dir(clean)
    assert _index(site) == _index(clean)


def test_an_index_file_changed_by_hand_makes_the_next_edit_rebuild_it_whole(make_site):
    site = make_site({"content/papers.yaml": _listing(40)})
    build_dir(site)
    (site / "output/search-index/docs/0.json").write_text("{}")
    (site / "content/papers.yaml").write_text(_listing(40, edits={3: "edited"}))
    build_dir(site)
    clean = make_site({"content/papers.yaml": _listing(40, edits={3: "edited"})})
    build_dir(clean)
    assert _index(site) == _index(clean)


def _listed_and_present(site) -> tuple[set[str], set[str]]:
    """The term shard files meta.json lists, and those output/search-index/terms/ holds."""
    out = site / "output" / search.FOLDER
    listed = {search.shard_file(key) for key in search.listed_shards((out / "meta.json").read_bytes())}
    return listed, {f"{search.FOLDER}/terms/{p.name}" for p in (out / "terms").iterdir()}


# Abstracts whose words start shards no other paper has: plain ASCII keys of one to
# three characters, and keys in other scripts (named in meta.json, not in its bits).
NEW_WORDS = "zebra quokka x9 q 深度学习 Ωmega ünïcode 0zz 8x"
_NEW_KEYS = {"zeb", "quo", "x9", "q", "深度学", "ωme", "uni", "0zz", "8x"}
_STEPS = [  # (listing, shard keys that must be listed, and that must not)
    (dict(edits={7: NEW_WORDS}), _NEW_KEYS, set()),  # an edit adds terms
    (dict(edits={7: "state space"}), set(), _NEW_KEYS),  # ... and takes them away
    (dict(count=41, edits={40: NEW_WORDS}), _NEW_KEYS, set()),  # a new paper brings them
    (dict(count=41, edits={40: NEW_WORDS, 3: "quokka 深度学习"}), _NEW_KEYS, set()),  # a second paper has some
    (dict(count=41, edits={3: "quokka 深度学习"}, skip={40}), {"quo", "深度学"}, _NEW_KEYS - {"quo", "深度学"}),
    (dict(count=41, skip={40}), set(), _NEW_KEYS),  # the last paper that had them goes
]


@pytest.mark.parametrize("warm", [False, True], ids=["fresh-process", "serve"])
def test_meta_lists_exactly_the_shards_in_output_across_incremental_builds(make_site, monkeypatch, warm):
    """After a whole build and after each patch (shards appearing and going), meta.json
    lists exactly the term shard files output/ holds, in the bytes a clean build writes."""
    site = make_site({"content/papers.yaml": _listing(40)})
    config, _ = load_config(site)
    keep = Warm() if warm else None
    build(config, jobs=1, warm=keep)
    listed, present = _listed_and_present(site)
    assert listed == present and len(present) > 20
    whole = []
    monkeypatch.setattr(search, "index_files", lambda *a, _real=search.index_files: whole.append(1) or _real(*a))
    for listing, there, gone in _STEPS:
        arguments = dict(listing)
        (site / "content/papers.yaml").write_text(_listing(arguments.pop("count", 40), **arguments))
        build(config, jobs=1, warm=keep)
        if keep:
            keep.idle()
        assert whole == [], listing  # patched, not made whole
        listed, present = _listed_and_present(site)
        assert listed == present, listing
        assert {key for key in there | gone if search.shard_file(key) in listed} == there, listing
    clean = make_site({"content/papers.yaml": (site / "content/papers.yaml").read_text()})
    build_dir(clean)
    assert output_tree(site / "output") == output_tree(clean / "output")


def test_meta_is_rewritten_only_when_a_shard_appears_or_goes(make_site):
    site = make_site({"content/papers.yaml": _listing(40)})
    build_dir(site)
    meta = (site / "output" / search.META).read_bytes()
    config, _ = load_config(site)

    def rewritten(listing: str) -> list[str]:
        (site / "content/papers.yaml").write_text(listing)
        report = build(config, jobs=1, explain=True)
        return sorted(name for name, why in report.reasons if why == "search index changed")

    # Words every shard of which exists already: postings change, the list of shards does not.
    assert search.META not in rewritten(_listing(40, edits={7: "graph kernel flow"}))
    assert (site / "output" / search.META).read_bytes() == meta
    assert search.META in rewritten(_listing(40, edits={7: "graph kernel flow zebra"}))
    assert search.listed_shards((site / "output" / search.META).read_bytes()) == \
        search.listed_shards(meta) | {"zeb"}


def test_a_shard_list_names_any_key():
    keys = {"0", "z", "00", "zz", "000", "zzz", "a1b", "深度学", "x", "ß", "ωme", "../", "Hel"}
    shards = search.ShardList()
    for key in keys | {"gon", "去"}:
        shards.set(key, True)
    shards.set("gon", False)
    shards.set("去", False)
    listed = search.ShardList(json.loads(json.dumps(shards.listed())))
    assert listed.keys() == keys
    assert len(shards.listed()["plain"]) == 8000  # base64 of a bit for each of the 47,988 plain keys
    assert shards.listed()["other"] == sorted(["深度学", "ß", "ωme", "../", "Hel"])


def test_weights_too_large_to_pack_are_kept_exactly():
    from datetime import date

    from sitegen.content.model import Credit, Paper, build_site

    papers = [Paper(id=f"p{n}", title="Deep", authors=(Credit("Ann Lee"),), abstract="x",
                    published=date(2024, 1, 1), day=date(2024, 1, 2 + n)) for n in range(2)]
    site = build_site(papers)
    texts = {"p0": search.PaperSearchText("Deep", "x", '{"deep":70000,"x":1,"y":15}'),
             "p1": search.PaperSearchText("Deep", "x", '{"deep":8,"x":2,"y":14}')}
    files, _ = search.index_files(site, texts, search.paper_digests(site))
    shards = {name: json.loads(data) for name, data in files if "/terms/" in name}
    assert shards[search.shard_file("dee")]["deep"] == "p1:8 p0:70000"
    assert shards[search.shard_file("x")]["x"] == "p1:2 p0"
    assert shards[search.shard_file("y")]["y"] == "p1:14 p0:15"  # either side of the packed limit


_IDS = st.sampled_from(["p1", "p10", "p1.0", "a-b", "ab", "2401.00001", "2401.000011"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_IDS, st.integers(1, 70)), max_size=12), st.sets(_IDS, min_size=1, max_size=3))
def test_dropping_the_changed_papers_postings_keeps_every_other_posting(postings, changed):
    line = " ".join(search._posting(paper_id, weight) for paper_id, weight in postings)
    expected = [search._posting(i, w) for i, w in postings if i not in changed]
    assert search._posting_filter(changed)(line) == expected  # the regular expression, for a few papers
    many = changed | {f"other{n}" for n in range(20)}
    assert search._posting_filter(many)(line) == expected  # one posting at a time, for many


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["p1", "p10", "p1.0", "a-b", "ab", "2401.00001", "2401.000011"]), unique=True,
                min_size=1),
       st.data())
def test_patching_a_posting_line_equals_dropping_and_inserting(order, data):
    """The in-place replacement of one paper's posting gives what splitting the line,
    dropping the paper's old posting and inserting its new one in rank order gives."""
    rank = {paper_id: n for n, paper_id in enumerate(order)}
    weights = data.draw(st.dictionaries(st.sampled_from(order), st.integers(1, 70)))
    line = " ".join(search._posting(i, weights[i]) for i in order if i in weights)
    changed = data.draw(st.sampled_from(order))
    added = data.draw(st.lists(st.integers(1, 70).map(lambda w: search._posting(changed, w)), max_size=1))
    if data.draw(st.booleans()):  # the paper moved to another place in the listing
        moved = [i for i in order if i != changed]
        moved.insert(data.draw(st.integers(0, len(moved))), changed)
        rank = {paper_id: n for n, paper_id in enumerate(moved)}
    expected = [p for p in line.split() if search._posting_id(p) != changed] + added
    expected.sort(key=lambda p: rank[search._posting_id(p)])
    assert search._line_patcher({changed}, rank)(line, added) == " ".join(expected)
