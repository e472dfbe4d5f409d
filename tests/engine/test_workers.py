"""The engine's machinery for processes: how work is handed out among them (segments),
texts written in batches, and the check of output/ made in the background."""

import pytest
from hypothesis import given, strategies as st

from sitegen.engine import texts
from sitegen.engine.background import _Answer
from sitegen.engine.segments import Segments
from sitekit import PAPER, build_dir


def _hand_out(segments: Segments, order: list[int]) -> list[tuple[int, tuple[int, int]]]:
    taken = []
    for worker in order:
        piece = segments.take(worker)
        if piece is not None:
            taken.append((worker, piece))
    while True:  # whoever asks next, until nothing is left
        piece = segments.take(0)
        if piece is None:
            return taken
        taken.append((0, piece))


@given(total=st.integers(0, 500), workers=st.integers(1, 5), chunk=st.integers(1, 40),
       order=st.lists(st.integers(0, 5), max_size=60), joining=st.integers(0, 1))
def test_every_task_is_handed_out_exactly_once(total, workers, chunk, order, joining):
    segments = Segments(total, workers, chunk, shared=False, joining=joining)
    taken = _hand_out(segments, [w % (workers + joining) for w in order])
    covered = sorted(i for _, (start, stop) in taken for i in range(start, stop))
    assert covered == list(range(total))
    assert all(0 < stop - start <= chunk for _, (start, stop) in taken)


def test_each_worker_starts_on_its_own_run_and_only_then_takes_from_the_back_of_another():
    segments = Segments(100, 2, 10, shared=False)
    assert segments.take(0) == (0, 10)
    assert segments.take(1) == (50, 60)
    for _ in range(4):
        segments.take(0)  # worker 0 finishes 0–50
    assert segments.take(0) == (90, 100)  # the end of worker 1's run, furthest from where it works
    assert segments.take(1) == (60, 70)


def test_a_joining_worker_takes_from_the_back_of_the_longest_run():
    segments = Segments(100, 2, 10, shared=False, joining=1)
    assert segments.take(0) == (0, 10)
    assert segments.take(2) == (90, 100)  # worker 1's run is the longer (50-100 against 10-50)
    assert segments.take(2) == (40, 50)
    assert segments.take(1) == (50, 60)


def test_what_is_left_counts_what_no_worker_has_taken():
    segments = Segments(100, 2, 10, shared=False, joining=1)
    assert segments.left() == 100
    segments.take(0), segments.take(2)
    assert segments.left() == 80
    segments.cancel()
    assert segments.left() == 0


def test_texts_are_written_in_short_batches_once_few_are_left_to_hand_out(monkeypatch):
    """So that no process ends the texts with a long write while the others wait."""
    class Store:
        def __init__(self):
            self.batches: list[int] = []

        def add(self, rows):
            self.batches.append(len(rows))

    monkeypatch.setattr(texts.textstore, "row", lambda paper: (paper, ()))
    batches = {}
    for told in (True, False):
        segments, store = Segments(3000, 1, 16, shared=False), Store()
        texts._store_texts(list(range(3000)), texts._pieces(segments, 0), store, left=segments.left if told else None)
        batches[told] = store.batches
    assert batches[False] == [1024, 1024, 952]
    # 1,984 handed out, 1,016 left: the 960 since the last write go, then every 64.
    assert batches[True] == [1024, 960] + [texts.TEXT_LAST_BATCH] * 15 + [56]


def test_a_cancelled_share_hands_out_nothing_more():
    segments = Segments(100, 2, 10, shared=False)
    segments.take(0)
    segments.cancel()
    assert segments.take(0) is None and segments.take(1) is None


def test_shared_segments_are_seen_by_a_forked_process():
    import multiprocessing

    segments = Segments(30, 2, 10)
    context = multiprocessing.get_context("fork")
    process = context.Process(target=segments.take, args=(0,))
    process.start()
    process.join()
    assert segments.take(0) == (10, 15)  # the child took 0–10 of worker 0's run (0–15)


@pytest.mark.parametrize("fork", [True, False])
def test_the_background_check_finds_what_a_stat_of_each_file_finds(make_site, fork):
    site = make_site({"content/papers.yaml": PAPER})
    build_dir(site)
    manifest = built_manifest(site)
    (site / "output/index.html").unlink()
    (site / "output/feed.xml").write_text("changed by hand")
    expected = {name for name in manifest.records if not manifest._matches(name)}
    assert expected == {"index.html", "feed.xml"}
    assert _Answer(lambda: {n for n in manifest.records if not manifest._matches(n)}, fork=fork).result() == expected


def built_manifest(site):
    from sitegen.engine.cachedir import CacheDir
    from sitegen.write.manifest import Manifest

    return Manifest.load(CacheDir(site).manifest(site / "output"), site / "output")
