"""Validated entries of each content file, kept in `.sitegen/content.sqlite` between builds.

A file is parsed again only if its size or mtime changed and then its bytes did
too; with 10,000 entries, reading YAML is most of a no-change rebuild otherwise.
One row per content file, so an edit rewrites one row, not the whole cache.
Pickled rows are read when looked up and written when stored, never all held in
memory (they are about 230 MB at 100,000 papers). A cache kept across builds in one
process (`sitegen serve`) also keeps the entries it has unpickled, so an unchanged
file costs one stat.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path

from sitegen import __version__
from sitegen.atomic import file_identity
from sitegen.content.model import Paper
from sitegen.content.sources import FileStamp as Stamp, file_digest
from sitegen.problems import Problem

# What a stored entry means, beside the sitegen version that stored it. 2: `doi` and
# `arxiv` links hold their doi.org and arxiv.org links, papers their site_links.
FORMAT = 2


class ParseCache:
    def __init__(self, path: Path | None, *, write: bool = True):
        self.path = path
        self.write = write and path is not None
        self.stamps: dict[str, Stamp] = {}  # as stored
        self.hits = 0
        self.misses = 0
        self._seen: dict[str, Stamp] = {}
        self._loaded: dict[str, tuple[str, list[Paper], list[Problem]]] = {}  # name → (digest, papers, problems)
        self._db: sqlite3.Connection | None = None
        self._file: tuple[int, int] | None = None  # the file the connection is open on
        if path is not None and path.is_file():
            try:
                self.stamps = {name: (size, mtime, digest) for name, size, mtime, digest in
                               self._connection().execute("SELECT name, size, mtime_ns, digest FROM files")}
            except (sqlite3.Error, OSError):
                self.stamps = {}

    def start(self) -> None:
        """Begin a build: count hits and misses, and note the files seen, afresh."""
        self._seen = {}
        self.hits = self.misses = 0

    def lookup(self, name: str, path: Path) -> tuple[list[Paper], list[Problem]] | None:
        stored = self.stamps.get(name)
        if stored is None:
            return None
        stat = os.stat(path)
        size, mtime, digest = stored
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            if stat.st_size != size or _digest(path) != digest:
                return None
        loaded = self._loaded.get(name)
        if loaded is not None and loaded[0] == digest:
            _, papers, problems = loaded
        else:
            try:
                row = self._connection().execute("SELECT data FROM files WHERE name = ?", (name,)).fetchone()
                papers, problems = pickle.loads(row[0])
            except (sqlite3.Error, OSError, pickle.UnpicklingError, ValueError, EOFError, TypeError,
                    AttributeError, ImportError):
                return None
            self._loaded[name] = (digest, papers, problems)
        self._seen[name] = (stat.st_size, stat.st_mtime_ns, digest)
        self.hits += 1
        return papers, problems

    def store(self, name: str, path: Path, papers: list[Paper], problems: list[Problem],
              pickled: bytes | None = None, stamp: Stamp | None = None) -> None:
        """`pickled`: the same (papers, problems), already pickled by a worker; `stamp`:
        the file's when it was read for them (else taken now)."""
        if stamp is None:
            stat = os.stat(path)
            stamp = (stat.st_size, stat.st_mtime_ns, _digest(path))
        self._seen[name] = stamp
        self._loaded[name] = (stamp[2], papers, problems)
        self.misses += 1
        if self.write:  # written now, committed by commit()
            data = pickled or pickle.dumps((papers, problems), protocol=pickle.HIGHEST_PROTOCOL)
            self._connection().execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", (name, *stamp, data))

    def loaded(self) -> dict[str, tuple[str, list[Paper], list[Problem]]]:
        """name → (digest, papers, problems) of the files this cache has unpickled or parsed."""
        return self._loaded

    def seed(self, loaded: dict[str, tuple[str, list[Paper], list[Problem]]]) -> None:
        """Entries unpickled elsewhere (snapshot.py): a file whose digest is still theirs
        is not read from the database."""
        for name, entry in loaded.items():
            self._loaded.setdefault(name, entry)

    def commit(self) -> None:
        """Make the stored entries durable (and release the database for other builds)."""
        if self.write and self._db is not None:
            self._db.commit()

    def save(self) -> None:
        """Note new stamps of touched files, forget the files not seen in this build
        (deleted). Then the cache is ready for the next build in this process."""
        seen = self._seen
        self._loaded = {name: loaded for name, loaded in self._loaded.items() if name in seen}
        if self.write:
            db = self._connection()
            db.executemany("UPDATE files SET size = ?, mtime_ns = ? WHERE name = ?",
                           [(size, mtime, name) for name, (size, mtime, digest) in seen.items()
                            if name in self.stamps and self.stamps[name] != (size, mtime, digest)
                            and self.stamps[name][2] == digest])  # touched, not changed
            db.executemany("DELETE FROM files WHERE name = ?", [(name,) for name in self.stamps if name not in seen])
            db.commit()
        self.stamps = dict(seen)

    def is_current(self, path: Path) -> bool:
        """Still the cache at `path`: not reopened on another file, nor on one deleted
        since it was opened (.sitegen/ removed while `sitegen serve` runs)."""
        return path == self.path and (self._db is None or file_identity(path) == self._file)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = _connect(self.path)
            self._file = file_identity(self.path)
        return self._db


def cache_pragmas(db: sqlite3.Connection) -> None:
    """A cache in .sitegen/ needs to stay whole, not to survive a power cut: in WAL mode
    with synchronous=NORMAL a commit is not synced to disk (a checkpoint is), and a
    crash loses at most the last commits, which the next build redoes. Syncing every
    commit cost `sitegen serve` 0.1-0.4 s of an edit's rebuild here."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Not tied to one thread: `sitegen serve` builds first in its main thread, then in its watcher's.
    db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    cache_pragmas(db)
    db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER,"
               " digest TEXT, data BLOB)")
    version = db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
    current = f"{__version__}/{FORMAT}"
    if version is None or version[0] != current:  # entries pickled by another sitegen
        db.execute("DELETE FROM files")
        db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (current,))
    db.commit()
    return db


def _digest(path: Path) -> str:
    return file_digest(path.read_bytes())
