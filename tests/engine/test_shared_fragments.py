"""Fragments one render process made, found by another: exactly what was made, or nothing."""

import multiprocessing
import os

import pytest

import sitegen.engine.build
import sitegen.engine.state
import sitegen.engine.texts
import sitegen.engine.textstore
import sitegen.engine.workers
from sitegen.lru import LRUCache
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.shared_fragments import SLOT, SharedFragments, SharedPart, _hash
from sitekit import generated_listing, output_tree
from sitegen.engine.build import build
from sitegen.config import load_config

FORK = multiprocessing.get_context("fork")


@pytest.fixture
def store(tmp_path):
    shared = SharedFragments(tmp_path, workers=2, expected=100)
    yield shared
    shared.remove()


def _put_in_another_process(store: SharedFragments, worker: int, items: dict) -> None:
    def run():
        store.attach(worker)
        for key, value in items.items():
            store.put(key, value)
        store.close_files()
    process = FORK.Process(target=run)
    process.start()
    process.join()
    assert process.exitcode == 0


def test_a_fragment_made_in_one_process_is_found_in_another(store):
    items = {("card", f"p{n}", 2, True): f"<article>{n} ▲</article>".encode() for n in range(300)}
    _put_in_another_process(store, 1, items)
    store.attach(0)
    assert all(store.get(key) == value for key, value in items.items())
    assert store.get(("card", "p1", 3, True)) is None  # another key, though much alike


def test_a_process_finds_what_it_made_itself_once_written(store):
    store.attach(0)
    store.put(("bib", "k"), b"@article{k}")
    store.put(("empty",), b"")
    assert store.get(("bib", "k")) is None  # still in the buffer: no process may read it yet
    store.flush()
    assert store.get(("bib", "k")) == b"@article{k}"
    assert store.get(("empty",)) == b""


def test_a_slot_whose_record_is_another_key_is_a_miss(store, monkeypatch):
    """Two keys with one hash, or a slot read half-written: the record names its key."""
    store.attach(0)
    monkeypatch.setattr("sitegen.engine.shared_fragments._hash", lambda key: 12345)
    store.put(("a",), b"A")
    store.flush()
    assert store.get(("a",)) == b"A"
    assert store.get(("b",)) is None
    store.put(("b",), b"B")  # the next slot along
    store.flush()
    assert (store.get(("a",)), store.get(("b",))) == (b"A", b"B")


def test_a_slot_with_its_hash_but_not_yet_its_place_is_a_miss(store):
    store.attach(0)
    key = ("card", "x")
    slot = _hash(key) & (store.slots - 1)
    SLOT.pack_into(store._index, slot * SLOT.size, _hash(key), 0)  # the hash written, the place not
    assert store.get(key) is None


def test_a_full_index_takes_no_more_and_still_answers(tmp_path):
    store = SharedFragments(tmp_path, workers=1, expected=1)
    try:
        store.attach(0)
        for n in range(store.slots):
            store.put(("k", n), str(n).encode())
        store.flush()
        kept = [n for n in range(store.slots) if store.get(("k", n)) is not None]
        assert len(kept) == store.slots * 3 // 4 + 1
        assert all(store.get(("k", n)) == str(n).encode() for n in kept)
    finally:
        store.remove()


def test_a_slot_held_for_a_buffered_record_does_not_end_a_lookup(store, monkeypatch):
    store.attach(0)
    monkeypatch.setattr("sitegen.engine.shared_fragments._hash", lambda key: 777)
    store.put(("first",), b"1")
    store.flush()
    store.put(("second",), b"2")  # holds the next slot, not yet found
    store.put(("third",), b"3")
    assert store.get(("first",)) == b"1"
    store.flush()
    assert [store.get((k,)) for k in ("first", "second", "third")] == [b"1", b"2", b"3"]


def test_records_are_written_in_large_pieces(store, monkeypatch):
    writes = []
    real = os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, offset: writes.append(len(data)) or real(fd, data, offset))
    store.attach(0)
    for n in range(200):
        store.put(("card", n), b"x" * 3000)
    store.close_files()
    assert len(writes) == 3 and sum(writes) > 200 * 3000


def test_a_full_disk_drops_what_could_not_be_written_and_adds_no_more(store, monkeypatch):
    store.attach(0)
    store.put(("kept",), b"K")
    store.flush()

    def full(fd, data, offset):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "pwrite", full)
    store.put(("lost",), b"L")
    store.flush()
    store.put(("later",), b"X")
    store.close_files()  # no error either
    store.attach(1)
    assert [store.get((k,)) for k in ("kept", "lost", "later")] == [b"K", None, None]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc/self/fd to tell a fragments file by its descriptor")
def test_a_build_whose_fragments_cannot_be_written_is_the_same_build(tmp_path, monkeypatch):
    one, full = generated_listing(tmp_path / "one", 40), generated_listing(tmp_path / "full", 40)
    build(load_config(one)[0], jobs=1)
    monkeypatch.setattr(sitegen.engine.state, "SHARED_FROM", 1)
    real = os.pwrite

    def pwrite(fd, data, offset):
        if "fragments-" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(28, "No space left on device")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    build(load_config(full)[0], jobs=2)
    assert output_tree(one / "output") == output_tree(full / "output")


