"""The commit: staged files move into output/ atomically, and what the content no longer
makes leaves it.

Only when every page has rendered does the commit move the staged files into output/,
one `os.replace` each (or the whole staged tree with one rename, for a first build), so
a failed build leaves output/ byte-for-byte as it was and a reader never sees a half-
written file. Then it removes the files of the last build this one does not make and
the strays the manifest's check found, so that output/ holds exactly what the content
makes, whatever state the cache was in (as Jekyll's cleaner does).
"""

from __future__ import annotations

import errno
import os
from contextlib import suppress
from pathlib import Path

from sitegen.atomic import atomic_write
from sitegen.problems import WriteProblem
from sitegen.urls import UnsafePath, checked_relative, safe_output_path
from sitegen.write.manifest import Manifest, Record, is_kept
from sitegen.write.staging import Staging, _Folders


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

def _refuse_links_out(folders: set[str], output_dir: Path) -> None:
    """UnsafePath if a folder, followed through symbolic links, is not in output_dir:
    checked once per folder before anything moves, not once per file."""
    top = os.path.realpath(output_dir)
    for folder in sorted(folders):
        real = os.path.realpath(folder)
        if real != top and not real.startswith(top + os.sep):
            raise UnsafePath(f"refusing to write through {folder}: a link to {real}, outside the output folder")
