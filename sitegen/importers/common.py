"""What every importer shares: reading an input file, an imported paper, and writing
papers as valid entries, all of them or none."""

from __future__ import annotations

import codecs
import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from sitegen.config import Config
from sitegen.content.entry import check_entry_text, entry_fields, render_entry
from sitegen.importers import ImportFailure
from sitegen.importers.ids import normalise_id, paper_key, safe_id

__all__ = ["Catalogue", "Found", "Imported", "Outcome", "safe_id", "write_imported"]


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
    thumbnail: str | None = None


@dataclass
class Found:
    """What a source gave: its papers; `problems`, entries that cannot become papers (a
    failure each); `skipped`, entries left out for a reason that is no failure (a
    withdrawn paper); the requests it took; and `nothing`, what it means that no paper
    was found ("arXiv has no paper matching ..."), said when that is so."""

    papers: list[Imported] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    requests: int = 0
    nothing: str = "no paper found"


@dataclass
class Outcome:
    written: list[str] = field(default_factory=list)  # new entries
    updated: list[str] = field(default_factory=list)  # entries the importer wrote before, rewritten
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class Known(NamedTuple):
    """A paper in content/: the file that holds it (as a build names it) and its listing day."""

    source: str
    day: date


class Catalogue:
    """The papers in content/, by `paper_key` of their id and of their arXiv link (an
    arXiv paper is known whatever its version and whatever id its entry gives it), each
    with where it is and its day. Read once, when first asked, and kept up to date with
    what the importers write: `sitegen update` runs many sources over one reading."""

    def __init__(self, config: Config):
        self.config = config
        self._known: dict[str, list[Known]] | None = None

    def get(self, key: str) -> list[Known]:
        return self._read().get(key, [])

    def add(self, key: str, known: Known) -> None:
        self._read().setdefault(key, []).append(known)

    def _read(self) -> dict[str, list[Known]]:
        if self._known is None:
            self._known = _existing_papers(self.config) if self.config.content_dir.is_dir() else {}
        return self._known


def _existing_papers(config: Config) -> dict[str, list[Known]]:
    from sitegen.content.load import load_papers  # the loader and model, imported by the command that needs them

    papers, _, _ = load_papers(config)
    known: dict[str, list[Known]] = {}
    for paper in papers:
        seen = Known(paper.source, paper.day)
        keys = {paper_key(paper.id)}
        arxiv_link = dict(paper.links).get("arxiv")
        if arxiv_link and normalise_id(arxiv_link):
            keys.add(paper_key(arxiv_link))
        for key in keys:
            known.setdefault(key, []).append(seen)
    return known


def read_text(path: Path, encoding: str | None = None, *, encoding_option: str | None = None) -> str:
    """The text of an input file: UTF-8, with or without a byte order mark (a UTF-16
    file with its mark is read too), or `encoding` when the user names one.

    Anything else is refused, not guessed: every byte decodes as some 8-bit encoding
    (Latin-1, Windows-1252, -1250, Mac Roman...), so a wrong guess would write
    misspelled names into content/ without a word. The refusal names the file, line,
    column and byte, and how to fix it (`encoding_option` is the flag that names the
    encoding, when the command has one)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFailure(str(path), "no such file") from None
    except IsADirectoryError:
        raise ImportFailure(str(path), "is a folder, not a file") from None
    except PermissionError:
        raise ImportFailure(str(path), "not allowed to read it (check its permissions)") from None
    except OSError as error:
        raise ImportFailure(str(path), f"cannot be read: {error.strerror or error}") from None
    codec = encoding or ("utf-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig")
    try:
        return data.decode(codec)
    except UnicodeDecodeError as error:
        raise _not_decodable(path, data, codec, error, encoding_option, chosen=encoding is not None) from None


def _not_decodable(path: Path, data: bytes, codec: str, error: UnicodeDecodeError,
                   encoding_option: str | None, chosen: bool) -> ImportFailure:
    before = data[:error.start].decode(codec, "replace")
    line = before.count("\n") + 1
    column = len(before) - (before.rfind("\n") + 1) + 1
    byte = data[error.start]
    name = {"utf-8-sig": "UTF-8", "utf-16": "UTF-16"}.get(codec, codec)
    return ImportFailure(f"{path}:{line}", f"not {name}: byte 0x{byte:02X} at column {column}"
                                           f"{_as_8_bit(byte)}; {_encoding_fix(name, encoding_option, chosen)}")


def _as_8_bit(byte: int) -> str:
    """What the byte would be in the commonest 8-bit encoding, as a clue to the file's."""
    if byte < 0x80:
        return ""
    char = bytes([byte]).decode("cp1252", "replace")
    if char == "\ufffd" or not char.isprintable():
        return ""
    return f" ('{char}' in {'Latin-1/' if byte >= 0xA0 else ''}Windows-1252)"


