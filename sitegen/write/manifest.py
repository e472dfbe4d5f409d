"""The manifest: what output/ holds, file by file, kept in the site's cache folder.

Per output file it records the digest of the inputs it was made from, the digest of
its bytes, and its size and mtime: the next build renders only pages whose inputs
changed and writes only files whose bytes changed. Before a build it is checked
against output/ (a `stat` per file): a file changed by hand is made again, and what no
record names (a deleted paper's pages when the manifest was lost, files of a checked-
out branch) is a stray the commit removes, but what the `keep_files` setting names.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
from contextlib import suppress
from pathlib import Path
from typing import Callable, NamedTuple, Protocol

import xxhash

from sitegen import __version__
from sitegen.atomic import atomic_write

MANIFEST_VERSION = 5  # 5: the manifest is named by the engine, and names itself
# The journal of changes since the manifest was written whole is folded into it once it
# is this share of the whole's size.
JOURNAL_SHARE = 4
_ENTRY_HEAD = struct.Struct("<I8s")  # payload length, its digest


class Answer(Protocol):
    """A result computed elsewhere (in another process, on a thread) or already known."""

    def result(self): ...


# Computes `find()` where the caller can wait for it: the engine does this in a forked
# process while the build goes on. Here, by default, at once.
Background = Callable[[Callable[[], object]], Answer]


class Known:
    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


def at_once(find: Callable[[], object]) -> Known:
    return Known(find())


def content_digest(data: bytes) -> str:
    """XXH3's 128 bits: a build digests every byte it renders (865 MB at 10,000 papers),
    which took SHA-256 0.5 CPU-seconds and XXH3 0.03. The digest only tells a page's new
    bytes from the bytes of the file it would replace, both of them the site's own
    output, so nothing is gained by a digest built to withstand a forger."""
    return xxhash.xxh3_128_hexdigest(data)

class Record(NamedTuple):
    inputs: str
    digest: str
    size: int
    mtime_ns: int

def is_kept(name: str, keep: frozenset[str]) -> bool:
    """`name` (a path in output/) is one of `keep` (keep_files) or inside one of them."""
    return bool(keep) and (name in keep or _inside_any(name, keep))

class Strays(NamedTuple):
    """What a listing of output/ found that no record names: files, links and empty
    folders (named with a trailing '/'); and which of them are links to folders."""
    names: set[str] | frozenset[str]
    linked: set[str] | frozenset[str]

NO_STRAYS = (frozenset(), frozenset())  # as a check's result (marshal takes plain tuples only)

def _looks_for_strays(names: list[str], damaged: set[str]) -> bool:
    return not names or bool(damaged)

class Manifest:
    """Output file → what produced it; kept in the site's cache folder.

    Written whole now and then (`manifest-*.bin`); in between, a build appends only the
    records it changed to a journal (`manifest-*.log`), so an edit's build does not
    rewrite 37,000 records (700,000 at 100,000 papers). Each journal entry names the
    whole it follows and carries a digest: a torn or foreign entry ends the replay,
    and files it described look damaged to the next build, which renders them again.
    """

    def __init__(self, path: Path, output_dir: Path, records: dict[str, Record] | None = None,
                 keep: frozenset[str] = frozenset()):
        self.path = path
        self.output_dir = output_dir
        self.keep = keep  # keep_files: never removed, not looked into
        self.records: dict[str, Record] = records or {}
        self.stamp: tuple | None = None  # the files these records were read from or saved to
        self.background: Background = at_once
        self._check: _Survey | None = None
        self._folders: dict[str, dict[str, Record]] = {}  # records under a folder, kept by save()
        self._whole_id = ""  # of the whole file the journal continues
        self._whole_size = 0
        self._journal_size = 0  # bytes of intact entries in the journal

    @property
    def journal(self) -> Path:
        return self.path.with_suffix(".log")

    @classmethod
    def load(cls, path: Path, output_dir: Path, previous: "Manifest | None" = None,
             keep: tuple[str, ...] | frozenset[str] = (), background: Background = at_once) -> "Manifest":
        """The manifest at `path` (the engine names it by the output folder); `previous`
        (kept by `sitegen serve`) if it is still that one. `keep`: the keep_files setting.
        `background`: where checks of output/ are made while the build goes on."""
        manifest = cls(path, output_dir, keep=frozenset(keep))
        manifest.background = background
        stamp = manifest._stamp()
        if previous is not None and previous.path == path and previous.output_dir == output_dir \
                and stamp[0] is not None and previous.stamp == stamp:
            previous.keep, previous.background = manifest.keep, background
            return previous
        try:
            whole = path.read_bytes()
            data = marshal.loads(whole)
        except (OSError, ValueError, EOFError, TypeError):
            return manifest
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION \
                or data.get("sitegen") != __version__ or data.get("output") != path.name:
            return manifest
        files = data.get("files", {})
        records = dict(zip(files, map(Record._make, files.values())))  # half a comprehension's time
        manifest._whole_id, manifest._whole_size = data.get("id", ""), len(whole)
        try:
            journal = manifest.journal.read_bytes()
        except OSError:
            journal = b""
        replay = _JournalReplay(journal, manifest._whole_id)
        for changed, removed in replay:
            records.update(zip(changed, map(Record._make, changed.values())))
            for name in removed:
                records.pop(name, None)
        manifest._journal_size = replay.size
        manifest.records = records
        manifest.stamp = stamp
        return manifest

    def is_intact(self, name: str) -> bool:
        """The file on disk is still the one the manifest describes (size and mtime)."""
        if self._check is not None:
            return name in self.records and name not in self._check.damaged()
        return self._matches(name)

    def damaged(self) -> set[str]:
        """The recorded files that are not intact: a set, so that a build asks once, not
        once per output file."""
        if self._check is None:
            self.check_now()
        return self._check.damaged()

    def strays(self) -> Strays:
        """What output/ holds that no record names and keep_files does not keep, when
        the check looked (see `_survey`); a build removes them."""
        if self._check is None:
            self.check_now()
        return self._check.strays()

    def under(self, folder: str) -> dict[str, Record]:
        """The records of files in `folder` (do not change it): found by one pass over
        the records the first time, then kept up to date by save()."""
        kept = self._folders.get(folder)
        if kept is None:
            prefix = folder + "/"
            kept = self._folders[folder] = {n: r for n, r in self.records.items() if n.startswith(prefix)}
        return kept

    def check_in_background(self, *, again: bool = False) -> None:
        """Start comparing output/ with the records (is_intact, damaged and strays
        answer from that): one `stat` call per recorded file (37,000 at 10,000 papers),
        and, when output/ is not the one the records describe, a listing of every
        folder for what no record names (`_survey`).

        A build starts this before it loads content, so that the work is done on the
        other core meanwhile; `sitegen serve` starts it after each build, while it waits
        for the next edit. A file changed by hand after the check is found by the next
        one (the build after next restores it). Nothing is started if a check of these
        records is under way, unless `again` (its answer has been used and output/ may
        have changed since).
        """
        if again and self._check is not None:
            self._check.wait()  # a forked one is reaped
            self._check = None
        if self._check is None:
            names = list(self.records)  # here: a thread must not iterate records a build changes
            self._check = _Survey(self.background(lambda: self._survey(names)))

    def check_now(self) -> None:
        """The same check, made now (a build with nothing else to do meanwhile); a
        listing it needs goes on in a forked process, for the build that then follows.
        Its answer is kept for that build."""
        if self._check is None:
            names = list(self.records)
            damaged = self._find_damaged(names)
            listing = self.background(self._find_strays) if _looks_for_strays(names, damaged) else None
            self._check = _Survey(Known((damaged, NO_STRAYS)), listing)

    def _survey(self, names: list[str]) -> tuple[set[str], tuple]:
        """The damaged recorded files and, if output/ is not as the last build left it
        (no records: the manifest was missing, foreign or another folder's; or a recorded
        file changed or gone: a checkout, a restore, a hand), the strays.

        When every recorded file is intact, output/ is taken to hold nothing else: the
        build that wrote it removed what it did not make. Listing every folder (16,600 at
        10,000 papers) cost more than the stat calls of every file: 0.43 s against 0.25 s
        for a no-change build of 10,000 papers, and 0.2 s more for an edit's."""
        damaged = self._find_damaged(names)
        return damaged, self._find_strays() if _looks_for_strays(names, damaged) else NO_STRAYS

    def _find_damaged(self, names: list[str]) -> set[str]:
        return {name for name in names if not self._matches(name)}

    def _find_strays(self) -> tuple[set[str], set[str]]:
        """Walk output/ (not into kept folders, nor through links) for what no record
        names; and, of those, the links to folders (`Strays`)."""
        records, keep, top = self.records, self.keep, str(self.output_dir)
        strays: set[str] = set()
        linked: set[str] = set()
        folders = [""]
        while folders:
            prefix = folders.pop()
            empty = True
            try:
                with os.scandir(f"{top}/{prefix}" if prefix else top) as entries:
                    for entry in entries:
                        empty = False
                        name = prefix + entry.name
                        if name in keep:
                            continue
                        if entry.is_dir(follow_symlinks=False):
                            folders.append(name + "/")  # a recorded name that is a folder is damaged
                        elif name not in records:
                            strays.add(name)
                            if entry.is_symlink() and entry.is_dir():
                                linked.add(name)
            except OSError:  # no output/ yet, or a folder removed meanwhile
                continue
            if empty and prefix:
                strays.add(prefix)
        return strays, linked

    def _matches(self, name: str) -> bool:
        record = self.records.get(name)
        if record is None:
            return False
        try:
            stat = os.stat(f"{self.output_dir}/{name}")
        except OSError:
            return False
        return stat.st_size == record.size and stat.st_mtime_ns == record.mtime_ns

    def save(self, changed: dict[str, Record], removed: list[str]) -> None:
        """Replace the records of `changed`, drop those of `removed`, and write that down:
        appended to the journal, or all the records written whole when there is no whole
        file yet or the journal has grown. Costs what changed, not what the site holds."""
        records = self.records
        changed = {name: r for name, r in changed.items() if records.get(name) != r}
        removed = [name for name in removed if name in records]
        records.update(changed)
        for name in removed:
            del records[name]
        for folder, kept in self._folders.items():
            prefix = folder + "/"
            kept.update((n, r) for n, r in changed.items() if n.startswith(prefix))
            for name in removed:
                kept.pop(name, None)
        journal = _file_stamp(self.journal)
        if changed or removed:
            if not self._whole_id or (journal[0] if journal else 0) != self._journal_size \
                    or (self._journal_size + 64 * (len(changed) + len(removed))) * JOURNAL_SHARE > self._whole_size:
                self._save_whole()  # first, or the journal has grown, or ends in a torn entry
            else:
                entry = {name: tuple(r) for name, r in changed.items()}
                payload = marshal.dumps((self._whole_id, entry, removed), 2)
                head = _ENTRY_HEAD.pack(len(payload), hashlib.blake2b(payload, digest_size=8).digest())
                fd = os.open(self.journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                try:
                    os.write(fd, head + payload)
                finally:
                    os.close(fd)
                self._journal_size += len(head) + len(payload)
        self.stamp = self._stamp()
        if self._check is not None:  # it checked the records these replace
            self._check.wait()
            self._check = None

    def _save_whole(self) -> None:
        """marshal (version 2: without its reference table, three times faster to write)."""
        self._whole_id = os.urandom(8).hex()
        data = marshal.dumps({
            "version": MANIFEST_VERSION,
            "sitegen": __version__,
            "output": self.path.name,
            "id": self._whole_id,
            "files": {name: tuple(r) for name, r in self.records.items()},
        }, 2)
        atomic_write(self.path, data)
        self._whole_size, self._journal_size = len(data), 0
        with suppress(FileNotFoundError):
            self.journal.unlink()  # its entries name the previous whole: ignored if this fails

    def _stamp(self) -> tuple:
        return _file_stamp(self.path), _file_stamp(self.journal)

class _JournalReplay:
    """(changed, removed) of each intact journal entry made after the whole `whole_id`;
    `size`: the bytes of intact entries read."""

    def __init__(self, journal: bytes, whole_id: str):
        self.journal, self.whole_id, self.size = journal, whole_id, 0

    def __iter__(self):
        journal, position = self.journal, 0
        while position + _ENTRY_HEAD.size <= len(journal):
            length, digest = _ENTRY_HEAD.unpack_from(journal, position)
            payload = journal[position + _ENTRY_HEAD.size: position + _ENTRY_HEAD.size + length]
            if len(payload) != length or hashlib.blake2b(payload, digest_size=8).digest() != digest:
                return  # torn: the build appending it was cut off
            try:
                entry_whole, changed, removed = marshal.loads(payload)
            except (ValueError, EOFError, TypeError):
                return
            position = self.size = position + _ENTRY_HEAD.size + length
            if entry_whole == self.whole_id:
                yield changed, removed

class _Survey:
    """The answer of a check of output/: the damaged recorded files and the strays,
    both from `check` (a result `(damaged, strays)`), or the strays from a `listing`
    of their own, under way while the damaged files are already known."""

    def __init__(self, check: Answer, listing: Answer | None = None):
        self._check, self._listing = check, listing

    def damaged(self) -> set[str]:
        return self._check.result()[0]

    def strays(self) -> Strays:
        if self._listing is not None:
            return Strays(*self._listing.result())
        return Strays(*self._check.result()[1])

    def wait(self) -> None:
        self._check.result()
        if self._listing is not None:
            self._listing.result()

def _inside_any(name: str, folders: set[str] | frozenset[str]) -> bool:
    """A folder `name` is in (its parent, its parent's parent...) is one of `folders`."""
    slash = name.find("/")
    while slash != -1:
        if name[:slash] in folders:
            return True
        slash = name.find("/", slash + 1)
    return False

def _file_stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns
