"""A build killed at any moment never leaves a truncated file in output/, and the next
build brings output/ to exactly what a clean build gives.

The kill is timed by the build itself, not by a clock, so it lands mid-build on a
machine of any speed: either while pages render (the test watches the staging folder
fill and freezes the build's process group once it holds a chosen share of the files
the rebuild writes), or while the commit moves files into output/ (the build, run
through a driver that counts its moves, stops itself before a chosen one). Each test
then asserts where the kill landed before checking what it left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitekit import build_dir, output_tree, write_files

CONFIG = "base_url: https://example.org/\n"
DEADLINE = 60  # seconds for a build to reach the chosen moment, or to end once killed

# The build as `python -m sitegen build -q` runs it, except that it stops itself
# (SIGSTOP) just before its Nth move of a staged file into output/: the test kills it there.
STOPPING_BUILD = """
import os, signal, sys
from sitegen.write import commit
from sitegen.commands.cli import entry

stop_before = int(sys.argv[1])
move = commit._replace
moves = 0

def counted_move(source, target):
    global moves
    moves += 1
    if moves == stop_before:
        os.kill(os.getpid(), signal.SIGSTOP)
    return move(source, target)

commit._replace = counted_move
sys.argv = ["sitegen", "build", "-q"]
entry()
"""

KILLS = [("rendering", signal.SIGKILL), ("rendering", signal.SIGINT),
         ("committing", signal.SIGKILL), ("committing", signal.SIGINT)]
README_KILLS = 4  # docs/testing.md, "What the tests prove": the kills it counts


def _papers(count: int, variant: str) -> str:
    return "".join(f"- id: p{i}\n  title: Paper {i} {variant}\n  authors: [Author {i % 7}, Author {i % 5} B]\n"
                   f"  abstract: Text {variant} {i} with $x_{i}$.\n  published: 2024-03-{1 + i % 28:02d}\n"
                   f"  tags: [topic {i % 4}]\n" for i in range(count))


def _start(site: Path, command: list[str]) -> subprocess.Popen:
    """The build in a process group of its own, as a shell runs a command: Ctrl-C
    reaches the group, and the test can freeze the build and its workers at once."""
    return subprocess.Popen(command, cwd=site, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _staging_folders(site: Path) -> set[Path]:
    return set((site / ".sitegen").glob("staging-*"))


def _staged_count(folders: set[Path]) -> int:
    count = 0
    for folder in folders:
        try:
            count += sum(1 for _ in os.scandir(folder))
        except FileNotFoundError:
            pass
    return count


def _freeze_once_staged(process: subprocess.Popen, site: Path, threshold: int, older: set[Path]) -> bool:
    """Stop the build's whole process group as soon as its staging folder holds
    `threshold` files; False if the build ended first."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if _staged_count(_staging_folders(site) - older) >= threshold:
            os.killpg(process.pid, signal.SIGSTOP)
            return True
        time.sleep(0.001)  # the cores are the build's
    pytest.fail(f"the build staged fewer than {threshold} files in {DEADLINE} s")


def _wait_until_stopped(process: subprocess.Popen) -> None:
    """Wait for the build to stop itself; fail, saying how it ended, if it exits instead."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        pid, status = os.waitpid(process.pid, os.WNOHANG | os.WUNTRACED)
        if pid and os.WIFSTOPPED(status):
            return
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            pytest.fail(f"the build ended (status {process.returncode}) before its chosen move: "
                        f"{process.stderr.read().decode(errors='replace')}")
        time.sleep(0.005)
    pytest.fail(f"the build did not reach its chosen move in {DEADLINE} s")


def _kill(process: subprocess.Popen, sig: signal.Signals) -> str:
    """SIGKILL to the build process (as `kill -9` or the OOM killer sends it), SIGINT
    to its group (as Ctrl-C in a terminal sends it); then let the group run on, and
    return what the build printed on stderr."""
    if sig == signal.SIGKILL:
        os.kill(process.pid, sig)
    else:
        os.killpg(process.pid, sig)
    os.killpg(process.pid, signal.SIGCONT)
    try:
        _, stderr = process.communicate(timeout=DEADLINE)
    finally:
        try:  # render workers the build left behind, if any
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return stderr.decode(errors="replace")


def _assert_killed(process: subprocess.Popen, sig: signal.Signals, stderr: str) -> None:
    """The build ended by the signal, not by finishing: SIGKILL is its exit status;
    SIGINT ends it with "Aborted!" and status 130 (128 + SIGINT), as shells expect."""
    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL, (process.returncode, stderr)
    else:
        assert process.returncode == 130, (process.returncode, stderr)
        assert "Aborted!" in stderr, stderr


@pytest.mark.parametrize("moment, sig", KILLS, ids=[f"{m}-{s.name}" for m, s in KILLS])
def test_killed_builds_leave_whole_files_and_recover(tmp_path, moment, sig):
    rng = random.Random(f"{moment}-{sig.name}")
    site = write_files(tmp_path / "site", {"content/a.yaml": _papers(150, "one"), "sitegen.yaml": CONFIG})
    build_dir(site)
    previous = output_tree(site / "output")
    clean = write_files(tmp_path / "clean", {"content/a.yaml": _papers(170, "two"), "sitegen.yaml": CONFIG})
    build_dir(clean)
    expected = output_tree(clean / "output")
    changing = sorted(name for name, data in expected.items() if previous.get(name) != data)
    assert len(changing) > 100, "every page changes, some are new: the rebuild has many files to write"

    (site / "content/a.yaml").write_text(_papers(170, "two"))
    if moment == "rendering":
        threshold = max(1, int(len(changing) * rng.uniform(0.05, 0.5)))
        older = _staging_folders(site)
        process = _start(site, [sys.executable, "-m", "sitegen", "build", "-q"])
        assert _freeze_once_staged(process, site, threshold, older), \
            f"the build ended before staging {threshold} of its {len(changing)} files"
        frozen = output_tree(site / "output")
        assert frozen == previous, "frozen before the commit, output/ must still be the last build's"
    else:
        stop_before = rng.randint(2, len(changing))  # 1 to len(changing) - 1 files moved
        process = _start(site, [sys.executable, "-c", STOPPING_BUILD, str(stop_before)])
        _wait_until_stopped(process)
        frozen = output_tree(site / "output")
        moved = [name for name in changing if frozen.get(name) == expected[name]]
        assert len(moved) == stop_before - 1, "stopped mid-commit: some files moved in, not all"

    stderr = _kill(process, sig)
    _assert_killed(process, sig, stderr)
    after_kill = output_tree(site / "output")
    assert after_kill == frozen, "nothing moved into output/ after the kill"
    for name, data in after_kill.items():  # each file is whole: as before, or as after
        assert data in (previous.get(name), expected.get(name)), f"{name} is half-written"

    build_dir(site)
    assert output_tree(site / "output") == expected
    assert not list((site / ".sitegen").glob("staging-*")), "the killed build's staged files are removed"


def test_the_kills_are_as_many_as_the_readme_counts():
    assert len(KILLS) == README_KILLS
