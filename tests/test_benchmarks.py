"""The benchmark the README's speed table comes from runs as written, and so does the
random-edits check of incremental builds."""

import os
import random
import shutil

import pytest

from benchmarks import random_edits
from benchmarks.generate import make_listing, write_sitegen
from benchmarks.run import measure_sitegen


def _linux_proc_files() -> list[str]:
    """The /proc files the memory sampler (benchmarks/memory.py) reads, for this process."""
    pid = os.getpid()
    return [f"/proc/{pid}/smaps_rollup", f"/proc/{pid}/task/{pid}/children"]


reads_proc = pytest.mark.skipif(
    not all(os.path.exists(path) for path in _linux_proc_files()),
    reason="the memory sampler reads Linux's /proc/<pid>/smaps_rollup and /proc/<pid>/task/<tid>/children, "
           "which this system does not have")


@reads_proc
def test_the_benchmark_measures_each_kind_of_build(tmp_path):
    results = measure_sitegen(make_listing(60), runs=1, jobs=1, work=tmp_path, warm_edits=2)
    full, unchanged = results["full"], results["no-change"]
    assert full["written"] == full["files"] > full["rendered"] > 60 and full["peak_mb"] > 0  # the index is not rendered
    assert full["tree_mb"] > 0
    assert 0 < full["user_s"] and 0 <= full["sys_s"] and full["user_s"] + full["sys_s"] < full["seconds"] * 8
    assert unchanged["rendered"] == unchanged["written"] == 0
    for name in ("edit abstract", "edit author name", "serve: edit abstract"):
        assert 0 < results[name]["rendered"] < full["files"] / 2, name
    assert results["edit template"]["rendered"] == 60  # every paper page, nothing else


@reads_proc
def test_timed_full_builds_go_without_the_memory_sampler(tmp_path, monkeypatch):
    """Reading a large process's PSS costs the machine what the build would use: the tree's
    peak comes from an untimed full build of the first run."""
    from benchmarks import run

    sampled = []

    class Counted(run.PeakSampler):
        def __enter__(self):
            sampled.append(self.pid)
            return super().__enter__()

    monkeypatch.setattr(run, "PeakSampler", Counted)
    listing = make_listing(30)
    later = run.sitegen_round(listing, 1, 1, tmp_path)
    assert later["full"]["tree_mb"] != later["full"]["tree_mb"] and later["full"]["peak_mb"] > 0  # NaN
    assert len(sampled) == 4  # the no-change build and the three edits
    first = run.sitegen_round(listing, 0, 1, tmp_path)
    assert first["full"]["tree_mb"] > 0 and len(sampled) == 4 + 5
    assert run._median([first["full"], later["full"]])["tree_mb"] == first["full"]["tree_mb"]


@reads_proc
def test_the_memory_sampler_adds_up_a_process_tree():
    """A parent and the child it forks each fill 100 MB of their own: the tree holds 200 MB,
    which the largest process's RSS alone would not show."""
    import subprocess
    import sys

    from benchmarks.memory import PeakSampler

    script = ("import os, time\n"
              "data = bytearray(100 * 2**20)\n"
              "pid = os.fork()\n"
              "mine = bytearray(100 * 2**20)\n"  # each process's own, not shared
              "time.sleep(1.5)\n"
              "os._exit(0) if pid == 0 else os.waitpid(pid, 0)\n")
    process = subprocess.Popen([sys.executable, "-c", script])
    with PeakSampler(process.pid, interval=0.05) as sampler:
        process.wait()
    assert 280 < sampler.peak_mb < 400  # 100 shared (counted once) + 2 × 100 own, and the interpreters


def test_a_process_ending_while_the_tree_is_read_is_left_out(monkeypatch):
    """The kernel answers ESRCH for a process in the middle of exiting."""
    import os

    from benchmarks import memory

    listdir = os.listdir

    def ending(path):
        if path == f"/proc/{os.getpid()}/task":
            raise ProcessLookupError(3, "No such process")
        return listdir(path)

    monkeypatch.setattr(memory.os, "listdir", ending)
    assert memory.tree(os.getpid()) == [os.getpid()]


