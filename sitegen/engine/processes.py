"""How the engine's worker processes start, and what each may ask of the system.

Every parallel stage (parsing, texts, rendering, the warm-up of `sitegen serve`, the
check of output/) starts its processes here, all by one start method:

- fork where the system has it and it is safe (Linux and the other POSIX systems but
  macOS): a process starts with the build process's memory, the model included, and
  the processes of a build can share what they make (shared_fragments.py);
- spawn elsewhere: on Windows, which has no fork, and on macOS, where Python calls fork
  unsafe (the system's own libraries may have threads that a forked child lacks). A
  spawned process is a fresh interpreter, given what it needs pickled; the processes
  of a build then share only the hand-out of their work (segments.py);
- serial where processes cannot start (WebAssembly, a system without the semaphores
  multiprocessing needs): everything runs in the build process.

SITEGEN_START_METHOD=fork|spawn|serial chooses one (an unknown name, or fork where the
system has none, leaves the default). Every way builds the same bytes. Memory tricks and
priorities are used only where the system has them.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Iterator

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

START_METHOD = "SITEGEN_START_METHOD"  # the environment variable that chooses the start method
FORK, SPAWN, SERIAL = "fork", "spawn", "serial"
HELPER_NICENESS = 5
PARALLEL_FILES = 32  # fewer content files to parse than this: not worth starting processes
_LINUX = sys.platform.startswith("linux")


def start_method() -> str:
    """How this build's processes start: FORK, SPAWN or SERIAL (see the module's text)."""
    method = _wanted()
    return method if method == SERIAL or _processes_start() else SERIAL


def _wanted() -> str:
    """The start method chosen, or the system's, before asking whether processes can
    start at all (which imports multiprocessing: not needed by a bare fork)."""
    chosen = os.environ.get(START_METHOD, "").strip().lower()
    if chosen in (SPAWN, SERIAL) or chosen == FORK and hasattr(os, "fork"):
        return chosen
    return FORK if hasattr(os, "fork") and sys.platform != "darwin" else SPAWN


def forks() -> bool:
    """Processes start as copies of this one: what this process holds, they hold (and
    memory it mapped as shared, they share)."""
    return start_method() == FORK


@cache
def _processes_start() -> bool:
    if sys.platform in ("emscripten", "wasi"):
        return False
    try:
        import multiprocessing.synchronize  # noqa: F401  (needs the system's sem_open)
    except ImportError:
        return False
    return True


def context():
    """The multiprocessing context of the start method: what starts the processes, and
    makes the memory and locks they share. Not for SERIAL, which starts none."""
    method = start_method()
    if method == SERIAL:
        raise RuntimeError("no processes start serially")
    import multiprocessing

    return multiprocessing.get_context(method)


def process_count(jobs: int | None) -> int:
    """How many processes a stage may work in, this one included: --jobs, one per core
    by default, one where no process can start."""
    if start_method() == SERIAL:
        return 1
    return jobs or default_jobs()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def pool(workers: int, initializer: Callable | None = None, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of `workers` processes started by the start method; each runs
    `initializer(*initargs)` first (pickled, where they are spawned)."""
    from concurrent.futures import ProcessPoolExecutor

    _pickle_read_only_mappings()
    return ProcessPoolExecutor(max_workers=workers, mp_context=context(), initializer=initializer,
                               initargs=initargs)


@cache
def _pickle_read_only_mappings() -> None:
    """What a spawned process is given may hold the model's read-only mappings (a
    `types.MappingProxyType`, such as `site.papers` beside the site): they go as the
    dicts they show, read-only again there. (The site itself pickles its own.)"""
    from multiprocessing.reduction import ForkingPickler

    ForkingPickler.register(MappingProxyType, _read_only_copy)


def _read_only_copy(proxy: MappingProxyType) -> tuple:
    return _read_only, (dict(proxy),)


def _read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


def can_fork_now() -> bool:
    """A bare fork (`fork`) is safe: the start method forks, and this process has no
    other thread, which the child would lack (a lock one held would stay held)."""
    return _wanted() == FORK and threading.active_count() == 1


def fork() -> int:
    """os.fork(), for work beside the build that needs no pool (background.py); only
    when `can_fork_now()`."""
    return os.fork()


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
    jobs = process_count(jobs)

    def mapped(function: Callable, items: list) -> Iterator:
        if jobs <= 1 or len(items) < PARALLEL_FILES:
            yield from map(function, items)
            return
        with pool(min(jobs, len(items)), run_as_helper) as helpers:
            yield from helpers.map(function, items, chunksize=max(1, len(items) // (jobs * 8)))

    return mapped


@cache
def _libc():
    """The C library's functions as this process links them (Linux only: elsewhere
    neither call below exists, and Windows has no such handle)."""
    if not _LINUX:
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):
        return None


def return_free_memory() -> None:
    """Hand the heap's free pages back to the system (glibc's malloc_trim). Cards and
    BibTeX entries are larger than Python's small-object allocator takes, so they live
    in malloc's heap; once the caches holding them are emptied, what a process makes
    next (mostly small objects) goes elsewhere, and the freed heap would stay its own."""
    trim = getattr(_libc(), "malloc_trim", None)  # glibc's: musl has none
    if trim is not None:
        trim(0)


def die_with_parent(parent: int) -> None:
    """A worker ends when its build process does, even if that one was killed (Linux's
    prctl; elsewhere a worker notices when its pool's pipe breaks)."""
    prctl = getattr(_libc(), "prctl", None)
    if prctl is None:
        return
    prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
