"""Writing new entries (`sitegen new`): a valid file from arguments, never overwriting."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from sitegen.config import Config
from sitegen.content.model import make_slug
from sitegen.content.sources import RawEntry
from sitegen.yamlfile import parse_yaml
from sitegen.content.validate import validate_entry


class EntryError(Exception):
    pass


def entry_fields(*, paper_id: str, title: str, authors: list[str], published: date, day: date | None,
                 tags: list[str], links: dict[str, str] | None = None, venue: str | None = None,
                 upvotes: int | None = None) -> dict:
    fields: dict = {"id": paper_id, "title": title, "authors": authors, "published": published.isoformat()}
    if day and day != published:
        fields["day"] = day.isoformat()
    if tags:
        fields["tags"] = tags
    if links:
        fields["links"] = links
    if venue:
        fields["venue"] = venue
    if upvotes is not None:
        fields["upvotes"] = upvotes
    return fields


def render_entry(fields: dict, abstract: str, fmt: str) -> str:
    """The file text: Markdown with front matter, or a YAML mapping."""
    if fmt == "md":
        front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=100)
        return f"---\n{front}---\n\n{abstract.strip() or 'Abstract goes here.'}\n"
    body = dict(fields)
    body["abstract"] = abstract.strip() or "Abstract goes here."
    return yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100)


def check_entry_text(text: str, fmt: str, shown: str) -> list[str]:
    """Problems the written file would have, by the same rules as a build."""
    if fmt == "md":
        front, _, body = text[4:].partition("\n---\n")
        data, problems = parse_yaml(front, shown, line_offset=1)
        raw = RawEntry(shown, 2, data, body.strip()) if data is not None else None
    else:
        data, problems = parse_yaml(text, shown)
        raw = RawEntry(shown, 1, data) if data is not None else None
    if raw is not None:
        problems += validate_entry(raw)[1]
    return [str(p) for p in problems if p.is_error]


def write_entry(config: Config, *, title: str, authors: list[str], paper_id: str | None, published: date,
                day: date | None, tags: list[str], abstract: str, fmt: str,
                links: dict[str, str] | None = None, folder: str = "") -> Path:
    paper_id = paper_id or make_slug(title, "paper")
    fields = entry_fields(paper_id=paper_id, title=title, authors=authors, published=published, day=day,
                          tags=tags, links=links)
    text = render_entry(fields, abstract, fmt)
    suffix = ".md" if fmt == "md" else ".yaml"
    target = config.content_dir / folder / f"{paper_id}{suffix}"
    problems = check_entry_text(text, fmt, str(target))
    if problems:
        raise EntryError("the entry would not be valid:\n" + "\n".join(problems))
    if target.exists():
        raise EntryError(f"{target} already exists; choose another --id or edit that file")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "x", encoding="utf-8") as handle:  # 'x': never overwrite, even in a race
        handle.write(text)
    return target