@reads_proc
def test_the_sampler_goes_on_after_a_sample_fails(monkeypatch):
    import os
    import time

    from benchmarks import memory

    walk, failed = memory.tree, []

    def failing_once(pid):
        if not failed:
            failed.append(pid)
            raise ProcessLookupError(3, "No such process")
        return walk(pid)

    monkeypatch.setattr(memory, "tree", failing_once)
    with memory.PeakSampler(os.getpid(), interval=0.01) as sampler:
        time.sleep(0.2)
    assert failed and sampler.peak_mb > 10


@pytest.mark.parametrize("serve", [False, True], ids=["fresh process", "warm process"])
def test_random_edits_leave_the_same_output_as_a_clean_build(tmp_path, serve):
    site = write_sitegen(make_listing(120, seed=3), tmp_path / "site")
    said = []
    assert random_edits.check(site, rounds=4, seed=3, serve=serve, say=said.append) is None
    assert len(said) == 4 and all("same as a clean build" in line for line in said)


def test_every_kind_of_random_edit_changes_the_content(tmp_path):
    site = write_sitegen(make_listing(120, seed=4), tmp_path / "site")
    for kind, edit in random_edits.EDITS.items():
        before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (site / "content").rglob("*.yaml")}
        os.utime(site / "content/authors.yaml", ns=(0, 0))  # so that a touch shows
        for p in (site / "content/days").glob("*.yaml"):
            os.utime(p, ns=(0, 0))
        said = edit(random_edits.Content(site, random.Random(kind)))
        after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (site / "content").rglob("*.yaml")}
        if kind == "touched":
            assert any(after[p][1] != 0 for p in after), said
        else:
            assert after.keys() != before.keys() or any(after[p][0] != before[p][0] for p in after), (kind, said)


def test_a_stale_or_missing_output_file_is_a_difference(tmp_path):
    site = write_sitegen(make_listing(40), tmp_path / "site")
    random_edits._build_process(site, jobs=1)
    shutil.copytree(site / "output", tmp_path / "copy")
    assert random_edits.differences(site / "output", tmp_path / "copy") == []
    (tmp_path / "copy/index.html").write_text("stale")
    (tmp_path / "copy/feed.xml").unlink()
    assert random_edits.differences(site / "output", tmp_path / "copy") == ["feed.xml", "index.html"]


def test_random_edits_of_a_listing_emptied_by_earlier_edits_say_so(tmp_path):
    """Deleting papers removes a file left without any: later edits find nothing to do."""
    (tmp_path / "content/days").mkdir(parents=True)
    (tmp_path / "content/authors.yaml").write_text("[]\n")
    content = random_edits.Content(tmp_path, random.Random(1))
    said = {kind: edit(content) for kind, edit in random_edits.EDITS.items()}
    assert all(line.startswith(("nothing to", "no ")) for line in said.values()), said
    assert list((tmp_path / "content").rglob("*.yaml")) == [tmp_path / "content/authors.yaml"]


def test_the_comparison_builds_each_variant_by_turns_with_its_own_code_and_environment(tmp_path):
    """benchmarks/compare.py: each variant runs the sitegen of its checkout with its
    environment (plain Jinja here, with the same pages as the fast templates)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.compare", "--papers", "40", "--rounds", "2", "--jobs", "1",
         "--variant", f"fast={repo}", "--variant", f"plain={repo}:SITEGEN_FAST_JINJA=0",
         "--json", str(tmp_path / "rounds.json")],
        cwd=repo, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    rounds = json.loads((tmp_path / "rounds.json").read_text())
    assert len(rounds) == 2 and all(list(r) == ["fast", "plain"] for r in rounds)
    for row in rounds:
        assert row["fast"]["full"]["files"] == row["plain"]["full"]["files"] > 40
        assert 0 < row["plain"]["edit abstract"]["rendered"] < row["plain"]["full"]["files"] / 2
    assert "full           plain" in done.stdout and "ratio to fast" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "benchmarks.compare", "--variant", f"x={tmp_path}"],
                         cwd=repo, capture_output=True, text=True)
    assert bad.returncode == 2 and "no sitegen package there" in bad.stderr
