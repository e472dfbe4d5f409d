"""Entries from a Hugging Face daily-papers style JSON export: a list of objects like
{"paper": {"id", "title", "summary", "authors": [{"name"}], "publishedAt", "upvotes"},
 "publishedAt": <listing day>}."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sitegen.importers.arxiv import normalise_id
from sitegen.importers.common import Imported, safe_id


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
    result = Read()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        result.problems.append(f"{path.name}: not valid JSON: {error}")
        return result
    if isinstance(data, dict):  # some exports wrap the list
        data = data.get("papers") or data.get("items") or [data]
    if not isinstance(data, list):
        result.problems.append(f"{path.name}: expected a list of papers")
        return result
    for index, item in enumerate(data):
        paper, problem = _item(index, item)
        if paper:
            result.papers.append(paper)
        else:
            result.problems.append(problem)
    return result
