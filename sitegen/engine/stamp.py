"""The stamp of a build's inputs, so a rebuild with nothing changed stops at once.

A build's output is a function of the content folder, the theme and site template and
static folders, the settings and sitegen's version. The stamp records each input
file's path (relative to the site folder, so that a renamed or moved site keeps its
stamp), size and mtime; when a new build finds the same stamp as the last
successful one and every output file still as written, there is nothing to do — no
parsing, no model, no plan. Anything else (a touched file, a new or deleted one, a
changed setting) takes the normal path, which decides per page what to render.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

from sitegen import __version__
from sitegen.atomic import atomic_write
from sitegen.config import Config
from sitegen.problems import Problem, display_path


def inputs_stamp(config: Config, folders: list[Path]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    settings = dataclasses.replace(config, root=Path(), jobs=None, overrides=())
    digest.update(f"{__version__}\0{settings!r}\0".encode())
    for folder in folders:
        digest.update(f"{display_path(folder, config.root)}\0".encode())
        top = len(str(folder))
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            inside = dirpath[top:]
            for name in sorted(filenames):
                try:
                    stat = os.stat(os.path.join(dirpath, name))
                except OSError:
                    continue
                digest.update(f"{inside}/{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    settings_file = config.root / "sitegen.yaml"
    try:
        stat = settings_file.stat()
        digest.update(f"{stat.st_size}\0{stat.st_mtime_ns}".encode())
    except OSError:
        pass
    return digest.hexdigest()


def read(path: Path) -> tuple[str, list[Problem]] | None:
    """The last successful build's stamp and warnings, if any."""
    try:
        data = json.loads(path.read_text())
        return data["stamp"], [Problem(**fields) for fields in data["warnings"]]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(path: Path, stamp: str, warnings: list[Problem]) -> None:
    data = {"stamp": stamp, "warnings": [dataclasses.asdict(p) for p in warnings]}
    atomic_write(path, json.dumps(data).encode())


def forget(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