def _encoding_fix(name: str, encoding_option: str | None, chosen: bool) -> str:
    if chosen:
        return f"is it really {name}? Save the file as UTF-8, or name its encoding with {encoding_option}"
    fix = "save the file as UTF-8"
    if encoding_option:
        fix += f", or run again with {encoding_option} cp1252 (or its real encoding)"
    return fix


def write_imported(config: Config, items: list[Imported], *, folder: str, update: bool, fmt: str = "md",
                   day: date | None = None, new_day: date | None = None,
                   catalogue: Catalogue | None = None) -> Outcome:
    """Write one file per paper, content/<folder>/<id>.md (or .yaml): where an importer
    writes is how it knows its own entries. A paper already in content/ (by `paper_key`:
    an arXiv id whatever its version) is skipped and its file left as it is, unless
    `update` and its file is the one this importer wrote: that file is rewritten when
    the paper changed. A file is never overwritten without `update`.

    The listing day: `day` when given (--day); else the item's own (a Daily Papers
    date); else, for a rewritten entry, the day it had; else `new_day` (an arXiv query's
    import day); else none, so the entry is listed on the day it was published.

    Every file is rendered and checked first, then all are written at once: each into
    a temporary file beside its target, renamed over it only when all were written,
    so a failure leaves content/ as it was and no reader sees half a file. `catalogue`
    (read from content/ when not given) learns of the papers written."""
    outcome = Outcome()
    catalogue = catalogue or Catalogue(config)
    planned: list[tuple[Path, str]] = []
    added: list[tuple[str, Known]] = []
    suffix = ".md" if fmt == "md" else ".yaml"
    taken: set[str] = set()
    for item in items:
        key = paper_key(item.id)
        target = config.content_dir / folder / f"{item.id}{suffix}"
        shown = _shown(config, target)
        there = catalogue.get(key)
        own = next((k for k in there if k.source == shown.as_posix()), None)
        rewrite = update and target.exists()
        if key in taken:
            outcome.skipped.append(f"{item.id}: given twice; imported once")
            continue
        if there and not rewrite:
            hint = " (--update rewrites it)" if own is not None and not update else ""
            outcome.skipped.append(f"{item.id}: already in content/ as {there[0].source}{hint}")
            continue
        if target.exists() and not update:
            outcome.skipped.append(f"{item.id}: {shown} already exists; not overwritten")
            continue
        taken.add(key)
        listing_day = day or item.day or (own.day if own is not None else None) or new_day
        text = _render(item, listing_day, fmt)
        problems = check_entry_text(text, fmt, str(target))
        if problems:
            outcome.failed.append(f"{item.id}: " + "; ".join(problems))
            continue
        if target.exists() and target.read_bytes() == text.encode("utf-8"):
            outcome.skipped.append(f"{item.id}: unchanged")
            continue
        planned.append((target, text))
        if own is None:
            added.append((key, Known(shown.as_posix(), listing_day or item.published)))
        (outcome.updated if target.exists() else outcome.written).append(f"{item.id}: {shown}")
    _write_all(config, planned)
    for key, known in added:
        catalogue.add(key, known)
    return outcome


def _render(item: Imported, day: date | None, fmt: str) -> str:
    fields = entry_fields(paper_id=item.id, title=item.title, authors=item.authors, published=item.published,
                          day=day, tags=item.tags, links=item.links, venue=item.venue, upvotes=item.upvotes)
    if item.thumbnail:
        fields["thumbnail"] = item.thumbnail
    return render_entry(fields, item.abstract, fmt)


def _shown(config: Config, target: Path) -> Path:
    return target.relative_to(config.root) if target.is_relative_to(config.root) else target


def _write_all(config: Config, planned: list[tuple[Path, str]]) -> None:
    """Write every (target, text), or none: on a failure, remove what was staged."""
    staged: list[tuple[str, Path]] = []
    made: list[Path] = []
    target = None
    try:
        for target, text in planned:
            made += _make_folder(target.parent)
            staged.append((_stage(target, text), target))
    except BaseException as error:
        for tmp, _ in staged:
            with suppress(OSError):
                os.unlink(tmp)
        for folder in reversed(made):
            with suppress(OSError):
                folder.rmdir()
        if isinstance(error, OSError):
            raise ImportFailure(str(_shown(config, target)), f"cannot write it: {error.strerror or error}; "
                                                             "no entry was written") from None
        raise
    for tmp, target in staged:  # renames within one folder: they do not fail for want of space
        os.replace(tmp, target)


def _make_folder(folder: Path) -> list[Path]:
    """Create `folder` and return the folders that did not exist, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir()
    return list(reversed(missing))


def _stage(target: Path, text: str) -> str:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp
