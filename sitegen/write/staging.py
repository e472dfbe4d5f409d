"""Staging: rendered files wait here, outside output/, until every page has rendered.

The engine makes a staging folder for each build in its cache folder; render processes
write into it as they render, and the commit (commit.py) moves what it holds into
output/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sitegen.urls import checked_relative


class Staging:
    """A folder of rendered files waiting to be committed into output/.

    For a first build the folder mirrors output/ and becomes it with one rename. For a
    rebuild it is flat, one file per changed output named by a digest of its path:
    each file then moves with one `os.replace`, and no folder tree is made only to be
    removed again (16,000 staged folders cost more than the files in them).

    Files are written by the process that rendered them, as it renders: a pool of I/O
    threads beside each render process made a 10,000-paper build slower (render stage
    26-28 s against 21-24 s here), its threads taking the GIL from the renderer.
    """

    def __init__(self, folder: Path, flat: bool = False):
        """`folder`: new and empty, made for this build (the engine makes it in its cache
        folder); a render process makes its own Staging of the same folder."""
        self.dir = folder
        self.flat = flat
        self._folders = _Folders()

    def path(self, name: str) -> str:
        if self.flat:
            return f"{self.dir}/{hashlib.blake2b(name.encode(), digest_size=16).hexdigest()}"
        # The staging folder is new and every folder in it made by this build, so no
        # link can lead out of it: a name checked by its spelling stays inside.
        return f"{self.dir}/{checked_relative(name)}"

    def write(self, name: str, data: bytes) -> tuple[int, int]:
        """Stage a file; its size and mtime as `write_new` gives them. An error names the
        file as the output folder will hold it, not its place in staging."""
        target = self.path(name)
        try:
            if not self.flat:
                self._folders.ensure(target.rpartition("/")[0])
            return write_new(target, data)
        except OSError as error:
            raise OSError(error.errno, error.strerror, name) from None

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def write_new(path: str, data: bytes) -> tuple[int, int]:
    """Write a file no reader has open yet (in staging): a plain write, no temporary
    file; the commit is what makes it appear in output/ whole. Returns its size and
    mtime, which moving it into output/ keeps (the manifest records them).

    Write-back is left to the kernel. Starting each file's write-back from the render
    processes (`POSIX_FADV_DONTNEED`) and dropping its pages once written, so the file
    cache would not grow by the 4.9 GB a 100,000-paper build writes, cost more than it
    saved here: a request to the disk per file, ten times the involuntary context
    switches (160,000 against 16,000) and 84.6, 83.5, 89.6 s against 89.7, 86.7, 93.2 s
    for alternating full builds without and with it. (On a host that faulted in every
    new page of file cache, it had saved time: README, Speed.)"""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        stat = os.fstat(fd)
    finally:
        os.close(fd)
    return stat.st_size, stat.st_mtime_ns

class _Folders:
    """mkdir -p, remembering what exists: thousands of pages share a few folders."""

    def __init__(self):
        self.known: set[str] = set()

    def ensure(self, folder: str) -> None:
        if folder not in self.known:
            try:
                os.mkdir(folder)  # mostly a page's own folder, in one that exists
            except FileExistsError:
                pass
            except FileNotFoundError:
                os.makedirs(folder, exist_ok=True)  # another process may make it meanwhile
            self.known.add(folder)
