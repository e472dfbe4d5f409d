"""The write stage: staged files, an atomic commit into output/, and the manifest.

Rendered files go to a staging folder first. Only when every page has rendered
does the commit move them into output/, one `os.replace` each, so a failed build
leaves output/ byte-for-byte as it was and a reader never sees a half-written file.
The manifest (kept outside output/) records, per output file, the digest of its
inputs and of its bytes: the next build renders only pages whose inputs changed and
writes only files whose bytes changed. Whatever else a build finds in output/ (a
deleted paper's pages when the manifest was lost, files of a checked-out branch) it
removes, but what the `keep_files` setting names: output/ then holds exactly what
the content makes, whatever state `.sitegen/` was in (as Jekyll's cleaner does).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import marshal
import os
import shutil
import struct
import tempfile
import threading
import weakref
from contextlib import suppress
from typing import Callable, NamedTuple
from pathlib import Path

import xxhash

from sitegen import __version__
from sitegen.atomic import atomic_write
from sitegen.problems import WriteProblem, display_path
from sitegen.urls import UnsafePath, checked_relative, safe_output_path

MANIFEST_VERSION = 4
# The journal of changes since the manifest was written whole is folded into it once it
# is this share of the whole's size.
JOURNAL_SHARE = 4
_ENTRY_HEAD = struct.Struct("<I8s")  # payload length, its digest


class OutputLocationError(Exception):
    pass


def check_output_location(output_dir: Path, root: Path, protected: dict[str, Path]) -> None:
    """Refuse an output folder whose replacement would destroy something of the site's."""
    output_dir = output_dir.resolve()
    root = root.resolve()
    if output_dir == root or root.is_relative_to(output_dir):
        raise OutputLocationError(f"the output folder {output_dir} is the site folder or contains it; "
                                  "choose a folder of its own such as output/")
    for name, path in protected.items():
        path = path.resolve()
        if output_dir == path or path.is_relative_to(output_dir) or output_dir.is_relative_to(path):
            raise OutputLocationError(f"the output folder {output_dir} overlaps the {name} folder {path}")


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


def output_key(cache_dir: Path, output_dir: Path) -> str:
    """How the caches of a site (in `cache_dir`, the site folder's `.sitegen/`) name its
    output folder: relative to the site folder when inside it, so that a site folder
    renamed, moved or copied with its output keeps its caches."""
    return display_path(output_dir, cache_dir.parent)


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
        self._check: _Survey | None = None
        self._folders: dict[str, dict[str, Record]] = {}  # records under a folder, kept by save()
        self._whole_id = ""  # of the whole file the journal continues
        self._whole_size = 0
        self._journal_size = 0  # bytes of intact entries in the journal

    @property
    def journal(self) -> Path:
        return self.path.with_suffix(".log")

    @classmethod
    def load(cls, cache_dir: Path, output_dir: Path, previous: "Manifest | None" = None,
             keep: tuple[str, ...] | frozenset[str] = ()) -> "Manifest":
        """The manifest on disk; `previous` (kept by `sitegen serve`) if it is still that one.
        `keep`: the keep_files setting."""
        key = output_key(cache_dir, output_dir)
        path = cache_dir / f"manifest-{hashlib.sha1(key.encode()).hexdigest()[:12]}.bin"
        manifest = cls(path, output_dir, keep=frozenset(keep))
        stamp = manifest._stamp()
        if previous is not None and previous.path == path and previous.output_dir == output_dir \
                and stamp[0] is not None and previous.stamp == stamp:
            previous.keep = manifest.keep
            return previous
        try:
            whole = path.read_bytes()
            data = marshal.loads(whole)
        except (OSError, ValueError, EOFError, TypeError):
            return manifest
        if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION \
                or data.get("sitegen") != __version__ or data.get("output") != key:
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
            self._check = _Survey(_Check(lambda: self._survey(names)))

    def check_now(self) -> None:
        """The same check, made now (a build with nothing else to do meanwhile); a
        listing it needs goes on in a forked process, for the build that then follows.
        Its answer is kept for that build."""
        if self._check is None:
            names = list(self.records)
            damaged = self._find_damaged(names)
            listing = _Check(self._find_strays) if _looks_for_strays(names, damaged) else None
            self._check = _Survey(_Check.done((damaged, NO_STRAYS)), listing)

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
            "output": output_key(self.path.parent, self.output_dir),
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


