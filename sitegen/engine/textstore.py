"""Rendered titles and abstracts, kept across builds in `.sitegen/texts.sqlite`.

Markdown and MathML are the costliest part of rendering a paper, and a paper's
text is shown on many pages (its own, its day, its authors', its topics', feeds).
Each text is rendered once, keyed by a digest of its source, and read back by every
worker that needs it; an edit renders only the text that changed.
"""

from __future__ import annotations

import json
import sqlite3
import struct
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence

from markupsafe import Markup

from sitegen.formats import search
from sitegen.atomic import file_identity
from sitegen.formats.markup import Rendered, paragraphs_html
from sitegen.engine.parsecache import cache_pragmas
from sitegen.engine.shared_fragments import SharedFragments
from sitegen.content.model import Paper
from sitegen.pages.text import PaperText, render_text

SCHEMA_VERSION = "10"  # 10: refused links and images become text; snippets end after a whole word
CACHE_LIMIT = 8192  # rendered texts `sitegen serve` keeps in memory


def text_key(paper: Paper) -> str:
    return paper.text_key


def row(paper: Paper) -> tuple[str, tuple]:
    """(key, row) for one paper: its rendered text (pages/text.py), as the store keeps it."""
    rendered = render_text(paper)
    title, abstract = rendered.text.title, rendered.text.abstract
    html = str(abstract.html)
    return text_key(paper), (str(title.html), title.text, None if html == _prose_html(abstract.text) else html,
                             abstract.text, json.dumps(rendered.warnings), rendered.snippet, rendered.terms,
                             None if paper.abstract == abstract.text else paper.abstract, str(abstract.excerpt))


def _prose_html(text: str) -> str:
    """The HTML of an abstract that is plain prose, made again from its plain text. A row
    keeps NULL for such an abstract's HTML (and for its source, when that is its text):
    four abstracts in five are prose, and the store kept three copies of each, 650 MB
    written (twice, through the log) by a 100,000-paper build."""
    return paragraphs_html(text.split("\n\n"))


def _text_from_row(row: tuple) -> PaperText:
    title_html, title_text, abstract_html, abstract_text, abstract_excerpt = row
    if abstract_html is None:
        abstract_html = _prose_html(abstract_text)
    return PaperText(Rendered(Markup(title_html), title_text),
                     Rendered(Markup(abstract_html), abstract_text, excerpt=Markup(abstract_excerpt)))


# A text as the render processes of a large build find it in the texts the text processes
# shared (shared_fragments.py): its title and abstract, HTML and plain, and the
# abstract's excerpt, in one record; a part the row holds as NULL has the length NULL.
_RECORD_HEAD = struct.Struct("<IIIII")
_NULL = 0xFFFF_FFFF


def text_record(row: tuple) -> bytes:
    """The texts pages show of a stored row (render_text's): one record, UTF-8."""
    parts = [None if part is None else part.encode() for part in (*row[:4], row[8])]
    return _RECORD_HEAD.pack(*(_NULL if part is None else len(part) for part in parts)) + \
        b"".join(part for part in parts if part is not None)


def _record_parts(record: bytes) -> list[str | None]:
    parts: list[str | None] = []
    at = _RECORD_HEAD.size
    for length in _RECORD_HEAD.unpack_from(record):
        if length == _NULL:
            parts.append(None)
        else:
            parts.append(record[at:at + length].decode())
            at += length
    return parts


# A connection that writes a whole listing's texts: rows go in by random keys, so with
# SQLite's default 2 MB cache each batch rewrote index pages it had just dropped, and a
# checkpoint (with its fsync) came every 4 MB of log. At 100,000 papers storing the
# texts took 8.9 s alone here, 5.8 s with these; the same at 10,000 (0.5 s).
BULK_PRAGMAS = ("PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=16384")


class TextStore:
    def __init__(self, path: Path, bulk: bool = False):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
        cache_pragmas(self.db)
        for pragma in BULK_PRAGMAS if bulk else ():
            self.db.execute(pragma)
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        version = self.db.execute("SELECT value FROM meta WHERE name='version'").fetchone()
        if version is None or version[0] != SCHEMA_VERSION:
            self.db.execute("DROP TABLE IF EXISTS texts")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (SCHEMA_VERSION,))
        # abstract_source: the abstract as written, for api/papers.json, read from here so
        # that no render process touches (and so copies) the model's abstracts; NULL when
        # it is its plain text (prose: four abstracts in five of a daily listing), which
        # kept a third copy of every abstract in the store.
        self.db.execute("CREATE TABLE IF NOT EXISTS texts (key TEXT PRIMARY KEY, title_html TEXT, title_text TEXT,"
                        " abstract_html TEXT, abstract_text TEXT, warnings TEXT, snippet TEXT, terms TEXT,"
                        " abstract_source TEXT, abstract_excerpt TEXT)")
        # Every build reads every key and its warnings (`missing`, `warnings`). Warnings
        # come after the rendered texts in a row, so without this index the read walked
        # the whole table (80 MB at 10,000 papers: 60 ms, 15 ms from the index).
        self.db.execute("CREATE INDEX IF NOT EXISTS texts_warnings ON texts (key, warnings)")
        self.db.commit()
        self._known: dict[str, str] | None = None  # key → warnings (JSON) of every stored text
        self._version: int | None = None
        self._changes = 0  # adds and prunes through this connection
        self._warnings: tuple | None = None
        self._file = file_identity(path)

    def is_current(self, path: Path) -> bool:
        """Still the store at `path` (kept open by `sitegen serve`; .sitegen/ may have been
        deleted since)."""
        return path == self.path and self._file is not None and file_identity(path) == self._file

    def _index(self) -> dict[str, str]:
        """Every stored key and its warnings, read once and then kept up to date; read
        again if another connection (another build) changed the store since."""
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if self._known is None or version != self._version:
            self._known = dict(self.db.execute("SELECT key, warnings FROM texts"))
            self._version = version
        return self._known

    def missing(self, papers: Iterable[Paper]) -> list[Paper]:
        known = self._index()
        seen: set[str] = set()
        out = []
        for paper in papers:
            key = paper.text_key
            if key not in known and key not in seen:
                seen.add(key)
                out.append(paper)
        return out

    def add(self, rows: Iterable[tuple[str, tuple]]) -> None:
        rows = [(key, *row) for key, row in rows]
        self.db.executemany("INSERT OR REPLACE INTO texts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self.db.commit()
        if self._known is not None:
            self._known.update((row[0], row[5]) for row in rows)
        self._changes += 1

    def get(self, paper: Paper) -> PaperText | None:
        row = self.db.execute("SELECT title_html, title_text, abstract_html, abstract_text, abstract_excerpt"
                              " FROM texts WHERE key = ?", (text_key(paper),)).fetchone()
        return _text_from_row(row) if row else None

    def all_texts(self) -> dict[str, PaperText]:
        """key → text of every stored text, in one read."""
        rows = self.db.execute("SELECT key, title_html, title_text, abstract_html, abstract_text, abstract_excerpt"
                                " FROM texts")
        return {row[0]: _text_from_row(row[1:]) for row in rows}

    def abstract_text(self, paper: Paper) -> str | None:
        row = self.db.execute("SELECT abstract_text FROM texts WHERE key = ?", (text_key(paper),)).fetchone()
        return row[0] if row else None

    def api_texts(self, papers: Iterable[Paper]) -> dict[str, tuple[str, str]]:
        """text key → (plain title, abstract source), for many papers in one query."""
        keys = list({text_key(p) for p in papers})
        out: dict[str, tuple[str, str]] = {}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            found = self.db.execute("SELECT key, title_text, coalesce(abstract_source, abstract_text) FROM texts"
                                    f" WHERE key IN ({', '.join('?' * len(part))})", part)
            out.update((key, (title, source)) for key, title, source in found)
        return out

    def search_texts(self, papers: Iterable[Paper]) -> dict[str, search.PaperSearchText]:
        """paper id → what the search index needs of its texts, for those stored."""
        keys = {paper.id: text_key(paper) for paper in papers}
        query = "SELECT key, title_text, snippet, terms FROM texts"
        if len(keys) <= 500:  # an edit: look up its papers rather than read every row
            query += f" WHERE key IN ({', '.join('?' * len(keys))})"
        found = self.db.execute(query, list(keys.values()) if len(keys) <= 500 else ())
        rows = {key: search.PaperSearchText(title, snippet, terms) for key, title, snippet, terms in found}
        return {paper_id: rows[key] for paper_id, key in keys.items() if key in rows}

    def search_texts_in_order(self, ids: Sequence[str], papers: Mapping[str, Paper]) -> "_TextsInOrder":
        """search_texts of every paper, read a few hundred at a time as a pass in `ids`
        order asks for them, rather than all at once."""
        return _TextsInOrder(self, ids, papers)

    def warnings(self) -> dict[str, list[tuple[str, str]]]:
        """key → [(field, message)] for every stored text that had a warning; found once
        per change of the store, not on every build of `sitegen serve`."""
        known = self._index()
        if self._warnings is None or self._warnings[0] != (self._version, self._changes):
            found = {key: [tuple(w) for w in json.loads(text)] for key, text in known.items() if text != "[]"}
            self._warnings = ((self._version, self._changes), found)
        return self._warnings[1]

    def prune(self, papers: Collection[Paper], spare: int = 0) -> None:
        """Forget texts no paper has any more, so the store does not grow forever; once
        more than `spare` of them may be there (it holds that many more than papers)."""
        known = self._index()
        if len(known) <= len(papers) + spare:
            return
        stale = known.keys() - {p.text_key for p in papers}
        if stale:
            self.db.executemany("DELETE FROM texts WHERE key = ?", [(key,) for key in stale])
            self.db.commit()
            for key in stale:
                del known[key]
            self._changes += 1

    def close(self) -> None:
        self.db.close()


class _TextsInOrder:
    CHUNK = 500

    def __init__(self, store: TextStore, ids: Sequence[str], papers: Mapping[str, Paper]):
        self.store, self.ids, self.papers = store, ids, papers
        self.position = {paper_id: n for n, paper_id in enumerate(ids)}
        self.chunk: dict[str, search.PaperSearchText] = {}

    def __getitem__(self, paper_id: str) -> search.PaperSearchText:
        found = self.chunk.get(paper_id)
        if found is None:
            start = self.position[paper_id]
            self.chunk = self.store.search_texts(self.papers[i] for i in self.ids[start:start + self.CHUNK])
            found = self.chunk[paper_id]
        return found


class StoredTexts:
    """The mapping Views reads: paper id → PaperText, fetched from the store on demand."""

    def __init__(self, papers, store_path: Path, cache: dict | None = None, read_all: bool = False,
                 shared: SharedFragments | None = None):
        self.papers = papers
        self.store_path = store_path
        self._store: TextStore | None = None
        self._cache = cache  # text key → PaperText, kept by `sitegen serve`; a build's views cache them anyway
        # Every text read at once when the store is first opened (by each render process):
        # a render process of a full build needs nearly all of them, one at a time 49 µs
        # each (19,000 reads at 10,000 papers), all at once 12 µs each.
        self.read_all = read_all
        self._all: dict[str, PaperText] | None = None
        # In a build too large to hold every text, those its text processes rendered, as
        # they shared them: a text a render process needs is read from there (one pread)
        # before the store (an SQLite lookup, 32 µs each here, 250,000 at 100,000 papers).
        self.shared = shared

    def api_texts(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """paper id → (plain title, abstract source) of those whose text is stored."""
        papers = [self.papers[i] for i in ids]
        rows = self._opened().api_texts(papers)
        return {p.id: rows[text_key(p)] for p in papers if text_key(p) in rows}

    def _opened(self) -> TextStore:
        if self._store is None:  # opened lazily: each worker process needs its own connection
            self._store = TextStore(self.store_path)
            if self.read_all:
                self._all = self._store.all_texts()
        return self._store

    def abstract_text(self, paper_id: str) -> str | None:
        """A paper's plain abstract alone, if stored: one column, not the paper's whole text."""
        paper = self.papers[paper_id]
        text = self._cache.get(text_key(paper)) if self._cache is not None else None
        if text is None:
            store = self._opened()
            if self._all is None:
                record = self.shared.get(("text", text_key(paper))) if self.shared is not None else None
                return _record_parts(record)[3] if record is not None else store.abstract_text(paper)
            text = self._all.get(text_key(paper))
        return text.abstract.text if text is not None else None

    def get(self, paper_id: str) -> PaperText | None:
        paper = self.papers[paper_id]
        text = self._cache.get(text_key(paper)) if self._cache is not None else None
        if text is None:
            store = self._opened()
            if self._all is not None:
                text = self._all.get(text_key(paper))
            else:
                record = self.shared.get(("text", text_key(paper))) if self.shared is not None else None
                text = _text_from_row(_record_parts(record)) if record is not None else store.get(paper)
            if text is not None and self._cache is not None:
                if len(self._cache) >= CACHE_LIMIT:
                    self._cache.clear()
                self._cache[text_key(paper)] = text
        return text
