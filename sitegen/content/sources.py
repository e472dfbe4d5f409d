"""Read content files into raw entries that remember where each field was written
(YAML through `sitegen.yamlfile`, Markdown entries as front matter and a body)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from sitegen.problems import Problem, display_path
from sitegen.yamlfile import LinedDict, LinedList, parse_yaml, read_text, type_name

CONTENT_SUFFIXES = (".yaml", ".yml", ".md")
FileStamp = tuple[int, int, str]  # a file's size, mtime_ns and digest of its bytes (file_digest)
AUTHORS_FILE = "authors.yaml"


@dataclass(frozen=True)
class RawEntry:
    """One paper as written: its fields, where they are, and a Markdown body if any."""

    path: str
    line: int
    fields: LinedDict
    body: str | None = None
    body_line: int | None = None


@dataclass
class SourceFile:
    """What one content file yielded: entries, or the problems that stopped it."""

    path: str
    entries: list[RawEntry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def split_front_matter(text: str, shown: str) -> tuple[str | None, str, int, list[Problem]]:
    """Return (front matter, body, line of the body's first line, problems)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return None, text, 1, [
            Problem(shown, 1, None, "a Markdown entry must start with YAML front matter",
                    "put the fields between two '---' lines at the top of the file")
        ]
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return front, body, index + 2, []
    return None, "", 1, [
        Problem(shown, 1, None, "front matter is not closed",
                "end the fields with a line holding only '---'")
    ]


def read_source(path: Path, root: Path, data: bytes | None = None) -> SourceFile:
    shown = display_path(path, root)
    result = SourceFile(shown)
    text, problems = read_text(path, shown, data)
    if text is None:
        result.problems = problems
        return result
    if path.suffix == ".md":
        _read_markdown(text, shown, result)
    else:
        _read_yaml(text, shown, result)
    return result


def _read_markdown(text: str, shown: str, result: SourceFile) -> None:
    front, body, body_line, problems = split_front_matter(text, shown)
    result.problems += problems
    if front is None:
        return
    data, problems = parse_yaml(front, shown, line_offset=1)
    result.problems += problems
    if problems and data is None:
        return
    if not isinstance(data, LinedDict):
        result.problems.append(Problem(shown, 2, None, "front matter must be a mapping of fields",
                                       "write 'field: value' lines"))
        return
    result.entries.append(RawEntry(shown, data.line, data, body.strip("\n"), body_line))


def _read_yaml(text: str, shown: str, result: SourceFile) -> None:
    if not text.strip():
        result.problems.append(Problem(shown, None, None, "file is empty",
                                       "add a paper entry or delete the file"))
        return
    data, problems = parse_yaml(text, shown)
    result.problems += problems
    if data is None:
        if not problems:
            result.problems.append(Problem(shown, None, None, "file holds no entry",
                                           "add a paper entry or delete the file"))
        return
    if isinstance(data, LinedDict):
        result.entries.append(RawEntry(shown, data.line, data))
    elif isinstance(data, LinedList):
        if not data:
            result.problems.append(Problem(shown, data.line, None, "the list of papers is empty"))
        for item, line in zip(data, data.lines):
            if isinstance(item, LinedDict):
                result.entries.append(RawEntry(shown, item.line, item))
            else:
                result.problems.append(Problem(shown, line, None,
                                               f"expected a paper (a mapping of fields), got {type_name(item)}"))
    else:
        result.problems.append(Problem(shown, 1, None,
                                       f"expected a paper or a list of papers, got {type_name(data)}"))


def find_content_files(content_dir: Path) -> list[tuple[str, Path]]:
    """Every entry file under content/ as (its path under content/, its path), sorted
    folder by folder, skipping hidden files and folders, `_` folders and authors.yaml.

    Symlinks are not followed out of the content folder, nor into folders. Every
    rebuild of `sitegen serve` lists the folder: one scandir per folder, no stat per file.
    """
    top = content_dir.resolve()
    found: list[tuple[list[str], Path]] = []
    pending: list[tuple[str, list[str]]] = [(str(content_dir), [])]
    while pending:
        folder, parts = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                if not name.startswith((".", "_")) and not entry.is_symlink():
                    pending.append((entry.path, parts + [name]))
                continue
            if name.startswith(".") or not name.endswith(CONTENT_SUFFIXES) or (not parts and name == AUTHORS_FILE):
                continue
            path = Path(entry.path)
            if entry.is_symlink() and not path.resolve().is_relative_to(top):
                continue
            found.append((parts + [name], path))
    found.sort(key=lambda item: item[0])
    return [("/".join(parts), path) for parts, path in found]


def file_digest(data: bytes) -> str:
    """What tells a content file's bytes from other bytes, for the caches kept between builds."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
