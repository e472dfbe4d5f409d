"""Fragments a render process made, found by the other render processes of the build
(and by itself, once its own cache forgot them) instead of being made again.

An author's page shows papers from all over the listing, so every render process
needs the cards of papers whose other pages another process renders: at 10,000 papers
each of two processes made nearly every paper's card, feed item and BibTeX entry. And at
100,000 papers a process's cache (pages/fragments.py) cannot keep them all, so it made many
of them again and again.

Each render process appends what it makes to a file of its own and notes where in an
index of its own, in memory shared by the processes of the build (made before they
fork). A process looks a fragment up in every index; it writes only its own, so no
lock is needed. An index slot is a key's hash, written after the fragment's place, and
the fragment's record begins with its key, which a reader compares: a slot read while
it was being written, or two keys with one hash, are a miss, and the fragment is made
again (it is a function of the model, so either copy is the same). The files are read
with `pread`, not mapped: what they hold is the system's file cache, not any process's
memory.

Only processes that fork share (state.py asks processes.forks()): the index is anonymous
shared memory, which only forked children inherit, and a key's slot is its Python hash,
the same only in processes forked from the one that hashed it.
"""

from __future__ import annotations

import mmap
import os
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Hashable

from sitegen.engine.cachedir import CacheDir

SLOT = struct.Struct("<QQ")  # hash of the key (0: empty), offset << 24 | length
WORD = struct.Struct("<Q")
KEY_LENGTH = struct.Struct("<I")
MAX_RECORD = (1 << 24) - 1
PROBES = 64  # slots tried before a lookup gives up, or an insertion is dropped
# Records are written this many bytes at a time: one pwrite per 2-3 KB card cost 13 s of
# a 100,000-paper build here (a call each, and a page of the file cache touched twice).
FLUSH_AT = 256 * 1024
FOLDER_PREFIX = CacheDir.FRAGMENTS


class SharedFragments:
    """Made by the build process before its render processes fork; each of them then
    calls `attach` with its worker number before it renders."""

    def __init__(self, cache_dir: Path, workers: int, expected: int):
        slots = 1024
        while slots < 2 * expected:
            slots *= 2
        self.folder = Path(tempfile.mkdtemp(dir=cache_dir, prefix=FOLDER_PREFIX))
        self.workers, self.slots = workers, slots
        self._index = mmap.mmap(-1, workers * slots * SLOT.size)  # shared: MAP_SHARED | MAP_ANONYMOUS
        self._worker: int | None = None
        self._order = list(range(workers))  # regions in the order a lookup reads them
        self._readers: dict[int, int] = {}  # worker → descriptor of its file, opened here
        self._writing = False  # this process has a file and may add to its region

    def attach(self, worker: int) -> None:
        self.close_files()
        self._worker = worker
        try:
            self._fd = os.open(self._file(worker), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            self._writing = True
        except OSError:  # a full disk, say: this process only reads what others made
            self._fd = None
        self._end = 0  # of the file; records still in the buffer come after it
        self._stored = 0
        self._buffer = bytearray()
        self._pending: list[tuple[int, int]] = []  # (index position, hash) of the buffered records
        self._order = [worker, *(w for w in range(self.workers) if w != worker)]

    def _file(self, worker: int) -> str:
        return f"{self.folder}/{worker}"

    def get(self, key: Hashable) -> bytes | None:
        """The value put under `key` by any process, once that one flushed it."""
        wanted = _hash(key)
        name = None
        for worker in self._order:
            base = worker * self.slots
            slot = wanted & (self.slots - 1)
            for _ in range(PROBES):
                found, where = SLOT.unpack_from(self._index, (base + slot) * SLOT.size)
                if found == 0:
                    if where == 0:
                        break  # free: the key is not in this region
                elif found == wanted:
                    if name is None:
                        name = _name(key)
                    value = self._read(worker, where, name)
                    if value is not None:
                        return value
                slot = (slot + 1) & (self.slots - 1)
        return None

    def put(self, key: Hashable, value: bytes) -> None:
        if not self._writing or self._stored * 4 > self.slots * 3:
            return
        name = _name(key)
        record = KEY_LENGTH.pack(len(name)) + name + value
        if len(record) > MAX_RECORD:
            return
        wanted = _hash(key)
        base = self._worker * self.slots
        slot = wanted & (self.slots - 1)
        for _ in range(PROBES):
            position = (base + slot) * SLOT.size
            if SLOT.unpack_from(self._index, position) == (0, 0):
                break  # free: neither found nor held for a buffered record
            slot = (slot + 1) & (self.slots - 1)
        else:
            return
        WORD.pack_into(self._index, position + WORD.size, (self._end + len(self._buffer)) << 24 | len(record))
        self._pending.append((position, wanted))
        self._buffer += record
        self._stored += 1
        if len(self._buffer) >= FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        """Write the buffered records, then let their slots be found: a record is in the
        file before any process can look for it."""
        if self._buffer:
            try:
                os.pwrite(self._fd, self._buffer, self._end)
            except OSError:  # the disk is full: these records are dropped, and no more added
                self._writing = False
                self._buffer.clear()
                self._pending.clear()
                return
            self._end += len(self._buffer)
            self._buffer.clear()
        for position, wanted in self._pending:
            WORD.pack_into(self._index, position, wanted)
        self._pending.clear()

    def _read(self, worker: int, where: int, name: bytes) -> bytes | None:
        fd = self._fd if worker == self._worker else self._reader(worker)
        if fd is None:
            return None
        offset, length = where >> 24, where & MAX_RECORD
        record = os.pread(fd, length, offset)
        if len(record) != length or length < KEY_LENGTH.size:
            return None
        (size,) = KEY_LENGTH.unpack_from(record)
        start = KEY_LENGTH.size + size
        if record[KEY_LENGTH.size:start] != name:
            return None
        return record[start:]

    def _reader(self, worker: int) -> int | None:
        fd = self._readers.get(worker)
        if fd is None:
            try:
                fd = self._readers[worker] = os.open(self._file(worker), os.O_RDONLY)
            except FileNotFoundError:  # that worker has not started yet
                return None
        return fd

    def close_files(self) -> None:
        if self._writing:
            self.flush()
        if self._worker is not None and self._fd is not None:
            os.close(self._fd)
        self._worker, self._writing = None, False
        for fd in self._readers.values():
            os.close(fd)
        self._readers.clear()

    def remove(self) -> None:
        """In the build process, once every render process is done."""
        self.close_files()
        self._index.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class SharedPart:
    """One cache's part of the store: its keys kept apart from other caches' keys."""

    def __init__(self, store: SharedFragments, part: str):
        self.store, self.part = store, part

    def get(self, key: Hashable) -> bytes | None:
        """The value put under `key` by any process, once that one flushed it."""
        return self.store.get((self.part, key))

    def put(self, key: Hashable, value: bytes) -> None:
        self.store.put((self.part, key), value)


def _hash(key: Hashable) -> int:
    """Python's hash of the key, the same in every process forked from the build's."""
    return (hash(key) & 0xFFFF_FFFF_FFFF_FFFF) or 1


def _name(key: Hashable) -> bytes:
    return repr(key).encode("utf-8", "surrogatepass")


