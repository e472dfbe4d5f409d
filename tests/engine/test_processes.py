"""How the engine's processes start, and that every way builds the same bytes.

The whole-build test runs where Python cannot fork and has no fcntl, as on Windows (and
as on macOS, where sitegen does not fork): a build process whose `os.fork` is gone,
whose multiprocessing refuses the fork context, which cannot import fcntl, and whose
start method is spawn; so are the processes it spawns (sitecustomize.py, below). Its
builds (clean, an edit, a deletion, and `sitegen serve`'s rebuild) must equal, byte for
byte, the same builds made the usual way, by forked processes.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import subprocess
import sys
import textwrap
import weakref
from collections import Counter
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
import yaml

from sitegen.config import load_config
from sitegen.engine import background, processes
from sitegen.engine.build import build
from sitegen.engine.lock import BuildLock
from sitegen.engine.segments import Segments
from sitegen.engine.state import SHARED_FROM, TEXTS_READ_AT_ONCE, Fresh, Warm
from sitegen.pages.theme import Theme
from sitekit import PAPER, REPO, generated_listing, output_tree

PAPERS = 200  # enough for every stage to start processes
PAPERS_PER_FILE = 5  # the generated listing has one file per day: split, so that parsing starts processes too
JOBS = 2
EDITED, SERVE_EDITED = slice(-8, None), slice(-16, -8)  # content files whose papers' abstracts change

# Loaded first by every Python process that inherits PYTHONPATH: the build process and
# every process it spawns.
WITHOUT_FORK_OR_FCNTL = """
import os, sys

sys.modules["fcntl"] = None  # `import fcntl` raises ImportError
del os.fork

import multiprocessing
import multiprocessing.context

multiprocessing.set_start_method("spawn", force=True)


def _refusing_fork(get_context):
    def refusing(self, method=None):
        context = get_context(self, method)
        if context.get_start_method() == "fork":
            raise ValueError("fork is not available here")
        return context
    return refusing


for _kind in (multiprocessing.context.BaseContext, multiprocessing.context.DefaultContext):
    _kind.get_context = _refusing_fork(_kind.get_context)
multiprocessing.get_context = multiprocessing.context._default_context.get_context
"""

RUN_SCENARIO = """
import gc, json, os, sys
from pathlib import Path

sys.path[:0] = [sys.argv[1], sys.argv[2]]
import test_processes

if __name__ == "__main__":
    gc.disable()  # what only the collector would free (a pool and what it was given) stays
    started = test_processes.scenario(Path(sys.argv[3]), Path(sys.argv[4]))
    print(json.dumps(started))
    sys.stdout.flush()
    os._exit(0)  # as `sitegen build` ends (commands/cli.py): nothing cleaned up
"""


def split_listing(site: Path, per_file: int) -> Path:
    """The listing's day files as files of `per_file` papers each."""
    for day in sorted((site / "content" / "days").glob("*.yaml")):
        papers = yaml.safe_load(day.read_text(encoding="utf-8"))
        for part in range(0, len(papers), per_file):
            target = day.with_name(f"{day.stem}-{part // per_file:02d}.yaml")
            target.write_text(yaml.safe_dump(papers[part:part + per_file], sort_keys=False, allow_unicode=True),
                              encoding="utf-8")
        day.unlink()
    return site


def edit_abstracts(site: Path, files: slice, words: str) -> None:
    """Change the abstract of every paper of these content files (in name order)."""
    for path in sorted((site / "content" / "days").glob("*.yaml"))[files]:
        papers = yaml.safe_load(path.read_text(encoding="utf-8"))
        for paper in papers:
            paper["abstract"] = f"{words} {paper['abstract']}"
        path.write_text(yaml.safe_dump(papers, sort_keys=False, allow_unicode=True), encoding="utf-8")


@contextmanager
def counting_processes():
    """Every process started, by how it started and what it does: the initializer of
    its pool names the stage."""
    started: Counter = Counter()
    start = BaseProcess.start

    def counted(process):
        initializer = process._args[2] if len(process._args) > 2 else None
        started[f"{process._start_method or 'default'} {getattr(initializer, '__name__', None)}"] += 1
        return start(process)

    BaseProcess.start = counted
    try:
        yield started
    finally:
        BaseProcess.start = start


def scenario(site: Path, snapshots: Path) -> dict[str, dict[str, int]]:
    """A clean build, an edit, a deletion (each as `sitegen build` makes it), then
    `sitegen serve`'s: its first build, the warm-up while idle, and the rebuild after an
    edit. Copies output/ after each step into `snapshots`; returns the processes each
    step started."""
    config, problems = load_config(site)
    assert not [p for p in problems if p.is_error], problems
    started = {}

    def step(name: str, run) -> None:
        with counting_processes() as counted:
            run()
        started[name] = dict(counted)
        shutil.copytree(site / "output", snapshots / name)

    step("clean", lambda: build(config, jobs=JOBS))
    edit_abstracts(site, EDITED, "Edited.")  # more texts than TEXT_CHUNK, more pages than CHUNK
    step("edit", lambda: build(config, jobs=JOBS))
    next(iter(sorted((site / "content" / "days").glob("*.yaml")))).unlink()
    step("delete", lambda: build(config, jobs=JOBS))

    warm = Warm()
    try:
        def first_then_warm_up():
            build(config, jobs=JOBS, warm=warm)
            warm.idle()  # as the server does once browsers reloaded: starts the warm-up
            warm.wait_for_warm_up()

        step("serve", first_then_warm_up)
        edit_abstracts(site, SERVE_EDITED, "Served.")
        step("serve edit", lambda: build(config, jobs=JOBS, warm=warm))
    finally:
        warm.close()
    return started


def stages_started(started: dict[str, int], how: str) -> set[str]:
    """The stages that started processes `how` (fork, spawn)."""
    stages = {"run_as_helper": "parse", "_start_text_process": "texts", "_start": "render",
              "_start_warm_up": "warm-up"}
    found = set()
    for name, count in started.items():
        method, initializer = name.split()
        if method == how and count:
            found.add(stages[initializer])
    return found


def test_without_fork_and_fcntl_spawned_processes_build_what_forked_ones_build(tmp_path):
    listing = split_listing(generated_listing(tmp_path / "listing", PAPERS), PAPERS_PER_FILE)
    assert len(list((listing / "content" / "days").glob("*.yaml"))) >= processes.PARALLEL_FILES + 4
    spawned_site, forked_site = tmp_path / "spawned", tmp_path / "forked"
    shutil.copytree(listing, spawned_site)
    shutil.copytree(listing, forked_site)

    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(WITHOUT_FORK_OR_FCNTL)
    env = {**os.environ, processes.START_METHOD: "spawn",
           "PYTHONPATH": os.pathsep.join([str(hook), str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", RUN_SCENARIO, str(Path(__file__).parent), str(REPO / "tests"),
                           str(spawned_site), str(tmp_path / "spawned-output")],
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    spawned = json.loads(done.stdout.strip().splitlines()[-1])
    assert "leaked semaphore" not in done.stderr  # each stage let go of the locks its processes shared

    forked = scenario(forked_site, tmp_path / "forked-output")

    for step in ("clean", "edit", "delete", "serve", "serve edit"):
        assert output_tree(tmp_path / "spawned-output" / step) == output_tree(tmp_path / "forked-output" / step), step
    assert not any(name.startswith("fork") for started in spawned.values() for name in started)
    assert stages_started(spawned["clean"], "spawn") == {"parse", "texts", "render"}
    assert stages_started(spawned["edit"], "spawn") == {"texts", "render"}
    assert stages_started(spawned["serve"], "spawn") >= {"warm-up"}
    assert stages_started(spawned["serve edit"], "spawn") == {"texts", "render"}
    assert stages_started(forked["clean"], "fork") == {"parse", "texts", "render"}  # the usual way, really


def test_serially_no_process_starts_and_the_build_is_the_same(tmp_path, monkeypatch):
    listing = split_listing(generated_listing(tmp_path / "listing", 80), PAPERS_PER_FILE)
    serial_site, forked_site = tmp_path / "serial", tmp_path / "forked"
    shutil.copytree(listing, serial_site)
    shutil.copytree(listing, forked_site)
    builds = {}
    for name, site, method in (("forked", forked_site, "fork"), ("serial", serial_site, "serial")):
        monkeypatch.setenv(processes.START_METHOD, method)
        config = load_config(site)[0]
        with counting_processes() as started:
            warm = Warm()
            build(config, jobs=JOBS)
            edit_abstracts(site, EDITED, "Edited.")
            build(config, jobs=JOBS, warm=warm)
            warm.idle()
            warm.wait_for_warm_up()
            warm.close()
        builds[name] = output_tree(site / "output"), started
    assert builds["serial"][0] == builds["forked"][0]
    assert sum(builds["serial"][1].values()) == 0
    assert sum(builds["forked"][1].values()) > 0


# --- the start method -------------------------------------------------------------------

@pytest.mark.parametrize("chosen, expected", [("fork", "fork"), ("spawn", "spawn"), ("serial", "serial"),
                                              (" Spawn ", "spawn"), ("", "fork"), ("threads", "fork")])
def test_the_start_method_is_the_one_chosen_or_fork_on_linux(monkeypatch, chosen, expected):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv(processes.START_METHOD, chosen)
    assert processes.start_method() == expected


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_where_fork_is_unsafe_or_missing_processes_are_spawned(monkeypatch, platform):
    monkeypatch.setattr(sys, "platform", platform)
    if platform == "win32":
        monkeypatch.delattr(os, "fork")
    monkeypatch.delenv(processes.START_METHOD, raising=False)
    assert processes.start_method() == "spawn"
    monkeypatch.setenv(processes.START_METHOD, "fork")  # where it exists, fork is the user's to choose
    assert processes.start_method() == ("fork" if platform == "darwin" else "spawn")


def test_where_processes_cannot_start_everything_runs_here(monkeypatch):
    monkeypatch.setattr(processes, "_processes_start", lambda: False)
    monkeypatch.setenv(processes.START_METHOD, "spawn")
    assert processes.start_method() == "serial"
    assert processes.process_count(8) == 1
    assert list(processes.parse_map(8)(str, list(range(processes.PARALLEL_FILES * 2)))) == \
        [str(n) for n in range(processes.PARALLEL_FILES * 2)]


@pytest.mark.parametrize("method", ["spawn", "serial"])
def test_only_forked_processes_share_fragments_and_texts(monkeypatch, method):
    order = [None] * SHARED_FROM
    assert Fresh().shares_fragments(order, 2) and Fresh().shares_texts(TEXTS_READ_AT_ONCE + 1)
    monkeypatch.setenv(processes.START_METHOD, method)
    assert not Fresh().shares_fragments(order, 2)
    assert not Fresh().shares_texts(TEXTS_READ_AT_ONCE + 1)


@pytest.mark.parametrize("method", ["spawn", "serial"])
def test_where_the_engine_does_not_fork_the_background_check_is_a_thread(monkeypatch, method):
    monkeypatch.setenv(processes.START_METHOD, method)
    forked = []
    monkeypatch.setattr(processes.os, "fork", lambda: forked.append(1) or pytest.fail("forked"))
    answer = background.in_background(lambda: {"found"})
    assert answer.result() == {"found"} and not forked


def test_a_process_with_threads_checks_on_a_thread(monkeypatch):
    monkeypatch.delenv(processes.START_METHOD, raising=False)
    monkeypatch.setattr(processes.threading, "active_count", lambda: 2)
    assert not processes.can_fork_now()


def test_no_module_but_processes_names_a_start_method_or_forks():
    """One place knows how processes start: a new stage cannot quietly fork."""
    package = REPO / "sitegen"
    found = []
    pattern = re.compile(r"""os\.fork\(|get_context\(|ProcessPoolExecutor\(|mp_context|["']fork["']|["']spawn["']""")
    for path in package.rglob("*.py"):
        if path.name == "processes.py" and path.parent.name == "engine":
            continue
        found += [f"{path.relative_to(REPO)}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1)
                  if pattern.search(line)]
    assert found == []


def test_closed_segments_let_go_of_their_shared_memory_and_lock():
    """Which a pool keeps until the collector frees it: a spawned pool's lock is a
    named semaphore, reported as leaked by a process that ends without cleaning up."""
    segments = Segments(30, 2, 10)
    segments.take(0)
    shared, lock = weakref.ref(segments._bounds), weakref.ref(segments._lock)
    segments.close()
    assert shared() is None and lock() is None
    assert segments.take(0) == (10, 15) and segments.left() == 15


# --- what a spawned process is given ----------------------------------------------------

def test_a_theme_pickles_without_its_environment_and_makes_it_again(tmp_path):
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "content" / "papers.yaml").write_text(PAPER)
    config = load_config(site)[0]
    from sitegen.config import find_theme

    theme = Theme.for_site(config, find_theme(config)[0])
    page = theme.environment.get_template("paper.html")  # the environment made and used
    copy = pickle.loads(pickle.dumps(theme))
    assert copy == theme and "environment" not in copy.__dict__
    assert copy.environment.get_template("paper.html").name == page.name


def test_the_model_s_read_only_mappings_go_to_a_spawned_process_read_only(tmp_path):
    from multiprocessing.reduction import ForkingPickler
    from types import MappingProxyType

    processes.pool(1).shutdown()  # a pool registers how they go
    papers = MappingProxyType({"a": 1})
    copy = pickle.loads(ForkingPickler.dumps(papers))
    assert type(copy) is MappingProxyType and dict(copy) == {"a": 1}


# --- what each system has -----------------------------------------------------------------

def test_memory_tricks_are_asked_of_linux_only(monkeypatch):
    """Elsewhere `ctypes.CDLL(None)` is no C library (Windows: a TypeError), and neither
    malloc_trim nor prctl exists."""
    monkeypatch.setattr(processes, "_LINUX", False)
    processes._libc.cache_clear()
    import ctypes

    monkeypatch.setattr(ctypes, "CDLL", lambda *args, **kwargs: pytest.fail("asked for the C library"))
    try:
        processes.return_free_memory()
        processes.die_with_parent(os.getppid())
    finally:
        processes._libc.cache_clear()


def test_the_build_lock_keeps_another_process_out_and_needs_no_fcntl(tmp_path):
    path = tmp_path / ".sitegen" / "lock"
    probe = textwrap.dedent("""
        import os, sys
        fd = os.open(sys.argv[1], os.O_RDWR)
        try:
            os.lockf(fd, os.F_TLOCK, 0)
        except OSError:
            print("held")
        else:
            print("free")
    """)
    with BuildLock(path):
        held = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True)
    free = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True)
    assert (held.stdout.strip(), free.stdout.strip()) == ("held", "free")
    importing = subprocess.run([sys.executable, "-c", "import sys; sys.modules['fcntl'] = None\n"
                                "from sitegen.commands import cli\nfrom sitegen.engine import build, lock"],
                               capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert importing.returncode == 0, importing.stderr