def test_a_cache_looks_in_the_store_before_making_and_adds_what_it_makes(store, monkeypatch):
    monkeypatch.setattr("sitegen.engine.shared_fragments.FLUSH_AT", 0)  # each record written as it comes
    store.attach(0)
    first, second = LRUCache(limit=1), LRUCache(limit=1)
    first.shared = second.shared = SharedPart(store, "page")
    made = []
    assert first.get_or_make("a", lambda: made.append("a") or b"A") == b"A"
    assert second.get_or_make("a", lambda: made.append("a2") or b"A2") == b"A"
    first.get_or_make("b", lambda: b"B")  # forgets a here; the store still has it
    assert first.get_or_make("a", lambda: made.append("a3") or b"A3") == b"A"
    assert made == ["a"]
    assert SharedPart(store, "bib").get("a") is None  # each cache's keys apart


def test_the_folder_goes_with_the_build_and_leftovers_with_the_next(tmp_path):
    cache = CacheDir(tmp_path)
    store = SharedFragments(cache.made(), workers=2, expected=10)
    store.attach(0)
    store.put(("k",), b"v")
    folder = store.folder
    store.remove()
    assert not folder.exists()
    left = SharedFragments(cache.path, workers=1, expected=10)  # as a killed build leaves it
    left.attach(0)
    left.close_files()
    cache.remove_leftovers()
    assert not list(cache.path.glob("fragments-*"))


def test_processes_sharing_fragments_build_what_one_process_builds(tmp_path, monkeypatch):
    one, four = generated_listing(tmp_path / "one", 80), generated_listing(tmp_path / "four", 80)
    build(load_config(one)[0], jobs=1)
    monkeypatch.setattr(sitegen.engine.state, "SHARED_FROM", 1)
    regions = []
    real = SharedFragments.remove

    def remove(self):
        slots = [SLOT.unpack_from(self._index, n * SLOT.size)[0] for n in range(self.workers * self.slots)]
        regions.append([sum(1 for h in slots[w * self.slots:(w + 1) * self.slots] if h) for w in range(self.workers)])
        real(self)

    monkeypatch.setattr(SharedFragments, "remove", remove)
    report = build(load_config(four)[0], jobs=4)
    assert report.rendered > 4 * sitegen.engine.workers.CHUNK
    assert output_tree(one / "output") == output_tree(four / "output")
    assert len(regions) == 1 and sum(1 for n in regions[0] if n) >= 2  # several processes made fragments
    assert not list((four / ".sitegen").glob("fragments-*"))


def test_one_process_shares_its_fragments_with_none(tmp_path, monkeypatch):
    site = generated_listing(tmp_path / "one", 40)
    monkeypatch.setattr(sitegen.engine.state, "SHARED_FROM", 1)
    made = []
    real = SharedFragments.__init__
    monkeypatch.setattr(SharedFragments, "__init__", lambda self, *a, **k: made.append(a) or real(self, *a, **k))
    build(load_config(site)[0], jobs=1)
    assert made == []
    build(load_config(generated_listing(tmp_path / "two", 40))[0], jobs=2)
    assert len(made) == 1


def test_a_build_too_large_to_hold_every_text_reads_the_shared_ones(tmp_path, monkeypatch):
    """Past TEXTS_READ_AT_ONCE papers the text processes share the texts they render and
    the render processes read them there: the output is the same, the store is not
    asked for them one by one, and the shared texts' folder goes with the build."""
    from sitegen.engine.textstore import TextStore

    one, large = generated_listing(tmp_path / "one", 60), generated_listing(tmp_path / "large", 60)
    build(load_config(one)[0], jobs=1)
    monkeypatch.setattr(sitegen.engine.state, "SHARED_FROM", 1)
    monkeypatch.setattr(sitegen.engine.state, "TEXTS_READ_AT_ONCE", 10)
    monkeypatch.setattr(TextStore, "get", lambda *a: pytest.fail("a text read from the store"))
    build(load_config(large)[0], jobs=2)
    assert output_tree(one / "output") == output_tree(large / "output")
    assert not list((large / ".sitegen").glob("fragments-*"))


def test_the_build_process_renders_the_texts_its_text_processes_have_not_taken(tmp_path, monkeypatch):
    """Once its own work is done the build process takes texts from the same list as
    its text processes; those it renders reach the render processes through the shared
    texts like theirs. Here the text processes start late, so it renders them all."""
    import time

    from sitegen.engine.textstore import TextStore

    one, large = generated_listing(tmp_path / "one", 60), generated_listing(tmp_path / "large", 60)
    build(load_config(one)[0], jobs=1)
    renderers = tmp_path / "renderers"
    render_text, init = sitegen.engine.textstore.row, sitegen.engine.texts._start_text_process

    def noted(paper):
        with open(renderers, "a") as log:
            log.write(f"{os.getpid()}\n")
        return render_text(paper)

    def late(*args):
        time.sleep(2)
        init(*args)

    monkeypatch.setattr(sitegen.engine.textstore, "row", noted)
    monkeypatch.setattr(sitegen.engine.texts, "_start_text_process", late)
    monkeypatch.setattr(sitegen.engine.state, "SHARED_FROM", 1)
    monkeypatch.setattr(sitegen.engine.state, "TEXTS_READ_AT_ONCE", 10)
    monkeypatch.setattr(TextStore, "get", lambda *a: pytest.fail("a text read from the store"))
    build(load_config(large)[0], jobs=2)
    assert renderers.read_text().split() == [str(os.getpid())] * 60
    assert output_tree(one / "output") == output_tree(large / "output")