class _Check:
    """`find()` (what a survey of output/ found: sets of names) computed in a forked
    process, or on a thread where forking is unsafe (a process with threads, such as
    the dev server; it checks while idle). While a build loads and plans, CPython gives
    a thread the interpreter lock only between the main thread's work, so its stat calls
    would wait; a process makes them on the other core."""

    def __init__(self, find: Callable[[], object], fork: bool | None = None):
        self._find, self._result = find, None
        self._thread = self._pid = self._pipe = None
        if fork is None:
            fork = threading.active_count() == 1 and hasattr(os, "fork")
        if not fork:
            self._thread = threading.Thread(target=self._run_here, name="sitegen-check", daemon=True)
            self._thread.start()
            return
        read, write = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the child: report and leave without cleaning up the parent's state
            status = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(marshal.dumps(find(), 2))  # names as str, undecodable bytes included
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pipe = read
        self._reaper = weakref.finalize(self, _reap, self._pid, read)  # if never asked

    @classmethod
    def done(cls, result) -> "_Check":
        check = cls.__new__(cls)
        check._find, check._result = None, result
        check._thread = check._pid = check._pipe = None
        return check

    def _run_here(self) -> None:
        self._result = self._find()

    def result(self):
        if self._thread is not None:
            self._thread.join()
            self._thread = None  # asked once per output file by a build: joined once
        elif self._pipe is not None:
            self._reaper.detach()
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
            self._pipe = None
            _, status = os.waitpid(self._pid, 0)
            self._result = marshal.loads(data) if status == 0 else self._find()
        return self._result


class _Survey:
    """The answer of a check of output/: the damaged recorded files and the strays,
    both from `check` (a result `(damaged, strays)`), or the strays from a `listing`
    of their own, under way while the damaged files are already known."""

    def __init__(self, check: _Check, listing: _Check | None = None):
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


def _reap(pid: int, pipe: int) -> None:
    with suppress(OSError):
        os.close(pipe)  # the child's write fails, and it exits
        os.waitpid(pid, 0)


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

    PREFIX = "staging-"

    def __init__(self, cache_dir: Path, flat: bool = False):
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(dir=cache_dir, prefix=self.PREFIX))
        self.flat = flat
        self._folders = _Folders()

    @classmethod
    def attach(cls, folder: Path, flat: bool) -> "Staging":
        """The same staging folder, seen from a worker process."""
        staging = cls.__new__(cls)
        staging.dir = folder
        staging.flat = flat
        staging._folders = _Folders()
        return staging

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

    @classmethod
    def remove_leftovers(cls, cache_dir: Path) -> None:
        """Staging folders of builds that were killed before they discarded theirs (a
        whole build's files, each); called with the build lock held, so no running build
        owns one."""
        for folder in cache_dir.glob(cls.PREFIX + "*"):
            shutil.rmtree(folder, ignore_errors=True)


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


def _refuse_links_out(folders: set[str], output_dir: Path) -> None:
    """UnsafePath if a folder, followed through symbolic links, is not in output_dir:
    checked once per folder before anything moves, not once per file."""
    top = os.path.realpath(output_dir)
    for folder in sorted(folders):
        real = os.path.realpath(folder)
        if real != top and not real.startswith(top + os.sep):
            raise UnsafePath(f"refusing to write through {folder}: a link to {real}, outside the output folder")


def is_empty(folder: Path) -> bool:
    try:
        return not any(os.scandir(folder))
    except FileNotFoundError:
        return True


