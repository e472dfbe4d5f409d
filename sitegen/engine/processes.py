"""How the engine's worker processes start, and what each may ask of the system.

Every parallel stage (parsing, texts, rendering, the check of output/) starts its
processes here. Memory tricks and priorities are used only where the system has them.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterator

HELPER_NICENESS = 5
PARALLEL_FILES = 32  # fewer content files to parse than this: not worth starting processes


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def fork_context():
    return multiprocessing.get_context("fork")


def run_as_helper() -> None:
    """Lower the priority of a process that works beside the build process (parsing
    entries, rendering texts), whose own work then runs first. The build process has a
    chain of steps only it can do (storing what is parsed, the model, the plan) while
    its helpers have work that can wait, and with an equal share of the cores, the
    helpers finished first and left one idle while it went on alone."""
    try:
        os.nice(HELPER_NICENESS)
    except (OSError, AttributeError):  # not permitted, or no such call here
        pass


def parse_map(jobs: int | None) -> Callable[[Callable, list], Iterator]:
    """`map` for parsing content files: in helper processes when there are many files
    (YAML and validation take about half a millisecond per entry), here otherwise."""
    jobs = jobs or default_jobs()

    def mapped(function: Callable, items: list) -> Iterator:
        if jobs <= 1 or len(items) < PARALLEL_FILES:
            yield from map(function, items)
            return
        with ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=fork_context(),
                                 initializer=run_as_helper) as pool:
            yield from pool.map(function, items, chunksize=max(1, len(items) // (jobs * 8)))

    return mapped


def return_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim). Cards and
    BibTeX entries are larger than Python's small-object allocator takes, so they live
    in malloc's heap; once the caches holding them are emptied, what a process makes
    next (mostly small objects) goes elsewhere, and the freed heap would stay its own."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


def die_with_parent(parent: int) -> None:
    """A worker ends when its build process does, even if that one was killed (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
