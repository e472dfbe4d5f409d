"""One build at a time per site: `sitegen serve` and a manual build must not interleave."""

from __future__ import annotations

import fcntl
from pathlib import Path


class BuildLock:
    """One build at a time per site: `sitegen serve` and a manual build must not interleave.

    A POSIX record lock (lockf), not flock: forked render workers do not inherit it, so
    a build killed while its workers linger cannot block the next one.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path

    def __enter__(self):
        self.handle = open(self.path, "w")
        fcntl.lockf(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.lockf(self.handle, fcntl.LOCK_UN)
        self.handle.close()