def commit(staging: Staging, written: list[str], removed: list[str], manifest: Manifest,
           changed: dict[str, Record]) -> list[str]:
    """Move staged files into output/ atomically, then drop stale files; `changed`: the
    new records (of the files written, and of those rendered again to the same bytes).
    Returns what was removed from output/: the files of `removed` and the strays the
    manifest's check found, but those keep_files keeps.

    Strays go first: one may be a link or a file where a folder must now be. A first
    build moves the whole staged tree into place with one rename; later builds move
    each changed file with its own `os.replace`.
    """
    output_dir, keep = manifest.output_dir, manifest.keep
    found = manifest.strays()
    # A link to a folder that recorded files are reached through stays: they are intact.
    relied = {link for link in found.linked if any(name.startswith(link + "/") for name in manifest.records)}
    strays = sorted(name for name in found.names - changed.keys() - relied if not is_kept(name.rstrip("/"), keep))
    gone = [name for name in removed if not is_kept(name, keep)]  # their records go all the same
    copied = []
    try:
        as_tree = not staging.flat and not removed and is_empty(output_dir)
        targets = {} if as_tree else _targets(written, output_dir)  # refused before anything changes
        swept = _sweep(strays, output_dir)
        if not (as_tree and _move_tree(staging, output_dir)):
            copied = _move_files(staging, targets or _targets(written, output_dir))
        for name in copied:  # a renamed file keeps the mtime `records` has; a copy does not
            stat = os.stat(f"{output_dir}/{name}")
            changed[name] = changed[name]._replace(size=stat.st_size, mtime_ns=stat.st_mtime_ns)
        gone = _remove_files(gone, output_dir)
    except OSError as error:
        raise WriteProblem.of(error, committing=True) from error
    manifest.save(changed, removed)
    staging.discard()
    return gone + swept


def _move_tree(staging: Staging, output_dir: Path) -> bool:
    try:
        output_dir.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileNotFoundError):
            output_dir.rmdir()
        os.rename(staging.dir, output_dir)
    except OSError:  # another file system, a mount point, a symlink: move file by file
        return False
    staging.dir.mkdir()  # discard() expects it
    return True


def _targets(written: list[str], output_dir: Path) -> dict[str, str]:
    """Where each staged file goes; UnsafePath if one would go through a link out of output/."""
    targets = {name: f"{output_dir}/{checked_relative(name)}" for name in written}
    _refuse_links_out({target.rpartition("/")[0] for target in targets.values()}, output_dir)
    return targets


def _move_files(staging: Staging, targets: dict[str, str]) -> list[str]:
    """Move each staged file into place; returns those that had to be copied."""
    folders = _Folders()
    copied = []
    for name, target in targets.items():
        folders.ensure(target.rpartition("/")[0])
        if not _replace(staging.path(name), target):
            copied.append(name)
    return copied


def _remove_files(removed: list[str], output_dir: Path) -> list[str]:
    """Remove the files of `removed` still there; returns those removed."""
    done = []
    for name in removed:
        target = safe_output_path(output_dir, name)
        try:
            target.unlink()
            done.append(name)
        except OSError:
            pass
        _prune_empty_parents(target.parent, output_dir)
    return done


def _sweep(strays: list[str], output_dir: Path) -> list[str]:
    """Remove the strays (names the survey of output/ found: files, links and empty
    folders ending in '/'), and the folders they leave empty; returns those removed. A
    link is removed, never followed; nothing is removed through a folder that leads out
    of output/ (replaced by a link since the survey)."""
    top = os.path.realpath(output_dir)
    inside: dict[str, bool] = {}
    swept = []
    for name in strays:
        path = f"{output_dir}/{name.rstrip('/')}"
        folder = path.rpartition("/")[0]
        if folder not in inside:
            real = os.path.realpath(folder)
            inside[folder] = real == top or real.startswith(top + os.sep)
        if not inside[folder]:
            continue
        try:
            if name.endswith("/"):
                os.rmdir(path)
            else:
                os.unlink(path)
        except FileNotFoundError:
            continue
        except OSError as error:
            if error.errno != errno.ENOTEMPTY:  # a folder a later file went into
                raise
            continue
        swept.append(name)
        _prune_empty_parents(Path(folder), output_dir)
    return swept


def _replace(source: str, target: str) -> bool:
    """Move source to target: True if renamed, False if copied (another file system)."""
    try:
        os.replace(source, target)
        return True
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        atomic_write(Path(target), Path(source).read_bytes())
        return False


def _prune_empty_parents(folder: Path, top: Path) -> None:
    while folder != top and folder.is_relative_to(top):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


class BuildLock:
    """One build at a time per site: `sitegen serve` and a manual build must not interleave.

    A POSIX record lock (lockf), not flock: forked render workers do not inherit it, so
    a build killed while its workers linger cannot block the next one.
    """

    def __init__(self, cache_dir: Path):
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / "build.lock"

    def __enter__(self):
        self.handle = open(self.path, "w")
        fcntl.lockf(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.lockf(self.handle, fcntl.LOCK_UN)
        self.handle.close()
