"""The content stage reads many files in worker processes and gets what one process gets."""

import os
import pickle
from functools import partial

from sitegen.content import load as content
from sitegen.config import load_config
from sitegen.content.load import load_papers
from sitegen.engine import processes
from sitegen.engine.processes import PARALLEL_FILES, parse_map
from sitegen.engine.parsecache import ParseCache
from sitekit import write_files


def entry(index: int) -> str:
    return (f"- id: p{index}\n  title: Paper {index}\n  authors: [Ada Lovelace, Author {index % 7}]\n"
            f"  abstract: About $x_{index}$.\n  published: 2024-03-{index % 28 + 1:02d}\n")


def test_parsing_in_workers_gives_the_same_papers_and_problems_in_the_same_order(tmp_path):
    files = {f"content/{index:03d}.yaml": entry(index) + entry(1000 + index) for index in range(PARALLEL_FILES + 8)}
    files["content/017.yaml"] += "- id: bad\n  title: No authors\n  autors: [Typo]\n"
    files["content/notes.md"] = "---\nid: md1\ntitle: Notes\nauthors: [Ada Lovelace]\npublished: 2024-01-02\n---\nBody.\n"
    write_files(tmp_path, files)
    config, _ = load_config(tmp_path)
    one = load_papers(config, ParseCache(tmp_path / "one.sqlite"), parse_map(1))
    two = load_papers(config, ParseCache(tmp_path / "two.sqlite"), parse_map(2))
    assert [p.id for p in one[0]] == [p.id for p in two[0]]
    assert one[0] == two[0]
    assert [str(p) for p in one[1]] == [str(p) for p in two[1]]
    assert any("autors" in str(p) and "017.yaml" in str(p) for p in two[1])
    assert one[2] == two[2] == PARALLEL_FILES + 9


def test_entries_parsed_in_workers_are_cached_for_the_next_build(tmp_path):
    write_files(tmp_path, {f"content/{index:03d}.yaml": entry(index) for index in range(PARALLEL_FILES)})
    config, _ = load_config(tmp_path)
    cache = ParseCache(tmp_path / "cache.sqlite")
    first = load_papers(config, cache, parse_map(2))
    cache.save()
    again = ParseCache(tmp_path / "cache.sqlite")
    second = load_papers(config, again, parse_map(2))
    assert (again.hits, again.misses) == (PARALLEL_FILES, 0)
    assert first[0] == second[0]


def _own_priority(path, config) -> bytes:
    return pickle.dumps(os.getpriority(os.PRIO_PROCESS, 0))


def test_parse_processes_yield_to_the_build_process(tmp_path, monkeypatch):
    """They run at a lower priority, so that the build process, which stores what they
    parse, is not the one kept waiting for a core."""
    monkeypatch.setattr(content, "_parse_file", _own_priority)
    config, _ = load_config(tmp_path)
    paths = [tmp_path / f"{index}.yaml" for index in range(PARALLEL_FILES)]
    priorities = {pickle.loads(data) for data in parse_map(2)(partial(content._parse_file, config=config), paths)}
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert priorities == {min(own + processes.HELPER_NICENESS, 19)}


def test_a_file_saved_while_it_was_parsed_is_parsed_again_by_the_next_build(tmp_path, monkeypatch):
    """The cache's stamp is of the bytes the entries came from: one taken from the file
    after parsing it described the newer save, and the next build kept the older entries."""
    write_files(tmp_path, {"content/a.yaml": entry(1)})
    config, _ = load_config(tmp_path)
    parse = content.read_entries

    def saved_meanwhile(path, config, data=None):
        parsed = parse(path, config, data)
        path.write_text(entry(1).replace("Paper 1", "Paper one, as saved later"))
        return parsed

    monkeypatch.setattr(content, "read_entries", saved_meanwhile)
    cache = ParseCache(tmp_path / "cache.sqlite")
    assert [p.title for p in load_papers(config, cache, parse_map(1))[0]] == ["Paper 1"]
    cache.save()
    monkeypatch.setattr(content, "read_entries", parse)
    again = ParseCache(tmp_path / "cache.sqlite")
    assert [p.title for p in load_papers(config, again, parse_map(1))[0]] == ["Paper one, as saved later"]
    assert (again.hits, again.misses) == (0, 1)
