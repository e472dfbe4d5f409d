"""Whole-file writes that a reader sees either before or after, never half done; and
which file a path names now, for stores a long-running process keeps open."""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path


def atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def file_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, or None: an open database whose file was
    deleted or replaced (say, .sitegen/ removed while `sitegen serve` runs) is not it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino
