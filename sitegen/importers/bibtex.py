"""Entries from a .bib file, read with bibtexparser; entries that cannot become a
paper are reported with their key and line, never dropped silently."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import bibtexparser
from pylatexenc.latex2text import LatexNodes2Text

from sitegen.importers import ImportFailure
from sitegen.importers.arxiv import normalise_id
from sitegen.importers.common import Imported, read_text, safe_id
from sitegen.formats.markup import split_math

MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_latex = LatexNodes2Text()


@dataclass
class Read:
    papers: list[Imported] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def decode(text: str) -> str:
    """LaTeX text → Unicode ({\\"o} → ö, {Title Case} braces dropped); $math$ kept as written."""
    out = []
    for kind, piece in split_math(text):
        if kind == "text":
            out.append(_latex.latex_to_text(piece))
        else:
            out.append(f"$${piece}$$" if kind == "display" else f"${piece}$")
    return " ".join("".join(out).split())


def _names(field_value: str) -> list[str]:
    """'Dao, Tri and Ré, Christopher' → ['Tri Dao', 'Christopher Ré'] (also 'First Last' and 'von Last, Jr, First')."""
    names = []
    for raw in re.split(r"\s+and\s+", field_value.strip()):
        parts = [decode(p) for p in _split_top_commas(raw)]
        if len(parts) == 1:
            name = parts[0]
        elif len(parts) == 2:
            name = f"{parts[1]} {parts[0]}"
        else:
            name = f"{parts[2]} {parts[0]} {parts[1]}"
        name = " ".join(name.split())
        if name and name.lower() != "others":
            names.append(name)
    return names


def _split_top_commas(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        depth += ch == "{"
        depth -= ch == "}"
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _published(fields: dict, key: str, warnings: list[str]) -> date | None:
    if "date" in fields:
        match = re.match(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", fields["date"])
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1))
            except ValueError:
                pass  # an impossible date (month 13, day 0, year 0): year and month may still say it
    year = re.search(r"\d{4}", fields.get("year", ""))
    if not year or int(year.group()) < 1:
        return None
    month_text = fields.get("month", "").strip().lower()[:3]
    month = MONTHS.get(month_text) or (int(month_text) if month_text.isdigit() and 1 <= int(month_text) <= 12 else 0)
    if not month:
        warnings.append(f"{key}: no month given; published set to January 1, {year.group()}")
    return date(int(year.group()), month or 1, 1)


def _links(fields: dict) -> dict[str, str]:
    links = {}
    eprint = fields.get("eprint", "")
    prefix = fields.get("archiveprefix", fields.get("eprinttype", "arxiv")).lower()
    arxiv_id = normalise_id(eprint) if eprint and prefix == "arxiv" else None
    if arxiv_id:
        links["arxiv"] = f"https://arxiv.org/abs/{arxiv_id}"
        links["pdf"] = f"https://arxiv.org/pdf/{arxiv_id}"
    if fields.get("doi"):
        links["doi"] = "https://doi.org/" + re.sub(r"^https?://(dx\.)?doi\.org/", "", fields["doi"].strip())
    url = fields.get("url", "").strip()
    if url.startswith(("http://", "https://")):
        links["pdf" if url.lower().endswith(".pdf") and "pdf" not in links else "project"] = url
    return links


def _raw_key(raw: str) -> str | None:
    match = re.match(r"\s*@\w+\s*[{(]\s*([^,\s]+)", raw)
    return match.group(1) if match else None


def _parse_quietly(text: str) -> bibtexparser.Library:
    """The parsed library. bibtexparser also logs each entry it cannot read; those are
    reported here, once each with file, line and key, so its log is silenced."""
    logger = logging.getLogger("bibtexparser")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        return bibtexparser.parse_string(text)
    finally:
        logger.setLevel(level)


def _failure_reason(error: Exception | None) -> str:
    reason = (getattr(error, "abort_reason", None) or str(error or "")).strip().rstrip(".")
    if not reason or "end of file" in reason:
        return (reason + " " if reason else "a syntax error ") + "(unbalanced braces or quotes?)"
    return reason


def read_bibtex(path: Path, encoding: str | None = None) -> Read:
    """The papers of a .bib file, and a problem for each entry that cannot be one. A file
    that cannot be read, is not UTF-8 (or `encoding`) or holds no entry at all is an
    ImportFailure."""
    result = Read()
    text = read_text(path, encoding, encoding_option="--encoding")
    try:
        library = _parse_quietly(text)
    except Exception as error:  # the parser's own failures have no common type
        raise ImportFailure(str(path), f"cannot be read as BibTeX: {error}") from None
    if not library.entries and not library.failed_blocks:
        raise ImportFailure(str(path), "holds no BibTeX entry (like @article{key, title = {...}, ...})")
    for block in library.failed_blocks:
        key = getattr(block, "key", None) or _raw_key(getattr(block, "raw", "")) or "?"
        reason = _failure_reason(getattr(block, "error", None))
        result.problems.append(f"{path.name}:{block.start_line + 1}: entry '{key}' could not be read: {reason}")
    for entry in library.entries:
        fields = {f.key.lower(): str(f.value) for f in entry.fields}
        where = f"{path.name}:{entry.start_line + 1}: {entry.key}"
        missing = [name for name in ("title", "author") if not fields.get(name)]
        published = _published(fields, entry.key, result.warnings)
        if published is None:
            missing.append("year")
        if missing:
            result.problems.append(f"{where}: cannot import without {', '.join(missing)}")
            continue
        links = _links(fields)
        arxiv = links.get("arxiv", "").rsplit("/abs/", 1)[-1]
        abstract = decode(fields.get("abstract", ""))
        if not abstract:
            result.warnings.append(f"{entry.key}: no abstract; wrote 'No abstract.'")
        tags = [t.strip() for t in re.split(r"[,;]", decode(fields.get("keywords", ""))) if t.strip()]
        venue = decode(fields.get("booktitle") or fields.get("journal") or "") or None
        result.papers.append(Imported(
            id=safe_id(arxiv or entry.key), title=decode(fields["title"]), authors=_names(fields["author"]),
            abstract=abstract or "No abstract.", published=published, tags=tags, links=links, venue=venue))
    return result
