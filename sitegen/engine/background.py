"""Work done in the background while the build goes on: in a forked process where the
engine forks and one can be started safely (processes.py), on a thread otherwise.

While a build loads and plans, CPython gives a thread the interpreter lock only between
the main thread's work, so a thread's `stat` calls would wait; a process makes them on
the other core.
"""

from __future__ import annotations

import marshal
import os
import threading
import weakref
from contextlib import suppress
from typing import Callable

from sitegen.engine import processes


class _Answer:
    """`find()` (what a survey of output/ found: sets of names) computed in a forked
    process, or on a thread where the engine does not fork (a spawned process would
    have to import sitegen and be given what `find` needs) or forking is unsafe (a
    process with threads, such as the dev server; it checks while idle). While a build
    loads and plans, CPython gives a thread the interpreter lock only between the main
    thread's work, so its stat calls would wait; a process makes them on the other core."""

    def __init__(self, find: Callable[[], object], fork: bool | None = None):
        self._find, self._result = find, None
        self._thread = self._pid = self._pipe = None
        if fork is None:
            fork = processes.can_fork_now()
        if not fork:
            self._thread = threading.Thread(target=self._run_here, name="sitegen-check", daemon=True)
            self._thread.start()
            return
        read, write = os.pipe()
        self._pid = processes.fork()
        if self._pid == 0:  # the child: report and leave without cleaning up the parent's state
            status = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(marshal.dumps(find(), 2))  # names as str, undecodable bytes included
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pipe = read
        self._reaper = weakref.finalize(self, _reap, self._pid, read)  # if never asked

    def _run_here(self) -> None:
        self._result = self._find()

    def result(self):
        if self._thread is not None:
            self._thread.join()
            self._thread = None  # asked once per output file by a build: joined once
        elif self._pipe is not None:
            self._reaper.detach()
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
            self._pipe = None
            _, status = os.waitpid(self._pid, 0)
            self._result = marshal.loads(data) if status == 0 else self._find()
        return self._result

def _reap(pid: int, pipe: int) -> None:
    with suppress(OSError):
        os.close(pipe)  # the child's write fails, and it exits
        os.waitpid(pid, 0)


def in_background(find: Callable[[], object]) -> _Answer:
    """`find()`, computed in a forked process (or on a thread); its `result()` waits for it."""
    return _Answer(find)
