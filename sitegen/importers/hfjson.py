"""Entries from Hugging Face Daily Papers: the mapping of one item of the API's answer
(or of a saved JSON export, the same list), and the reading of an export file.

An item: {"paper": {"id", "title", "summary", "authors": [{"name"}], "publishedAt",
"upvotes", "githubRepo", "projectPage", ...}, "publishedAt": <when it was listed>,
"title", "thumbnail", "numComments", "submittedBy", ...}."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from sitegen.importers import ImportFailure
from sitegen.importers.common import Imported, read_text
from sitegen.importers.fetch import describe_body
from sitegen.importers.ids import normalise_id, safe_id


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


def map_item(index: int, item, day: date | None = None) -> tuple[Imported | None, str | None]:
    """The paper of a Daily Papers item, or why there is none. Its listing day is `day`
    when given (the date that was asked for), else the date the item was listed on."""
    paper = item.get("paper", item) if isinstance(item, dict) else None
    if not isinstance(paper, dict):
        return None, f"item {index}: expected an object with a 'paper'"
    title = " ".join(str(paper.get("title") or item.get("title") or "").split())
    authors = [" ".join(str(a.get("name", "")).split()) for a in _list(paper.get("authors")) if isinstance(a, dict)]
    published = _day(paper.get("publishedAt"))
    missing = [name for name, value in (("paper.id", paper.get("id")), ("paper.title", title),
                                        ("paper.authors", [a for a in authors if a]),
                                        ("paper.publishedAt", published)) if not value]
    if missing:
        return None, f"item {index}: missing or invalid {', '.join(missing)}"
    raw_id = str(paper["id"])
    arxiv_id = normalise_id(raw_id)
    upvotes = paper.get("upvotes", item.get("upvotes"))
    return Imported(
        id=safe_id(arxiv_id or raw_id), title=title, authors=[a for a in authors if a],
        abstract=" ".join(str(paper.get("summary") or "No abstract.").split()), published=published,
        day=day or _day(item.get("publishedAt")), links=_links(arxiv_id, paper, item),
        upvotes=upvotes if isinstance(upvotes, int) and not isinstance(upvotes, bool) and upvotes >= 0 else None,
        thumbnail=_web_address(item.get("thumbnail") or paper.get("thumbnail")),
    ), None


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _links(arxiv_id: str | None, paper: dict, item: dict) -> dict[str, str]:
    """arXiv and PDF for an arXiv paper; its code (githubRepo) and project page where given."""
    links = {"arxiv": f"https://arxiv.org/abs/{arxiv_id}", "pdf": f"https://arxiv.org/pdf/{arxiv_id}"} if arxiv_id else {}
    for name, key in (("code", "githubRepo"), ("project", "projectPage")):
        address = _web_address(paper.get(key) or item.get(key))
        if address:
            links[name] = address
    return links


def _web_address(value) -> str | None:
    """An http(s) URL as given, or None: an empty string, or anything else, is no link."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        return None
    return value


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
    if not any(looks_like_paper(item) for item in items):
        raise ImportFailure(str(path), f"is not a Daily Papers export: {SHAPE}, but its first item is "
                                       f"{describe(items[0])}")
    for index, item in enumerate(items):
        paper, problem = map_item(index, item)
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


def items_of(data) -> list | None:
    """The list of papers: the document itself, or the list a wrapping object holds;
    None when the document is neither a list nor an object."""
    if isinstance(data, dict):  # some exports wrap the list
        for key in ("papers", "items"):
            if isinstance(data.get(key), list):
                return data[key]
        return [data]
    return data if isinstance(data, list) else None


def _items(data, path: Path) -> list:
    items = items_of(data)
    if items is None:
        raise ImportFailure(str(path), f"is not a Daily Papers export: {SHAPE}, but it holds {describe(data)}")
    return items


def looks_like_paper(item) -> bool:
    if not isinstance(item, dict):
        return False
    paper = item.get("paper", item)
    return isinstance(paper, dict) and bool({"id", "title"} & paper.keys())


def describe(value) -> str:
    if isinstance(value, dict):
        keys = list(value)[:5]
        return f"an object with keys {', '.join(keys)}" if keys else "an empty object"
    names = {list: "a list", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")
