"""What every importer shares: an imported paper, and writing it as a valid entry."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sitegen.config import Config
from sitegen.entry import check_entry_text, entry_fields, render_entry

_NOT_ID = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class Imported:
    id: str
    title: str
    authors: list[str]
    abstract: str
    published: date
    day: date | None = None
    tags: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    venue: str | None = None
    upvotes: int | None = None


@dataclass
class Outcome:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def safe_id(text: str) -> str:
    """An entry id from anything: 'math/0601001' → 'math-0601001'."""
    return _NOT_ID.sub("-", text).strip("-._") or "paper"


def existing_ids(config: Config) -> set[str]:
    from sitegen.content import load_papers  # the loader and model, imported by the command that needs them

    papers, _, _ = load_papers(config)
    return {p.id for p in papers}


def write_imported(config: Config, items: list[Imported], *, folder: str, update: bool, fmt: str = "md",
                   day: date | None = None) -> Outcome:
    """Write one file per paper under content/<folder>/. An id that exists anywhere in
    content/ is skipped, unless --update and the file is the one this importer wrote."""
    outcome = Outcome()
    known = existing_ids(config) if config.content_dir.is_dir() else set()
    for item in items:
        suffix = ".md" if fmt == "md" else ".yaml"
        target = config.content_dir / folder / f"{item.id}{suffix}"
        if item.id in known and not (update and target.exists()):
            outcome.skipped.append(f"{item.id}: already in content/ (use --update to refresh {folder}/ files)")
            continue
        text = render_entry(entry_fields(
            paper_id=item.id, title=item.title, authors=item.authors, published=item.published,
            day=day or item.day, tags=item.tags, links=item.links, venue=item.venue, upvotes=item.upvotes,
        ), item.abstract, fmt)
        problems = check_entry_text(text, fmt, str(target))
        if problems:
            outcome.failed.append(f"{item.id}: " + "; ".join(problems))
            continue
        if target.exists() and target.read_text(encoding="utf-8") == text:
            outcome.skipped.append(f"{item.id}: unchanged")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _write(target, text)
        outcome.written.append(f"{item.id}: {target.relative_to(config.root) if target.is_relative_to(config.root) else target}")
        known.add(item.id)
    return outcome


def _write(target: Path, text: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
