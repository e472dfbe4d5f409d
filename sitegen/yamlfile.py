"""YAML that remembers where each value was written, and text files read as UTF-8.

The loader keeps the line of every mapping key and sequence item and the raw text of
every scalar, so a problem can say `file:line: field: ...`, and `id: 2203.10550` can be
read as the string the author typed rather than the float YAML sees. Content entries
and `sitegen.yaml` are both read with it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sitegen.problems import Problem

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
