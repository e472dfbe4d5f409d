"""Read content files into raw entries that remember where each field was written.

YAML is parsed with a loader that keeps the line of every mapping key and the raw
text of every scalar, so validation can say `file:line: field: ...` and can read
`id: 2203.10550` as the string the author typed rather than the float YAML sees.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sitegen.problems import Problem, display_path

CONTENT_SUFFIXES = (".yaml", ".yml", ".md")
AUTHORS_FILE = "authors.yaml"

try:
    _BaseLoader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


class LinedDict(dict):
    """A mapping from YAML with `line` (of the mapping), `lines` and `raw` per key."""

    line: int = 0
    lines: dict
    raw: dict


class LinedList(list):
    """A sequence from YAML with `line` and the `lines`/`raw` of each item."""

    line: int = 0
    lines: list
    raw: list


_STR_TAG = "tag:yaml.org,2002:str"


class _LineLoader(_BaseLoader):
    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A plain string as itself, without PyYAML's bookkeeping for the node (kept for
        anchors, recursion and tags): most of an entry's nodes are strings, and that
        bookkeeping was a third of parsing one."""
        if node.tag == _STR_TAG and type(node) is yaml.ScalarNode:
            return node.value
        return super().construct_object(node, deep)


def _scalar_raw(node: yaml.Node) -> str | None:
    if isinstance(node, yaml.ScalarNode):
        return node.value
    return None


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LinedDict:
    loader.flatten_mapping(node)
    result = LinedDict()
    result.line = node.start_mark.line + 1
    result.lines = {}
    result.raw = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key)
        if key in result:
            duplicates = loader.__dict__.setdefault("duplicate_keys", [])
            duplicates.append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
        result.raw[key] = _scalar_raw(value_node)
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LinedList:
    result = LinedList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    result.raw = [_scalar_raw(child) for child in node.value]
    return result


def _construct_timestamp_as_text(loader: _LineLoader, node: yaml.ScalarNode) -> str:
    # Dates are validated later with a clear message; YAML's own conversion would
    # crash the whole file on `2024-13-45`.
    return node.value


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)


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


def read_text(path: Path, shown: str, data: bytes | None = None) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 (a BOM is allowed), normalise line ends, report bad bytes by line.
    `data`: the file's bytes, if the caller read them already."""
    if data is None:
        data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, [
            Problem(shown, line, None, f"not valid UTF-8 (byte 0x{data[exc.start]:02x})",
                    "save the file as UTF-8")
        ]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def parse_yaml(text: str, shown: str, line_offset: int = 0) -> tuple[Any, list[Problem]]:
    loader = _LineLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark else None
        message = exc.problem or "invalid YAML"
        if exc.context:
            message = f"{exc.context}, {message}"
        return None, [Problem(shown, line, None, f"YAML syntax error: {message}")]
    except yaml.YAMLError as exc:
        return None, [Problem(shown, None, None, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    problems = [
        Problem(shown, line + line_offset, key, "appears twice in the same entry",
                "keep one of them")
        for key, line in loader.__dict__.get("duplicate_keys", [])
    ]
    if line_offset:
        _shift_lines(data, line_offset)
    return data, problems


def _shift_lines(value: Any, offset: int) -> None:
    if isinstance(value, LinedDict):
        value.line += offset
        value.lines = {k: v + offset for k, v in value.lines.items()}
        for item in value.values():
            _shift_lines(item, offset)
    elif isinstance(value, LinedList):
        value.line += offset
        value.lines = [v + offset for v in value.lines]
        for item in value:
            _shift_lines(item, offset)


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


def type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
