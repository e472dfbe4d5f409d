"""BibTeX entries for papers. Keys come from the model (stable, unique)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from sitegen.content.identifiers import ARXIV_ID, arxiv_id_of_link, doi_of
from sitegen.formats.markup import split_math
from sitegen.content.model import Paper

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CONFERENCE = re.compile(r"conference|proceedings|workshop|symposium|^[A-Z][A-Za-z-]*\s*'?\d{2,4}$", re.I)
_SPECIAL = re.compile(r"(?<!\\)([&%#_])")
_AND_OR_COMMA = re.compile(r"\band\b|,")
# What str.split() splits on in ASCII text, besides the space.
_ASCII_BREAKS = ("\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f")


def escape(text: str) -> str:
    """A value safe inside `{...}`: specials escaped outside math, braces balanced."""
    out = []
    for kind, piece in split_math(text):
        if kind == "text":
            out.append(_SPECIAL.sub(r"\\\1", piece) if _has_special(piece) else piece)
        else:
            delimiter = "$$" if kind == "display" else "$"
            out.append(f"{delimiter}{piece}{delimiter}")
    value = "".join(out)
    if not _balanced(value):
        value = re.sub(r"(?<!\\)([{}])", r"\\\1", value)
        if not _balanced(value):
            value = value.replace("{", "").replace("}", "")
    return _single_spaced(value)


def _single_spaced(text: str) -> str:
    """`" ".join(text.split())`, without splitting an abstract into 300 words when it is
    single-spaced already (most are): a few scans in C instead."""
    if (text.isascii() and "  " not in text and text[:1] != " " and text[-1:] != " "
            and not any(c in text for c in _ASCII_BREAKS)):
        return text
    return " ".join(text.split())


def _has_special(text: str) -> bool:
    """A scan in C each; the pattern, with its look-behind, tries every position."""
    return "&" in text or "%" in text or "#" in text or "_" in text


def _balanced(text: str) -> bool:
    if "{" not in text and "}" not in text:
        return True
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
        i += 1
    return depth == 0


@lru_cache(maxsize=16384)  # a prolific author's name is in hundreds of entries
def _name(name: str) -> str:
    name = escape(name)
    if _AND_OR_COMMA.search(name) or len(name.split()) == 1:
        return "{" + name + "}"
    return name


def arxiv_id(paper: Paper) -> str | None:
    """The id of the paper's arXiv link (https://arxiv.org/abs/<id>, as validation writes a
    bare id), else its own id if that is an arXiv id."""
    for kind, url in paper.links:
        if kind == "arxiv":
            found = arxiv_id_of_link(url)
            if found:
                return found
    return paper.id if ARXIV_ID.fullmatch(paper.id) else None


def verbatim(value: str) -> str:
    """A DOI or URL as BibTeX and biblatex read it: as is (their doi and url fields are
    verbatim, where `\\_` would stay a backslash), but with no brace or backslash that
    could end the field or start a command: those are percent-encoded."""
    if "{" in value or "}" in value or "\\" in value:
        value = value.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")
    return value


def entry(paper: Paper, key: str, abstract_text: str = "") -> str:
    """What it reads of the paper is what tasks._Digests.cite digests: a field read
    here and not there would leave cite.bib stale after that field's edit."""
    fields: list[tuple[str, str]] = [
        ("title", "{" + escape(paper.title) + "}"),
        ("author", " and ".join(_name(c.name) for c in paper.authors)),
        ("year", str(paper.published.year)),
        ("month", MONTHS[paper.published.month - 1]),
    ]
    kind = "misc"
    if paper.venue:
        if _CONFERENCE.search(paper.venue):
            kind = "inproceedings"
            fields.append(("booktitle", escape(paper.venue)))
        else:
            kind = "article"
            fields.append(("journal", escape(paper.venue)))
    eprint = arxiv_id(paper)
    if eprint:
        fields += [("eprint", eprint), ("archiveprefix", "arXiv")]
    links = dict(paper.links)
    doi = doi_of(links["doi"]) if "doi" in links else None
    if doi:
        fields.append(("doi", verbatim(doi)))
    url = links.get("arxiv") or links.get("project") or links.get("pdf")
    if url:
        fields.append(("url", verbatim(url)))
    if paper.tags:
        fields.append(("keywords", escape(", ".join(paper.tags))))
    if abstract_text:
        fields.append(("abstract", escape(abstract_text)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def bibliography(entries: Iterable[bytes]) -> bytes:
    """Entries as UTF-8, one blank line apart."""
    return b"\n".join(entries)
