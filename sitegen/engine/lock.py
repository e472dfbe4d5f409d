"""One build at a time per site: `sitegen serve` and a manual build must not interleave."""

from __future__ import annotations

import os
import time
from pathlib import Path

RETRY_SECONDS = 0.1  # Windows: how long a waiting build sleeps between its tries


class BuildLock:
    """One build at a time per site: `sitegen serve` and a manual build must not interleave.

    A POSIX record lock (lockf), not flock: forked render workers do not inherit it, so
    a build killed while its workers linger cannot block the next one. Taken through
    `os.lockf` (the fcntl module is not needed, and not everywhere); on Windows, which
    has no lockf, a lock on the file's first byte (msvcrt.locking), which no process
    inherits either.
    """

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path

    def __enter__(self):
        self.handle = open(self.path, "w")
        try:
            _lock(self.handle.fileno())
        except BaseException:
            self.handle.close()
            raise
        return self

    def __exit__(self, *exc):
        try:
            _unlock(self.handle.fileno())
        finally:
            self.handle.close()


if hasattr(os, "lockf"):
    def _lock(fd: int) -> None:
        os.lockf(fd, os.F_LOCK, 0)  # from the start of the file (just opened) to any end

    def _unlock(fd: int) -> None:
        os.lockf(fd, os.F_ULOCK, 0)
elif os.name == "nt":
    import msvcrt

    def _lock(fd: int) -> None:
        """Wait for the lock: msvcrt's own wait (LK_LOCK) gives up after ten seconds,
        and another build may take longer."""
        while True:
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                return
            except OSError:
                time.sleep(RETRY_SECONDS)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:  # neither (WebAssembly, which starts no other process): nothing to keep out
    def _lock(fd: int) -> None:
        pass

    _unlock = _lock
