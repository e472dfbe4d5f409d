"""Validated entries of each content file, kept in `.sitegen/content.sqlite` between builds.

A file is parsed again only if its size or mtime changed and then its bytes did
too; with 10,000 entries, reading YAML is most of a no-change rebuild otherwise.
One row per content file, so an edit rewrites one row, not the whole cache.
A cache kept across builds in one process (`sitegen serve`) also keeps the entries
it has unpickled, so an unchanged file costs one stat.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sqlite3
from pathlib import Path

from sitegen import __version__
from sitegen.model import Paper
from sitegen.problems import Problem

Entry = tuple[int, int, str, bytes]  # size, mtime_ns, digest, pickled (papers, problems)


class ParseCache:
    def __init__(self, path: Path | None):
        self.path = path
        self.entries: dict[str, Entry] = {}
        self.hits = 0
        self.misses = 0
        self._seen: dict[str, Entry] = {}
        self._loaded: dict[str, tuple[Entry, list[Paper], list[Problem]]] = {}
        if path is not None:
            try:
                self.entries = _read(path)
            except (sqlite3.Error, OSError):
                pass

    def start(self) -> None:
        """Begin a build: count hits and misses, and note the files seen, afresh."""
        self._seen = {}
        self.hits = self.misses = 0

    def lookup(self, name: str, path: Path) -> tuple[list[Paper], list[Problem]] | None:
        entry = self.entries.get(name)
        if entry is None:
            return None
        stat = os.stat(path)
        size, mtime, digest, data = entry
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            if stat.st_size != size or _digest(path) != digest:
                return None
            entry = (stat.st_size, stat.st_mtime_ns, digest, data)
        loaded = self._loaded.get(name)
        if loaded is not None and loaded[0][2:] == entry[2:]:
            _, papers, problems = loaded
        else:
            try:
                papers, problems = pickle.loads(data)
            except (pickle.UnpicklingError, ValueError, EOFError, TypeError, AttributeError, ImportError):
                return None
        self._loaded[name] = (entry, papers, problems)
        self._seen[name] = entry
        self.hits += 1
        return papers, problems

    def store(self, name: str, path: Path, papers: list[Paper], problems: list[Problem]) -> None:
        stat = os.stat(path)
        data = pickle.dumps((papers, problems), protocol=pickle.HIGHEST_PROTOCOL)
        self._seen[name] = (stat.st_size, stat.st_mtime_ns, _digest(path), data)
        self._loaded[name] = (self._seen[name], papers, problems)
        self.misses += 1

    def save(self) -> None:
        """Write the files that changed; forget the ones not seen in this build (deleted).
        Then the cache is ready for the next build in this process."""
        seen = self._seen
        self._loaded = {name: loaded for name, loaded in self._loaded.items() if name in seen}
        if self.path is None:
            self.entries = seen
            return
        changed = [(name, *entry) for name, entry in seen.items() if self.entries.get(name) != entry]
        gone = [(name,) for name in self.entries if name not in seen]
        if changed or gone:
            with _connect(self.path) as db:
                db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", changed)
                db.executemany("DELETE FROM files WHERE name = ?", gone)
            db.close()
        self.entries = seen


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), timeout=30)
    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
               " digest TEXT, data BLOB)")
    version = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
    if version is None or version[0] != __version__:  # entries pickled by another sitegen
        db.execute("DELETE FROM files")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (__version__,))
        db.commit()
    return db


def _read(path: Path) -> dict[str, Entry]:
    if not path.is_file():
        return {}
    db = _connect(path)
    try:
        return {name: (size, mtime, digest, data)
                for name, size, mtime, digest, data in db.execute("SELECT * FROM files")}
    finally:
        db.close()


def _digest(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()
