"""The memory a process tree holds: the peak of the sum of its processes' PSS.

`wait4` gives the largest single process's peak RSS, which undercounts a build whose
render processes each hold their own copy of what they touched; adding their RSS
overcounts the pages they still share with the parent. PSS splits each shared page
among the processes sharing it, so the sum is what the tree costs the machine.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


def tree(pid: int) -> list[int]:
    """pid and its descendants (Linux /proc). A process may end while it is read: a
    build's text and render processes do, and one that raised here stopped the sampler
    for the rest of the build."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                todo += [int(child) for child in Path(f"/proc/{current}/task/{task}/children").read_text().split()]
            except OSError:
                pass
    return found


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:  # it ended meanwhile
        pass
    return 0


class PeakSampler:
    """Samples a process tree's summed PSS every `interval` seconds until stopped."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval = pid, interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def available() -> bool:
        return os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in tree(self.pid)))
            except OSError:  # a sample lost, not the rest of the build's
                pass
            self._stop.wait(self.interval)

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024 if self.peak_kb else float("nan")
