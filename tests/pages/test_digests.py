"""A page kind cannot forget an input.

Every field of a paper (each credit's and each link's too), of an author's profile and
of the settings, and a static file, is changed in turn on a small site that has pages of
every kind (CHANGES). The site is built clean before and after; for every output file in
both builds, its bytes changed ⇒ its digest changed (`Record.inputs` in the manifest,
which the plan's `Task.inputs` wrote). A file whose bytes change under the same digest
is a page an incremental build leaves stale: no such file, for any field and any kind.
Each change is also built from an earlier build (the base's folder edited, and edited
back; and by the warm state of `sitegen serve`, from the change before it), which must
give the clean build's bytes and digests. Hypothesis then chooses changes of one to
three fields (25 examples; SITEGEN_FUZZ_EXAMPLES raises it).

The converse (a new digest, the same bytes: a page rendered for nothing) is measured per
change and kind. It happens only where OVER_APPROXIMATIONS says why (a digest covers a
whole record where a page shows part of it), each entry there happens, and where the
design is exact it is asserted so: a paper's change alone re-digests only files that
show the paper, an abstract is in no BibTeX digest unless BibTeX shows it, settings no
page shows change no digest. `test_report` prints the figures (`pytest -s`).
"""

from __future__ import annotations

import copy
import hashlib
import os
import shutil
import tempfile
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Callable

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitegen.config import KNOWN_KEYS, Config, load_config
from sitegen.content.validate import CREDIT_FIELDS, KNOWN_LINKS, PAPER_FIELDS, PROFILE_FIELDS
from sitegen.engine.build import build, prepare
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.state import Warm
from sitegen.formats import api, feeds, search
from sitegen.pages.digests import Digests
from sitegen.pages.kinds import KINDS
from sitegen.pages.plan import plan
from sitegen.write.manifest import Manifest
from sitekit import build_dir, output_tree

# --- the site: every kind of page, with several of most -----------------------------------
# Listing days over two ISO weeks (2024-W09, 2024-W10) and two months; three papers on a
# day with two to a page; authors on several papers, two credited by an alias, two whose
# names slug alike; topics spelt two ways, two whose names slug alike; a paper whose id is an
# arXiv id (BibTeX's eprint); a Markdown entry; a draft.

ARXIV_ID = "2302.06646"

# Few distinct words: the search index (a file per word prefix) stays small.
FILLER = " ".join(["long sequence models scale"] * 12) + "."


def abstract(lead: str, pid: str) -> str:
    """Longer than a card's excerpt (markup.EXCERPT_WORDS): its last sentence is not on cards."""
    return f"{lead} {FILLER} Closing remark on {pid}."


def entry(pid: str, title: str, authors: list, day: str, lead: str, **more) -> dict:
    data = {"id": pid, "title": title, "authors": authors, "abstract": abstract(lead, pid),
            "published": more.pop("published", "2022-01-10"), "day": day}
    data.update(more)
    return data


ALBERT = {"name": "Albert Gu", "affiliation": "Carnegie Mellon University", "orcid": "0000-0002-1825-0097",
          "url": "https://albertgu.example.org/"}
PAPERS = {
    "content/2024-02.yaml": [
        entry("p01", "Monarch: Expressive Structured Matrices for Efficient Training",
              ["Tri Dao", ALBERT, "Christopher Ré"], "2024-02-26", "Large networks with $O(n \\log n)$ layers.",
              published="2022-03-01", tags=["efficient training", "structured matrices"], upvotes=40,
              venue="ICML 2022", thumbnail="https://example.org/img/monarch.png",
              links={"arxiv": "https://arxiv.org/abs/2203.00555", "pdf": "https://arxiv.org/pdf/2203.00555",
                     "code": "https://github.com/example/monarch", "project": "https://example.org/monarch/",
                     "doi": "10.48550/arXiv.2203.00555", "slides": "https://example.org/monarch.pdf"}),
        entry("p02", "How to Train Your HiPPO", ["Albert Gu", "T. Dao", "Stefano Massaroli"], "2024-02-26",
              "Linear time-invariant state space models.", published="2022-06-24",
              tags=["state space models", "SSM"], upvotes=31, links={"arxiv": "2206.12037"}),
        entry("p03", "Dissecting Neural ODEs", ["Stefano Massaroli", "Michael Poli"], "2024-02-28",
              "Continuous deep learning architectures.", published="2020-02-18",
              tags=["Neural ODEs", "efficient training"], upvotes=12, venue="NeurIPS 2020",
              links={"doi": "10.48550/arXiv.2002.08071"}),
    ],
    "content/2024-03.yaml": [
        entry("p04", "Hyena Hierarchy: Towards Larger Convolutional Language Models",
              ["Michael Poli", "Stefano Massaroli", "Tri Dao"], "2024-03-01", "Attention is costly at length.",
              published="2023-02-21", tags=["efficient training", "ssm"], upvotes=50,
              thumbnail="images/hyena.png"),
        entry("p05", "FlashAttention: Fast and Memory-Efficient Exact Attention", ["Tri Dao", "Daniel Y. Fu"],
              "2024-03-01", "Transformers are slow on long sequences.", published="2022-05-27",
              tags=["efficient training"], upvotes=50),
        entry("p06", "Sparse Vision Backbones", ["Jose Garcia"], "2024-03-01", "Vision models waste compute.",
              published="2023-09-01", tags=["vision"], upvotes=13),
        entry("p07", "State Space Models for Images", ["José García", "Christopher Ré"], "2024-03-04",
              "Images are long sequences.", published="2023-11-11", tags=["vision", "SSM"], upvotes=8),
        entry("p08", "Mamba: Linear-Time Sequence Modeling", ["Tri Dao", "Albert Gu"], "2024-03-04",
              "Foundation models need selective state.", published="2023-12-01", tags=["state space models"],
              upvotes=60, links={"code": "https://github.com/example/mamba"}),
        entry(ARXIV_ID, "Simple Hardware-Efficient Long Convolutions", ["Daniel Y. Fu", "Tri Dao"], "2024-03-06",
              "Long convolutions can be fast.", published="2023-02-13", tags=["efficient training"], upvotes=20),
        entry("p10", "Laughing Hyena Distillery", ["Stefano Massaroli", "Michael Poli"], "2024-03-06",
              "Distilling long convolutions into recurrences.", published="2023-10-28", upvotes=15,
              tags=["Neural-ODEs"]),
        entry("p11", "Simple Sparse Attention: Unifying Sparse and Low-rank", ["Daniel Y. Fu", "A. Lovelace"],
              "2024-03-06", "Sparse and low-rank approximations complement each other.",
              published="2021-10-28", tags=["efficient training"], upvotes=5),
        entry("p13", "A Draft Not Yet Shown", ["Tri Dao"], "2024-03-04", "Work in progress.",
              published="2024-01-01", draft=True),
    ],
    "content/notes/p12.md": [
        entry("p12", "Notes on Long Context", ["Michael Poli", "Tri Dao"], "2024-03-06",
              "Context *length* matters, see [Monarch](/papers/p01/).", published="2024-02-02",
              tags=["efficient training", "vision"], upvotes=9),
    ],
}
PROFILES = [
    {"name": "Tri Dao", "aliases": ["T. Dao"], "affiliation": "Princeton University",
     "url": "https://tridao.example.org/", "orcid": "0000-0001-5109-3700", "bio": "Works on fast attention."},
    {"name": "Michael Poli", "affiliation": "Stanford University", "bio": "Long convolutions."},
    {"name": "Ada Lovelace", "aliases": ["A. Lovelace"]},  # credited by her alias only
]
SETTINGS = {"title": "Reading group", "description": "Papers we read", "base_url": "https://example.org/papers/",
            "language": "en", "per_page": 2, "feed_items": 3, "index_days": 2, "search": True,
            "bibtex_abstracts": False, "cname": "papers.example.org", "keep_files": [".git", "CNAME"],
            "arxiv_api": "https://export.arxiv.org/api/query"}
STATIC = {"static/images/hyena.png": b"\x89PNG not really an image\n", "static/notes.txt": b"Site notes.\n"}
# Small enough that the site's API and sitemap come in several files (a sitemap index);
# the base site's pages fill the sitemaps but for one, so that a page less is a sitemap less.
API_PAGE_SIZE = 5
SITEMAP_LIMIT = 21


@dataclass
class Content:
    papers: dict  # content file → its entries
    profiles: list
    settings: dict
    static: dict

    def files(self) -> dict[str, bytes]:
        """The site's input files (made once: a content is not edited once written)."""
        made = self.__dict__.get("_files")
        if made is None:
            made = self.__dict__["_files"] = self._files()
        return made

    def _files(self) -> dict[str, bytes]:
        out = {"sitegen.yaml": _yaml(self.settings), "content/authors.yaml": _yaml(self.profiles)}
        for name, entries in self.papers.items():
            if name.endswith(".md"):
                (front,) = entries
                front = dict(front)
                body = front.pop("abstract")
                out[name] = b"---\n" + _yaml(front) + b"---\n" + body.encode() + b"\n"
            else:
                out[name] = _yaml(entries)
        out.update(self.static)
        return out

    def entry(self, pid: str) -> dict:
        return next(e for entries in self.papers.values() for e in entries if e["id"] == pid)


def _yaml(data) -> bytes:
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), allow_unicode=True,
                     sort_keys=False).encode()


def base_content(**settings) -> Content:
    return Content(copy.deepcopy(PAPERS), copy.deepcopy(PROFILES), {**SETTINGS, **settings}, dict(STATIC))


BASE_FILES = base_content().files()
# Every input file has an mtime fixed by its bytes: the base's for the base's bytes. A
# clean build of the changed content and an incremental one then see the same files (a
# static file's digest is its path, size and mtime), and a rewrite is never missed by
# the stamp of unchanged inputs however quickly it follows the last.
BASE_MTIME = 1_700_000_000 * 10**9


def mtime_of(name: str, data: bytes) -> int:
    if BASE_FILES.get(name) == data:
        return BASE_MTIME
    return BASE_MTIME + (1 + int(hashlib.blake2b(name.encode() + data, digest_size=4).hexdigest(), 16)) * 1000


def write_content(root: Path, content: Content, before: Content | None = None) -> None:
    """The files of `content` in `root`; with `before`, only those that differ (and
    those it had that `content` has not are removed)."""
    files, old = content.files(), before.files() if before is not None else {}
    for name in old.keys() - files.keys():
        (root / name).unlink()
    for name, data in files.items():
        if old.get(name) == data:
            continue
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, ns=(mtime_of(name, data), mtime_of(name, data)))


# --- the changes: every field, several ways ------------------------------------------------

DROP = object()  # a field's value that removes the field


@dataclass(frozen=True)
class Change:
    field: str  # 'paper.abstract', 'paper.authors.orcid', 'paper.links.doi', 'profile.bio', 'settings.title'...
    what: str
    edit: Callable[[Content], None]
    paper: str | None = None  # the paper a paper change edits
    # A change of the paper's record alone: no other record (an author's, a topic's,
    # another paper's cite key or place) changes with it.
    local: bool = False

    @property
    def name(self) -> str:
        return f"{self.field}: {self.what}"

    def applied(self, content: Content) -> Content:
        changed = Content(*(copy.deepcopy(getattr(content, f.name)) for f in fields(Content)))
        self.edit(changed)
        return changed


def _set(mapping: dict, values: dict) -> None:
    for key, value in values.items():
        if value is DROP:
            mapping.pop(key, None)
        else:
            mapping[key] = value


def paper(field_: str, what: str, pid: str, local: bool = False, **values) -> Change:
    """Sets (or drops) fields of a paper; a callable value is given the old one."""
    def edit(content: Content) -> None:
        data = content.entry(pid)
        _set(data, {k: v(data.get(k)) if callable(v) else v for k, v in values.items()})
    return Change(f"paper.{field_}", what, edit, pid, local)


def credit(field_: str, what: str, pid: str, index: int, local: bool = False, **values) -> Change:
    """Sets fields of one credit of a paper's authors (a name becomes a mapping)."""
    def edit(content: Content) -> None:
        authors = content.entry(pid)["authors"]
        item = authors[index] if isinstance(authors[index], dict) else {"name": authors[index]}
        _set(item, values)
        authors[index] = item
    return Change(f"paper.authors.{field_}", what, edit, pid, local)


def profile(field_: str, what: str, who: str, **values) -> Change:
    def edit(content: Content) -> None:
        _set(next(p for p in content.profiles if p["name"] == who), values)
    return Change(f"profile.{field_}", what, edit)


def setting(key: str, what: str, value) -> Change:
    return Change(f"settings.{key}", what, lambda content: _set(content.settings, {key: value}))


def replace_word(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, (old, text)
        return text.replace(old, new, 1)
    return edit


def link(kind: str, value) -> Callable[[dict | None], dict]:
    def edit(links: dict | None) -> dict:
        links = dict(links or {})
        _set(links, {kind: value})
        return links
    return edit


def moved_profile_alias(alias: str, to: str) -> Change:
    return Change("profile.aliases", f"'{alias}' added to {to}'s aliases (two authors become one)",
                  lambda c: next(p for p in c.profiles if p["name"] == to).setdefault("aliases", []).append(alias))


def edit_static(content: Content) -> None:
    content.static["static/notes.txt"] = b"Site notes, edited.\n"


def _remove_profile(name: str) -> Callable[[Content], None]:
    def edit(content: Content) -> None:
        content.profiles[:] = [p for p in content.profiles if p["name"] != name]
    return edit


CHANGES = [
    # id
    paper("id", "a paper's id (its pages move)", "p03", id="p03b"),
    paper("id", "an arXiv id (BibTeX's eprint)", ARXIV_ID, id="2302.06647"),
    # title
    paper("title", "a word of the title", "p05", title=replace_word("Exact", "Precise"), local=True),
    paper("title", "its first significant word (the cite key's)", "p01", title=replace_word("Monarch", "Butterfly")),
    paper("title", "math in the title (of a paper in the site's feed)", "p10", title=lambda t: t + " in $O(n)$"),
    paper("title", "a title that sorts first in its day (upvotes tie)", "p05", title="Attention, Fast"),
    # authors: the list, and each field of a credit
    paper("authors", "an author added", "p03", authors=lambda a: a + ["Tri Dao"]),
    paper("authors", "the last author removed", "p04", authors=lambda a: a[:-1]),
    paper("authors", "two authors swapped (first author: cite key)", ARXIV_ID, authors=lambda a: a[::-1]),
    credit("name", "an author on several papers renamed on one", "p07", 1, name="Chris Ré"),
    credit("name", "a name that slugs like another renamed (slugs move)", "p06", 0, name="Jose Garcia Lopez"),
    credit("name", "credited by an alias instead of the profile's name", "p05", 0, name="T. Dao", local=True),
    credit("name", "an alias credit written as the profile's name", "p02", 1, name="Tri Dao", local=True),
    credit("affiliation", "a credit's affiliation (no profile: the author's too)", "p01", 1,
           affiliation="CMU Machine Learning"),
    credit("affiliation", "a newer credit's affiliation becomes the author's", "p08", 1, affiliation="Cartesia"),
    credit("affiliation", "a profiled author's credit affiliation", "p04", 2, affiliation="Together AI", local=True),
    credit("affiliation", "a credit's affiliation removed", "p01", 1, affiliation=DROP),
    credit("orcid", "a credit's ORCID (no profile: the author's)", "p01", 1, orcid="0000-0002-9710-4924"),
    credit("orcid", "an ORCID on a profiled author's credit", "p08", 0, orcid="0000-0003-1234-5678", local=True),
    credit("url", "a credit's URL (no profile: the author's homepage)", "p01", 1, url="https://gu.example.org/"),
    credit("url", "a credit's URL as a path in the site", "p01", 1, url="papers/p08/"),
    # abstract
    paper("abstract", "its first word (on cards)", "p01", abstract=replace_word("Large", "Huge"), local=True),
    paper("abstract", "a word deep in it (not on cards)", "p01", abstract=replace_word("Closing", "Final"),
          local=True),
    paper("abstract", "a word deep in it, of a paper on its day's second page", "p06",
          abstract=replace_word("Closing", "Final"), local=True),
    paper("abstract", "math deep in it", "p10", abstract=replace_word("remark", "remark $x^2$"), local=True),
    paper("abstract", "a Markdown body's first word", "p12", abstract=replace_word("Context", "Contexts"), local=True),
    paper("abstract", "a Markdown body's link", "p12", abstract=replace_word("/papers/p01/", "/papers/p08/"),
          local=True),
    paper("abstract", "a Markdown body's last word", "p12", abstract=replace_word("Closing", "Final"), local=True),
    # published
    paper("published", "another day of the same month", "p05", published="2022-05-28"),
    paper("published", "another month of the same year", "p05", published="2022-07-01"),
    paper("published", "another year (cite key, works by year)", "p01", published="2021-03-01"),
    paper("published", "a year that reorders an author's works", "p11", published="2024-02-01"),
    paper("published", "a date that takes another paper's cite key", "p11", published="2023-01-01"),
    # day
    paper("day", "to another listing day of the week and month", "p06", day="2024-02-28"),
    paper("day", "to another week and month", "p03", day="2024-03-04"),
    paper("day", "to a new listing day", ARXIV_ID, day="2024-03-07"),
    paper("day", "to a new listing day older than the front page's", "p06", day="2024-02-20"),
    paper("day", "one that gives another topic spelt alike its slug", "p10", day="2024-02-26"),
    paper("day", "one that gives another spelling of a name its slug", "p07", day="2024-02-28"),
    paper("day", "left out: the listing day becomes the published date", "p10", day=DROP),
    # tags
    paper("tags", "a topic added", "p03", tags=lambda t: t + ["vision"]),
    paper("tags", "a topic removed", "p04", tags=lambda t: [x for x in t if x != "ssm"]),
    paper("tags", "a spelling that wins the topic's name", "p02", tags=["state space models", "ssm"]),
    paper("tags", "topics reordered", "p01", tags=lambda t: t[::-1]),
    paper("tags", "a topic respelt that keeps its name", "p07", tags=["vision", "Ssm"]),
    paper("tags", "a new topic", "p10", tags=["distillation"]),
    # links, each kind
    paper("links.arxiv", "an arXiv URL", "p01", links=link("arxiv", "https://arxiv.org/abs/2203.00556"), local=True),
    paper("links.arxiv", "a bare arXiv id", "p02", links=link("arxiv", "2206.12038"), local=True),
    paper("links.pdf", "a PDF link", "p01", links=link("pdf", "https://example.org/monarch-v2.pdf"), local=True),
    paper("links.code", "a code link", "p01", links=link("code", "https://github.com/example/monarch2"),
          local=True),
    paper("links.code", "a code link removed", "p08", links=DROP, local=True),
    paper("links.project", "a project link", "p01", links=link("project", "https://example.org/m/"), local=True),
    paper("links.doi", "a DOI", "p01", links=link("doi", "10.48550/arXiv.2203.00556"), local=True),
    paper("links.doi", "a bare DOI added", "p05", links=link("doi", "10.48550/arXiv.2205.14135"), local=True),
    paper("links.free", "a free link's URL", "p01", links=link("slides", "https://example.org/m2.pdf"), local=True),
    paper("links.free", "a free link added", "p03", links=link("video", "https://example.org/v"), local=True),
    paper("links.free", "a link to a path in the site", "p08", links=link("related", "papers/p01/"), local=True),
    # venue
    paper("venue", "a venue", "p01", venue="ICML 2023", local=True),
    paper("venue", "a venue removed", "p03", venue=DROP, local=True),
    paper("venue", "a venue added", "p08", venue="COLM 2024", local=True),
    # upvotes
    paper("upvotes", "that reorder its day", "p04", upvotes=1),
    paper("upvotes", "that keep its place", "p11", upvotes=6, local=True),
    # thumbnail
    paper("thumbnail", "a thumbnail URL", "p01", thumbnail="https://example.org/img/monarch-2.png", local=True),
    paper("thumbnail", "a thumbnail added", "p05", thumbnail="https://example.org/img/flash.png", local=True),
    paper("thumbnail", "a thumbnail path in the site removed", "p04", thumbnail=DROP, local=True),
    # draft
    paper("draft", "a paper made a draft (its pages go)", "p10", draft=True),
    paper("draft", "a draft published", "p13", draft=False),
    paper("draft", "draft: false written out", "p05", draft=False, local=True),
    # an author's profile, each field
    profile("name", "a profile's name (its credits no longer match it)", "Michael Poli", name="Michael E. Poli"),
    profile("name", "respelt, keeping its slug (its paper credits an alias)", "Ada Lovelace", name="Ada LOVELACE"),
    profile("aliases", "an alias removed (a credit becomes an author of its own)", "Tri Dao", aliases=DROP),
    profile("aliases", "an alias no credit uses", "Tri Dao", aliases=["T. Dao", "Tri C. Dao"]),
    moved_profile_alias("Stefano Massaroli", "Michael Poli"),
    profile("affiliation", "a profile's affiliation", "Tri Dao", affiliation="Together AI"),
    profile("affiliation", "an affiliation removed", "Michael Poli", affiliation=DROP),
    profile("url", "a profile's URL", "Tri Dao", url="https://tri.example.org/"),
    profile("url", "a URL added", "Michael Poli", url="https://poli.example.org/"),
    profile("orcid", "a profile's ORCID", "Tri Dao", orcid="0000-0002-1694-3235"),
    profile("bio", "a profile's bio", "Tri Dao", bio="Works on fast attention and state space models."),
    profile("bio", "a bio removed", "Michael Poli", bio=DROP),
    Change("profile", "a profile for an author without one", lambda c: c.profiles.append(
        {"name": "Albert Gu", "affiliation": "Cartesia", "bio": "State space models."})),
    Change("profile", "a profile removed", _remove_profile("Michael Poli")),
    # the settings, every key
    setting("title", "the site's title", "Papers we read"),
    setting("description", "the site's description", "What the group read this month"),
    setting("description", "no description", DROP),
    setting("base_url", "another host", "https://papers.example.net/papers/"),
    setting("base_url", "another sub-path", "https://example.org/group/"),
    setting("base_url", "a path without a host", "/papers/"),
    setting("language", "the language", "en-GB"),
    setting("per_page", "listing pages of 3", 3),
    setting("feed_items", "feeds of 4 items", 4),
    setting("index_days", "one day on the front page", 1),
    setting("search", "search off", False),
    setting("bibtex_abstracts", "abstracts in BibTeX", True),
    setting("cname", "another custom domain", "read.example.org"),
    setting("keep_files", "other kept files", [".git"]),
    setting("arxiv_api", "another arXiv API", "http://127.0.0.1:9/api/query"),
    setting("hf_api", "another Daily Papers API", "http://127.0.0.1:9/api/daily_papers"),
    setting("sources", "sources to import from", [{"arxiv": "cat:cs.LG AND abs:diffusion", "since": 3},
                                                  {"hf": "daily", "update": True}]),
    setting("subscribe_url", "a Subscribe link", "https://buttondown.com/papers-we-read"),
    setting("digest_size", "weekly digests of one paper", 1),
    # a file of the site's static/ folder
    Change("static", "a static file's bytes", edit_static),
]
# Settings that choose where inputs and outputs are rather than what a page shows.
LOCATION_SETTINGS = {"theme", "content", "output"}
# Settings outside Config.public_settings that one kind shows: in that kind's digests only.
SHOWN_BY_ONE_KIND = {"digest_size": "weeks_feed"}


# --- building and comparing ----------------------------------------------------------------

SEARCH_INDEX = "search index"  # a file of the search index folder: its record is its own bytes


@dataclass
class Built:
    files: dict[str, bytes]  # output file → its bytes
    inputs: dict[str, str]  # output file → the digest its manifest record was written for


def read_build(root: Path) -> Built:
    config, _ = load_config(root)
    manifest = Manifest.load(CacheDir(config.root).manifest(config.output_dir), config.output_dir)
    files = output_tree(config.output_dir)
    assert manifest.records.keys() == files.keys()
    return Built(files, {name: record.inputs for name, record in manifest.records.items()})


def planned(root: Path, built: Built) -> tuple[dict[str, str], dict[str, str]]:
    """Output file → its kind, from the plan, which gives each the digest the manifest
    holds (the plan is what the build wrote its records for); and the papers' cite keys."""
    config, _ = load_config(root)
    site, theme, _ = prepare(config)
    tasks = plan(site, config, theme).tasks
    assert {t.file: t.inputs for t in tasks} == {t.file: built.inputs[t.file] for t in tasks}
    kinds = {t.file: t.kind for t in tasks}
    return {name: kinds.get(name, SEARCH_INDEX) for name in built.files}, dict(site.cite_keys)


def in_folder(name: str) -> bool:
    return name.startswith(search.FOLDER + "/")


def disagreements(label: str, built: Built, expected: Built) -> list[str]:
    """How `built` (an incremental build) differs from `expected` (a clean one)."""
    out = [f"{label}: {name} only in one" for name in built.files.keys() ^ expected.files.keys()]
    out += [f"{label}: {name} bytes differ" for name in built.files.keys() & expected.files.keys()
            if built.files[name] != expected.files[name]]
    out += [f"{label}: {name} digest differs" for name in built.inputs.keys() & expected.inputs.keys()
            if built.inputs[name] != expected.inputs[name]]
    return out


@dataclass
class Outcome:
    change: Change
    counts: dict[str, Counter]  # kind → files, changed (bytes), redigested, stale, wasted
    redigested: list[str]  # files whose digest changed
    stale: list[str]  # files whose bytes changed under the same digest
    wasted: list[str]  # files whose digest changed, not their bytes
    disagreements: list[str]


def compare(change: Change, kinds: dict[str, str], before: Built, after: Built) -> Outcome:
    counts: dict[str, Counter] = defaultdict(Counter)
    all_redigested, stale, wasted = [], [], []
    folder_changed = any(before.files.get(name) != after.files.get(name)
                         for name in before.files.keys() | after.files.keys() if in_folder(name))
    for name in sorted(before.files.keys() & after.files.keys()):
        kind = kinds[name]
        # The search index task writes a folder; its record (meta.json's) is the folder's.
        changed = folder_changed if kind == "search_index" else before.files[name] != after.files[name]
        redigested = before.inputs[name] != after.inputs[name]
        counts[kind].update(files=1, changed=changed, redigested=redigested)
        if redigested:
            all_redigested.append(name)
        if changed and not redigested:
            counts[kind]["stale"] += 1
            stale.append(name)
        if redigested and not changed:
            counts[kind]["wasted"] += 1
            wasted.append(name)
    return Outcome(change, dict(counts), all_redigested, stale, wasted, [])


class Sites:
    """The base site built clean, then each content built clean, by an incremental build
    of the base's folder (and back to the base), and by the warm state `sitegen serve`
    keeps (from the content before it)."""

    def __init__(self, tmp: Path, **settings):
        self.tmp, self.builds, self.count = tmp, 0, 0
        tmp.mkdir(parents=True, exist_ok=True)
        self.base_content = base_content(**settings)
        self.base_root = tmp / "base"
        self.base = self.clean(self.base_content)
        self.kinds, self.cite_keys = planned(self.base_root, self.base)
        self.incremental_root = tmp / "incremental"
        shutil.copytree(self.base_root, self.incremental_root, symlinks=True)
        self.warm, self.warm_root, self.warm_content = Warm(), tmp / "warm", self.base_content
        write_content(self.warm_root, self.base_content)
        assert disagreements("warm", self.warm_build(), self.base) == []

    def build(self, root: Path) -> Built:
        build_dir(root)
        self.builds += 1
        return read_build(root)

    def clean(self, content: Content) -> Built:
        """A build into a new folder. The theme's compiled templates (a cache of the theme
        alone, the same whatever the content) are the base's: compiling them is most of a
        clean build of a site this small."""
        self.count += 1
        root = self.base_root if self.count == 1 else self.tmp / f"clean-{self.count}"
        write_content(root, content)
        if root != self.base_root:
            shutil.copytree(CacheDir(self.base_root).templates, CacheDir(root).templates)
        built = self.build(root)
        if root != self.base_root:
            shutil.rmtree(root)
        return built

    def warm_build(self) -> Built:
        config, problems = load_config(self.warm_root)
        assert not [p for p in problems if p.is_error], problems
        build(config, jobs=1, warm=self.warm)
        self.builds += 1
        return read_build(self.warm_root)

    def run(self, change: Change) -> Outcome:
        content = change.applied(self.base_content)
        after = self.clean(content)
        outcome = compare(change, self.kinds, self.base, after)
        outcome.disagreements += self.rebuilt(content, after)
        return outcome

    def rebuilt(self, content: Content, clean: Built) -> list[str]:
        """How builds of `content` that start from an earlier build differ from its clean build."""
        write_content(self.incremental_root, content, self.base_content)
        found = disagreements("incremental", self.build(self.incremental_root), clean)
        write_content(self.incremental_root, self.base_content, content)
        found += disagreements("incremental, back", self.build(self.incremental_root), self.base)
        write_content(self.warm_root, content, self.warm_content)
        self.warm_content = content
        return found + disagreements("warm", self.warm_build(), clean)


@pytest.fixture(scope="module")
def small_pages():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(api, "PAGE_SIZE", API_PAGE_SIZE)
        patch.setattr(feeds, "SITEMAP_LIMIT", SITEMAP_LIMIT)
        yield


@pytest.fixture(scope="module")
def checks_on_a_thread():
    """A thread beside the builds: a build then checks output/ on a thread, as in `sitegen
    serve` (engine/background.py), not in a forked process. The check finds the same; a
    fork of this test's process for each of its 500 builds doubled the test's time."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="beside-the-builds", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


@pytest.fixture(scope="module")
def scratch(tmp_path_factory, small_pages, checks_on_a_thread):
    """A folder for the builds: in memory where there is /dev/shm. The test writes some
    100,000 small files; on a disk shared with other jobs that took three times as long."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path_factory.mktemp("digests")
        return
    folder = Path(tempfile.mkdtemp(prefix="sitegen-digests-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def matrix(scratch, small_pages):
    sites = Sites(scratch / "matrix")
    outcomes = [sites.run(change) for change in CHANGES]
    return sites, outcomes


@pytest.fixture(scope="module")
def abstracts_in_bibtex(scratch, small_pages):
    """The changes of abstracts on a site that puts them in its BibTeX entries."""
    sites = Sites(scratch / "bibtex-abstracts", bibtex_abstracts=True)
    return sites, [sites.run(change) for change in CHANGES if change.field == "paper.abstract"]


# --- what a page's digest knowingly covers beyond what the page shows ----------------------

PUBLIC_SETTINGS = tuple(Config(root=Path()).public_settings())
SETTINGS_ONLY = ("404", "robots", "search")  # kinds whose pages show settings only
CARDS = ("index", "day", "week", "month", "author", "tag")  # pages listing papers as cards
FEEDS = ("feed", "author_feed", "tag_feed")
CREDITS = tuple(f"paper.authors.{name}" for name in CREDIT_FIELDS)
LINKS = tuple(f"paper.links.{kind}" for kind in (*KNOWN_LINKS, "free"))


@dataclass(frozen=True)
class OverApproximation:
    """Kinds whose digest changes with these fields although their pages may not show
    the change: the digest covers a whole record where the page shows part of it."""

    reason: str
    fields: tuple[str, ...]
    kinds: tuple[str, ...]

    def covers(self, field_: str, kind: str) -> bool:
        return field_ in self.fields and kind in self.kinds


OVER_APPROXIMATIONS = (
    OverApproximation(
        "Settings are in every page's digest (Digests.settings: Config.public_settings and sitegen's "
        "version): a public setting's change renders every page again, those that do not show it too "
        "(a cite.bib and the site's title, the search page and base_url's host, a paper's page and per_page).",
        tuple(f"settings.{key}" for key in PUBLIC_SETTINGS), tuple(k for k in KINDS if k != "static")),
    OverApproximation(
        "A paper's digest (Digests.paper) is its whole entry (Paper.fingerprint), its authors' and "
        "topics' slugs and names and its cite key. A card shows the abstract's first words (but on the "
        "front page and day pages), no thumbnail and no credit's affiliation, ORCID or URL, its authors "
        "by their profiles' names, not by the spelling credited, and its topics by their names, not as "
        "the entry spells them.",
        ("paper.abstract", "paper.thumbnail", "paper.published", "paper.tags", "paper.authors.name", *CREDITS),
        CARDS),
    OverApproximation(
        "The same paper digest for feed items: an item shows no links, venue, upvotes, thumbnail, "
        "credit's affiliation, ORCID or URL, published date or author's link (a slug), and topics by "
        "their names.",
        ("paper.links.arxiv", "paper.links.code", "paper.links.doi", "paper.links.free", "paper.links.pdf",
         "paper.links.project", "paper.venue", "paper.upvotes", "paper.thumbnail", "paper.published",
         "paper.tags", "paper.authors.name", *CREDITS), FEEDS),
    OverApproximation(
        "The same paper digest for API records: a record shows no thumbnail, no credit's affiliation, "
        "ORCID or URL, and the paper's topics as written, not their names.",
        ("paper.thumbnail", "paper.authors.name", "paper.tags", *CREDITS), ("api_papers",)),
    OverApproximation(
        "The same paper digest for the paper's own page: it shows each credit's affiliation, not its "
        "ORCID or URL (those show on the author's page, through the author's record).",
        ("paper.authors.orcid", "paper.authors.url"), ("paper",)),
    OverApproximation(
        "A BibTeX entry's digest (Digests.cite) has all the paper's links, its id and its published "
        "date; an entry shows the arXiv id, the DOI and one URL (arXiv, project or PDF), and the year "
        "and month of publication.",
        ("paper.links.code", "paper.links.free", "paper.links.pdf", "paper.links.project", "paper.id",
         "paper.published"), ("paper_bib", "author_bib")),
    OverApproximation(
        "Each sitemap's digest has the size of every listing day, which with the paper pages in listing "
        "order fix each paper page's last change (its day): also a sitemap that lists no paper page.",
        ("paper.day",), ("sitemap",)),
    OverApproximation(
        "An author's digest (Digests.people) is the whole author record (its works in order, co-authors, "
        "topics, profile) with its co-authors' and topics' names. It is in the digest of each page of "
        "the author's works, of its feed (which shows its name and newest works only) and of the API's "
        "authors file (which shows no bio, co-authors or topics).",
        ("paper.id", "paper.authors", "paper.day", "paper.draft", "paper.tags", "paper.published", *CREDITS,
         "profile", *(f"profile.{name}" for name in PROFILE_FIELDS)), ("author", "author_feed", "api_authors")),
    OverApproximation(
        "The same paper digest for a paper's block in the weekly digest (formats/digest.py): a block "
        "shows no venue, topics, published date or listing day, credit's affiliation, ORCID or URL, and "
        "only the abstract's opening.",
        ("paper.abstract", "paper.authors.name", "paper.day", "paper.tags", "paper.venue", "paper.published",
         *CREDITS), ("weeks_feed",)),
    OverApproximation(
        "The search index is one task whose digest has every paper's fingerprint (all its fields) and "
        "its authors' and topics' names (search.paper_digests); a record shows no links, thumbnail, "
        "published date, credit's affiliation, ORCID or URL, only the abstract's opening, and topics by "
        "their names.",
        ("paper.links.arxiv", "paper.links.code", "paper.links.doi", "paper.links.free", "paper.links.pdf",
         "paper.links.project", "paper.thumbnail", "paper.published", "paper.abstract", "paper.tags",
         *CREDITS), ("search_index",)),
)
# The search index is one task (kind search_index) that writes a folder: meta.json's
# record is the task's digest, compared with the whole folder's bytes; the other files'
# records are their own bytes, outside this table.
NOT_A_KIND = (SEARCH_INDEX,)


def over_approximation(field_: str, kind: str) -> OverApproximation | None:
    return next((entry for entry in OVER_APPROXIMATIONS if entry.covers(field_, kind)), None)


def shows(data: bytes, paper_id: str, cite_key: str) -> bool:
    """Whether an output file shows the paper: links its page, names its id in JSON, or
    holds its BibTeX entry."""
    return f"/papers/{paper_id}/".encode() in data or f'"{paper_id}"'.encode() in data \
        or f"{{{cite_key},".encode() in data


def shown(sites: Sites, name: str) -> bytes:
    """What the task that wrote the file shows: the search index task, its whole folder."""
    if sites.kinds[name] == "search_index":
        return b"".join(data for file, data in sites.base.files.items() if in_folder(file))
    return sites.base.files[name]


# --- the tests -----------------------------------------------------------------------------

def test_every_field_of_the_content_and_settings_is_changed():
    """A field added to entries, profiles or settings without a change here fails this."""
    changed = {change.field for change in CHANGES}
    paper_fields = {f"paper.{name}" for name in PAPER_FIELDS if name != "links"} | set(CREDITS) | set(LINKS)
    profile_fields = {f"profile.{name}" for name in PROFILE_FIELDS}
    settings_fields = {f"settings.{key}" for key in (set(KNOWN_KEYS) | set(PUBLIC_SETTINGS)) - LOCATION_SETTINGS}
    assert paper_fields - changed == set()
    assert profile_fields - changed == set()
    assert settings_fields - changed == set()
    assert set(PUBLIC_SETTINGS) <= set(KNOWN_KEYS)


def test_no_page_changes_under_the_same_digest(matrix):
    """For every field and every kind: a file whose bytes changed has a new digest."""
    sites, outcomes = matrix
    stale = {outcome.change.name: outcome.stale for outcome in outcomes if outcome.stale}
    assert stale == {}


def test_builds_from_an_earlier_build_equal_clean_builds(matrix):
    """The incremental build of each change (and back), and `sitegen serve`'s warm builds
    from one change to the next, give the clean build's bytes and digests."""
    sites, outcomes = matrix
    assert {o.change.name: o.disagreements for o in outcomes if o.disagreements} == {}


def test_every_kind_has_files_and_some_change_changes_them(matrix):
    sites, outcomes = matrix
    assert set(KINDS) - set(sites.kinds.values()) == set()
    pages = [name for name, kind in sites.kinds.items() if name.endswith("index.html") and kind != "search"]
    assert len(pages) % SITEMAP_LIMIT == 1, "set SITEMAP_LIMIT so that a page less is a sitemap less"
    changed = {kind for outcome in outcomes for kind, counts in outcome.counts.items() if counts["changed"]}
    assert set(KINDS) - changed == set()
    # Every kind that shows content changes with some change of the content...
    by_content = {kind for o in outcomes if not o.change.field.startswith("settings")
                  for kind, counts in o.counts.items() if counts["changed"]}
    assert set(KINDS) - set(SETTINGS_ONLY) - by_content == set()
    # ...and those that show settings only keep their digest through every other change.
    assert [(o.change.name, n) for o in outcomes if not o.change.field.startswith("settings")
            for n in o.redigested if sites.kinds[n] in SETTINGS_ONLY] == []


def test_pages_rendered_for_nothing_are_documented_over_approximations(matrix):
    """A new digest with the same bytes only where OVER_APPROXIMATIONS says why, and each
    documented case happens (the list says what the digests cover, not what they might)."""
    sites, outcomes = matrix
    undocumented, seen = defaultdict(list), Counter()
    for outcome in outcomes:
        for name in outcome.wasted:
            kind = sites.kinds[name]
            if kind in NOT_A_KIND:
                continue
            entry = over_approximation(outcome.change.field, kind)
            if entry is None:
                undocumented[outcome.change.name].append(name)
            else:
                seen[entry.reason] += 1
    assert dict(undocumented) == {}
    assert [entry.reason for entry in OVER_APPROXIMATIONS if not seen[entry.reason]] == []


def test_a_change_of_a_paper_alone_redigests_only_pages_that_show_it(matrix):
    sites, outcomes = matrix
    away = {}
    for outcome in outcomes:
        change = outcome.change
        if not change.local:
            continue
        cite_key = sites.cite_keys[change.paper]
        files = [name for name in outcome.redigested if not shows(shown(sites, name), change.paper, cite_key)
                 and sites.kinds[name] not in NOT_A_KIND]
        if files:
            away[change.name] = files
    assert away == {}


def test_an_abstract_is_not_in_bibtex_digests_unless_bibtex_shows_it(matrix):
    sites, outcomes = matrix
    for outcome in outcomes:
        if outcome.change.field == "paper.abstract":
            assert [n for n in outcome.redigested if sites.kinds[n] in ("paper_bib", "author_bib")] == []


def test_an_abstract_is_in_bibtex_digests_where_bibtex_shows_it(abstracts_in_bibtex):
    sites, outcomes = abstracts_in_bibtex
    assert {o.change.name: o.stale + o.disagreements for o in outcomes if o.stale or o.disagreements} == {}
    for outcome in outcomes:
        assert outcome.counts["paper_bib"]["redigested"] == 1, outcome.change.name
        # BibTeX shows the abstract's text: a link's target is not in it.
        shown = "link" not in outcome.change.what
        assert outcome.counts["paper_bib"]["changed"] == shown, outcome.change.name


def test_settings_no_page_shows_change_no_digest(matrix):
    sites, outcomes = matrix
    hidden = {f"settings.{key}" for key in set(KNOWN_KEYS) - set(PUBLIC_SETTINGS) - LOCATION_SETTINGS
              - SHOWN_BY_ONE_KIND.keys()}
    ran = [o for o in outcomes if o.change.field in hidden]
    assert {o.change.field for o in ran} == hidden
    assert {o.change.name: o.redigested for o in ran if o.redigested} == {}


def test_a_setting_one_kind_shows_changes_that_kind_s_digests_alone(matrix):
    sites, outcomes = matrix
    for key, kind in SHOWN_BY_ONE_KIND.items():
        ran = [o for o in outcomes if o.change.field == f"settings.{key}"]
        assert ran, key
        for outcome in ran:
            assert {sites.kinds[name] for name in outcome.redigested} == {kind}, outcome.change.name
            assert outcome.counts[kind]["changed"] >= 1, outcome.change.name


def test_changes_that_show_nothing_new_change_nothing(matrix):
    sites, outcomes = matrix
    quiet = ["paper.draft: draft: false written out", "profile.aliases: an alias no credit uses"]
    for outcome in outcomes:
        if outcome.change.name in quiet:
            assert outcome.redigested == [] and not any(c["changed"] for c in outcome.counts.values())


def test_report(matrix):
    """What the matrix measured (shown with `pytest -s`): builds, the field × kind pairs
    whose bytes some change changed, and the pages rendered for nothing, by reason."""
    sites, outcomes = matrix
    covered = {(o.change.field, kind) for o in outcomes for kind, c in o.counts.items()
               if c["changed"] and kind not in NOT_A_KIND}
    wasted, rendered = Counter(), Counter()
    for outcome in outcomes:
        for kind, counts in outcome.counts.items():
            if kind in NOT_A_KIND:
                continue
            rendered[kind] += counts["redigested"]
            if counts["wasted"]:
                wasted[over_approximation(outcome.change.field, kind).reason] += counts["wasted"]
    print(f"\n{len(outcomes)} changes of {len({o.change.field for o in outcomes})} fields, {sites.builds} builds; "
          f"{len(covered)} field x kind pairs changed bytes; {sum(rendered.values())} pages re-digested, "
          f"{sum(wasted.values())} of them for nothing:")
    for entry in OVER_APPROXIMATIONS:
        print(f"  {wasted[entry.reason]:5}  {entry.reason[:100]}")
    print("Fields whose change changed a kind's bytes (of the settings, of the content):")
    for kind in KINDS:
        fields_ = {f for f, k in covered if k == kind}
        settings_ = {f for f in fields_ if f.startswith("settings.")}
        print(f"  {kind:14} {len(settings_):3} {len(fields_ - settings_):3}  {', '.join(sorted(fields_ - settings_))}")
    assert sum(wasted.values()) <= sum(rendered.values())


# --- hypothesis chooses the changes ---------------------------------------------------------

# CI runs a bounded number of examples; SITEGEN_FUZZ_EXAMPLES raises it (as for test_hostile.py).
EXAMPLES = int(os.environ.get("SITEGEN_FUZZ_EXAMPLES", "0")) or 25
PAPER_IDS = sorted(e["id"] for entries in PAPERS.values() for e in entries)
NAMES = ["Tri Dao", "T. Dao", "Albert Gu", "Michael Poli", "Stefano Massaroli", "José García", "Jose Garcia",
         "Daniel Y. Fu", "Christopher Ré", "Ada Lovelace"]
TOPICS = ["SSM", "ssm", "vision", "Vision", "efficient training", "state space models", "new topic"]
DAYS = ["2024-01-31", "2024-02-26", "2024-02-28", "2024-03-01", "2024-03-04", "2024-03-06", "2024-03-07"]
WORDS = ["attention", "Mamba", "$x^2$", "state", "é", "&", "<b>bold</b>", "long", "Monarch", "A", "*em*",
         "[a link](/papers/p01/)", "Simple"]
URLS = ["https://example.org/a", "https://example.org/b", "papers/p01/", "/days/"]
ORCIDS = ["0000-0002-1825-0097", "0000-0001-5109-3700", "0000-0002-9710-4924"]

text = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
maybe = lambda values: st.one_of(st.just(DROP), values)  # noqa: E731
link_values = {"arxiv": st.sampled_from(["2203.00555", "https://arxiv.org/abs/2206.12037"]),
               "doi": st.sampled_from(["10.48550/arXiv.2203.00555", "10.1000/xyz"]),
               **{kind: st.sampled_from(URLS) for kind in ("pdf", "code", "project", "slides")}}


def _edit(kind: str, field_: str, **fixed) -> Callable:
    def make(who, value):
        values = {field_: value, **fixed}
        if kind == "paper":
            return paper(field_, f"{value!r}", who, **values)
        if kind == "credit":
            return credit(field_, f"{value!r}", who, 0, **{field_: value})
        return profile(field_, f"{value!r}", who, **values)
    return make


paper_ids = st.sampled_from(PAPER_IDS)
paper_changes = st.one_of(
    st.builds(_edit("paper", "title"), paper_ids, text),
    st.builds(lambda who, words, first: paper("abstract", f"{words!r} first={first}", who, abstract=(
        (lambda a: f"{words} {a}") if first else (lambda a: f"{a} {words}"))), paper_ids, text, st.booleans()),
    st.builds(_edit("paper", "authors"), paper_ids, st.lists(st.sampled_from(NAMES), min_size=1, max_size=3,
                                                             unique=True)),
    st.builds(_edit("credit", "affiliation"), paper_ids, maybe(text)),
    st.builds(_edit("credit", "orcid"), paper_ids, maybe(st.sampled_from(ORCIDS))),
    st.builds(_edit("credit", "url"), paper_ids, maybe(st.sampled_from(URLS))),
    st.builds(_edit("paper", "published"), paper_ids, st.dates(date(2019, 1, 1), date(2024, 3, 7)).map(str)),
    st.builds(_edit("paper", "day"), paper_ids, maybe(st.sampled_from(DAYS))),
    st.builds(_edit("paper", "tags"), paper_ids, st.lists(st.sampled_from(TOPICS), max_size=3, unique=True)),
    st.builds(_edit("paper", "links"), paper_ids,
              st.fixed_dictionaries({}, optional=link_values).map(lambda links: links or DROP)),
    st.builds(_edit("paper", "venue"), paper_ids, maybe(text)),
    st.builds(_edit("paper", "upvotes"), paper_ids, st.integers(0, 70)),
    st.builds(_edit("paper", "thumbnail"), paper_ids, maybe(st.sampled_from(URLS[:1] + ["images/hyena.png"]))),
    st.builds(_edit("paper", "draft"), paper_ids, st.booleans()),
    st.builds(lambda who: paper("id", "renamed", who, id=f"{who}.v2"), paper_ids),
)
profile_changes = st.one_of(
    st.builds(_edit("profile", "aliases"), st.just("Tri Dao"),
              maybe(st.lists(st.sampled_from(["T. Dao", "Stefano Massaroli", "Tri C. Dao"]), unique=True))),
    st.builds(_edit("profile", "aliases"), st.just("Michael Poli"),
              maybe(st.lists(st.sampled_from(["M. Poli", "Daniel Y. Fu"]), unique=True))),
    st.builds(_edit("profile", "name"), st.just("Michael Poli"), st.sampled_from(["Michael E. Poli", "Albert Gu"])),
    st.builds(_edit("profile", "affiliation"), st.sampled_from(["Tri Dao", "Michael Poli"]), maybe(text)),
    st.builds(_edit("profile", "url"), st.sampled_from(["Tri Dao", "Michael Poli"]), maybe(st.sampled_from(URLS))),
    st.builds(_edit("profile", "orcid"), st.sampled_from(["Tri Dao", "Michael Poli"]),
              maybe(st.sampled_from(ORCIDS))),
    st.builds(_edit("profile", "bio"), st.sampled_from(["Tri Dao", "Michael Poli"]), maybe(text)),
)
settings_changes = st.one_of(
    st.builds(lambda n: setting("per_page", str(n), n), st.integers(1, 4)),
    st.builds(lambda n: setting("feed_items", str(n), n), st.integers(1, 5)),
    st.builds(lambda n: setting("index_days", str(n), n), st.integers(1, 4)),
    st.builds(lambda v: setting("title", v, v), text),
    st.builds(lambda v: setting("description", repr(v), v), maybe(text)),
    st.builds(lambda v: setting("language", v, v), st.sampled_from(["fr", "en-GB"])),
    st.builds(lambda v: setting("base_url", v, v), st.sampled_from(["/", "/site/", "https://a.example/x/"])),
    st.builds(lambda v: setting("search", str(v), v), st.booleans()),
    st.builds(lambda v: setting("bibtex_abstracts", str(v), v), st.booleans()),
)


def combined(changes: list[Change]) -> Change:
    """The changes in turn, renamings (of a paper, of a profile) last and once each."""
    renames = ("paper.id", "profile.name")
    last = {(c.field, c.paper): c for c in changes if c.field in renames}
    changes = [c for c in changes if c.field not in renames] + list(last.values())

    def edit(content: Content) -> None:
        for change in changes:
            change.edit(content)
    return Change(" + ".join(c.field for c in changes), "; ".join(c.what for c in changes), edit)


@pytest.fixture(scope="module")
def fuzz_sites(scratch, small_pages):
    return Sites(scratch / "fuzz")


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(paper_changes, paper_changes, profile_changes, settings_changes),
                min_size=1, max_size=3).map(combined))
def test_changes_hypothesis_chooses_make_no_stale_page(fuzz_sites, change):
    outcome = fuzz_sites.run(change)
    assert outcome.stale == []
    assert outcome.disagreements == []


# --- the test finds a forgotten input --------------------------------------------------------

FORGOTTEN = [  # a kind, which of its digest's inputs it forgets (None: all), a change, a file it leaves stale
    ("paper_bib", None, "paper.venue: a venue", "papers/p01/cite.bib"),
    ("index", 2, "paper.day: to a new listing day older than the front page's", "index.html"),
    ("sitemap", 1, "paper.day: to another listing day of the week and month", "sitemaps/sitemap-1.xml"),
]


@pytest.mark.parametrize("kind, forgotten, change, stale", FORGOTTEN)
def test_a_kind_that_forgets_an_input_fails(scratch, monkeypatch, kind, forgotten, change, stale):
    """A kind whose digest forgets an input, as its row of the table might: the input's
    change leaves a file stale, and an incremental build keeps the stale file."""
    page = Digests.page

    def forgetful(self, name, *data):
        if name == kind:
            data = () if forgotten is None else data[:forgotten] + data[forgotten + 1:]
        return page(self, name, *data)
    monkeypatch.setattr(Digests, "page", forgetful)
    sites = Sites(scratch / f"forgetful-{kind}")
    outcome = sites.run(next(c for c in CHANGES if c.name == change))
    assert stale in outcome.stale
    assert f"incremental: {stale} bytes differ" in outcome.disagreements
