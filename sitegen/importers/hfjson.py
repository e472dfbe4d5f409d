"""Entries from a Hugging Face daily-papers style JSON export: a list of objects like
{"paper": {"id", "title", "summary", "authors": [{"name"}], "publishedAt", "upvotes"},
 "publishedAt": <listing day>}."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sitegen.importers import ImportFailure
from sitegen.importers.arxiv import normalise_id
from sitegen.importers.common import Imported, read_text, safe_id
from sitegen.importers.fetch import describe_body


@dataclass
class Read:
    papers: list[Imported] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _day(value) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _item(index: int, item) -> tuple[Imported | None, str | None]:
    paper = item.get("paper", item) if isinstance(item, dict) else None
    if not isinstance(paper, dict):
        return None, f"item {index}: expected an object with a 'paper'"
    title = " ".join(str(paper.get("title") or "").split())
    authors = [" ".join(str(a.get("name", "")).split()) for a in paper.get("authors") or [] if isinstance(a, dict)]
    published = _day(paper.get("publishedAt"))
    missing = [name for name, value in (("paper.id", paper.get("id")), ("paper.title", title),
                                        ("paper.authors", [a for a in authors if a]),
                                        ("paper.publishedAt", published)) if not value]
    if missing:
        return None, f"item {index}: missing or invalid {', '.join(missing)}"
    raw_id = str(paper["id"])
    arxiv_id = normalise_id(raw_id)
    links = {"arxiv": f"https://arxiv.org/abs/{arxiv_id}", "pdf": f"https://arxiv.org/pdf/{arxiv_id}"} if arxiv_id else {}
    upvotes = paper.get("upvotes", item.get("upvotes") if isinstance(item, dict) else None)
    return Imported(
        id=safe_id(arxiv_id or raw_id), title=title, authors=[a for a in authors if a],
        abstract=" ".join(str(paper.get("summary") or "No abstract.").split()), published=published,
        day=_day(item.get("publishedAt")) if isinstance(item, dict) else None, links=links,
        upvotes=upvotes if isinstance(upvotes, int) and upvotes >= 0 else None,
    ), None


def read_json(path: Path) -> Read:
    """The papers of a Daily Papers export, and a problem for each item that cannot be
    one. A file that cannot be read, is not JSON, or is not such an export (not a list
    of papers, or an empty one) is an ImportFailure."""
    result = Read()
    text = read_text(path)
    try:
        data = json.loads(text)
    except RecursionError:
        raise ImportFailure(str(path), "not valid JSON: nested too deeply") from None
    except ValueError as error:
        raise _not_json(path, text, error) from None
    items = _items(data, path)
    if not items:
        raise ImportFailure(str(path), "holds no papers (an empty list)")
    if not any(_looks_like_paper(item) for item in items):
        raise ImportFailure(str(path), f"is not a Daily Papers export: {SHAPE}, but its first item is "
                                       f"{_describe(items[0])}")
    for index, item in enumerate(items):
        paper, problem = _item(index, item)
        if paper:
            result.papers.append(paper)
        else:
            result.problems.append(problem)
    return result


SHAPE = 'expected a list of {"paper": {"id", "title", "authors", "publishedAt", ...}} objects'


def _not_json(path: Path, text: str, error: ValueError) -> ImportFailure:
    if not text.strip():
        return ImportFailure(str(path), "is empty, not JSON")
    body = describe_body(text.encode("utf-8"))
    if body.startswith("an HTML page"):
        return ImportFailure(str(path), "is an HTML page, not JSON (saved from a browser instead of the API?)")
    line, column, message = getattr(error, "lineno", 1), getattr(error, "colno", 1), getattr(error, "msg", error)
    return ImportFailure(f"{path}:{line}", f"not valid JSON: {message} (column {column})")


def _items(data, path: Path) -> list:
    """The list of papers: the document itself, or the list a wrapping object holds."""
    if isinstance(data, dict):  # some exports wrap the list
        for key in ("papers", "items"):
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    if isinstance(data, list):
        return data
    raise ImportFailure(str(path), f"is not a Daily Papers export: {SHAPE}, but it holds {_describe(data)}")


def _looks_like_paper(item) -> bool:
    if not isinstance(item, dict):
        return False
    paper = item.get("paper", item)
    return isinstance(paper, dict) and bool({"id", "title"} & paper.keys())


def _describe(value) -> str:
    if isinstance(value, dict):
        keys = list(value)[:5]
        return f"an object with keys {', '.join(keys)}" if keys else "an empty object"
    names = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")
