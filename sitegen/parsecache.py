"""Validated entries of each content file, kept in `.sitegen/` between builds.

A file is parsed again only if its size or mtime changed and then its bytes did
too; with 10,000 entries, reading YAML is most of a no-change rebuild otherwise.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

from sitegen import __version__
from sitegen.model import Paper
from sitegen.atomic import atomic_write
from sitegen.problems import Problem

Entry = tuple[int, int, str, list[Paper], list[Problem]]  # size, mtime_ns, digest, papers, problems


class ParseCache:
    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, Entry] = {}
        self.hits = 0
        self.misses = 0
        if path is not None:
            try:
                with open(path, "rb") as handle:
                    version, entries = pickle.load(handle)
                if version == __version__:
                    self.entries = entries
            except (OSError, ValueError, EOFError, pickle.UnpicklingError, TypeError, AttributeError):
                pass
        self._seen: dict[str, Entry] = {}

    def lookup(self, name: str, path: Path) -> tuple[list[Paper], list[Problem]] | None:
        entry = self.entries.get(name)
        if entry is None:
            return None
        stat = os.stat(path)
        size, mtime, digest, papers, problems = entry
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            if stat.st_size != size or _digest(path) != digest:
                return None
            entry = (stat.st_size, stat.st_mtime_ns, digest, papers, problems)
        self._seen[name] = entry
        self.hits += 1
        return papers, problems

    def store(self, name: str, path: Path, papers: list[Paper], problems: list[Problem]) -> None:
        stat = os.stat(path)
        self._seen[name] = (stat.st_size, stat.st_mtime_ns, _digest(path), papers, problems)
        self.misses += 1

    def save(self) -> None:
        """Keep the files seen in this build (deleted files drop out)."""
        if self.path is None or self._seen == self.entries:
            return
        atomic_write(self.path, pickle.dumps((__version__, self._seen), protocol=pickle.HIGHEST_PROTOCOL))


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
