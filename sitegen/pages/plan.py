"""The plan: one Task per output file, with the digest of exactly what it shows.

`plan()` is the only place that knows which pages exist. A task's `inputs` name the
records a page displays (papers by the digest of what a card shows, authors, tags),
its template closure and the settings it reads; a page whose inputs did not change
since the last build is not rendered again.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from itertools import groupby
from pathlib import Path
from typing import Callable, Iterable, Mapping

from sitegen import __version__, urls
from sitegen.formats import api
from sitegen.formats import bibtex
from sitegen.formats import feeds
from sitegen.formats import scholarly as metadata
from sitegen.config import Config
from sitegen.lru import LRUCache, SharedStore
from sitegen.pages.fragments import PaperFragments
from sitegen.content.model import Site, month_key, week_key
from sitegen.problems import display_path
from sitegen.pages.theme import Theme
from sitegen.pages.views import Pagination, Views, format_day, page_count, page_slice

# BibTeX entries a process keeps: a paper's goes into its cite.bib and each of its
# authors' works.bib, which come from all over the render order. At 100,000 papers a
# process keeping 16,384 of them looked 378,000 of 548,000 up again (shared store or
# made anew), keeping 131,072 (about 60 MB, 400 bytes an entry) 192,000: each once.
BIB_CACHE = 131072
API_CACHE = 16384  # papers' JSON records `sitegen serve` keeps for api/papers pages

PAGE_TEMPLATES = {
    "index": "index.html",
    "paper": "paper.html",
    "authors": "authors.html",
    "author": "author.html",
    "days": "days.html",
    "day": "day.html",
    "tags": "tags.html",
    "tag": "tag.html",
    "week": "period.html",
    "month": "period.html",
    "search": "search.html",
    "404": "404.html",
}


@dataclass(frozen=True)
class Task:
    path: str  # site path: 'papers/x/' (a page) or 'feed.xml' (a file)
    kind: str
    key: tuple = ()
    inputs: str = ""  # digest of everything the output shows
    source: str | None = None  # a static file copied as is

    @cached_property
    def file(self) -> str:
        return urls.output_file(self.path)


def _digest(*parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


class _Digests:
    """Digests of the records pages show, each computed once per build (or reused from
    the last build in this process for records an edit did not touch)."""

    def __init__(self, site: Site, config: Config, theme: Theme, memo: "PlanMemo | None"):
        self.site = site
        self.settings = _digest(sorted(config.public_settings().items()), __version__)
        self._theme = theme
        self.context = (self.settings, tuple(self.template(kind) for kind in PAGE_TEMPLATES))
        self.reuse = _Reuse(site, memo if memo is not None and memo.context == self.context else None)
        self.papers_digests: dict[str, str] = self.reuse.paper_digests
        self.people_digests: dict[str, str] = self.reuse.people_digests
        self.cite_digests: dict[str, str] = self.reuse.cite_digests
        self._with_abstract = config.bibtex_abstracts

    @cached_property
    def author_names(self) -> dict[str, str]:
        return {slug: author.name for slug, author in self.site.authors.items()}

    @cached_property
    def tag_names(self) -> dict[str, str]:
        return {slug: tag.name for slug, tag in self.site.tags.items()}

    @lru_cache(maxsize=None)
    def template(self, kind: str) -> str:
        return self._theme.closure_digest(PAGE_TEMPLATES[kind]) if kind in PAGE_TEMPLATES else ""

    def paper(self, paper_id: str) -> str:
        digest = self.papers_digests.get(paper_id)
        if digest is None:
            site = self.site
            digest = self.papers_digests[paper_id] = _digest(
                site.papers[paper_id].fingerprint,
                [(s, site.authors[s].name) for s in site.paper_authors[paper_id]],
                [(s, site.tags[s].name) for s in site.paper_tags[paper_id]],
                site.cite_keys[paper_id],
            )
        return digest

    def papers(self, ids) -> str:
        """One digest for a list of papers (a page's, a feed's): the most frequent call of
        a plan, as every paper is on a dozen pages, so its digests are joined, not repr'd."""
        known, paper = self.papers_digests, self.paper
        digests = "".join([known.get(i) or paper(i) for i in ids])
        return hashlib.blake2b(digests.encode(), digest_size=16).hexdigest()

    def cite(self, paper_id: str) -> str:
        """What a paper's BibTeX entry shows (bibtex.entry): its record but the abstract,
        unless the site puts abstracts in, and its cite key. An abstract's edit then
        leaves the paper's cite.bib and its authors' works.bib as they were."""
        digest = self.cite_digests.get(paper_id)
        if digest is None:
            paper = self.site.papers[paper_id]
            digest = self.cite_digests[paper_id] = _digest(
                paper.id, paper.title, [c.name for c in paper.authors], paper.published, paper.tags, paper.links,
                paper.venue, self.site.cite_keys[paper_id], paper.text_key if self._with_abstract else "")
        return digest

    def cites(self, ids) -> str:
        known, cite = self.cite_digests, self.cite
        return hashlib.blake2b("".join([known.get(i) or cite(i) for i in ids]).encode(), digest_size=16).hexdigest()

    def people(self, slug: str) -> str:
        """An author's record and the names of the co-authors and topics it shows."""
        digest = self.people_digests.get(slug)
        if digest is None:
            author = self.site.authors[slug]
            # Co-authors and topics are (slug, count), in the record; their names are
            # looked up without a Python loop: a prolific author has hundreds.
            digest = self.people_digests[slug] = _digest(
                author, "\0".join(map(self.author_names.__getitem__, author.coauthors.slugs)),
                "\0".join(map(self.tag_names.__getitem__, author.topics.slugs)))
        return digest

    def page(self, kind: str, *data) -> str:
        return _digest(kind, self.template(kind), self.settings, data)


@dataclass
class PlanMemo:
    """The last plan's digests and tasks per record, kept between builds in one process
    (`sitegen serve`): records the edit did not touch keep their tasks."""

    site: Site | None = None
    context: tuple = ()  # settings and template digests: if they change, nothing is reused
    paper_digests: dict[str, str] = field(default_factory=dict)
    people_digests: dict[str, str] = field(default_factory=dict)
    cite_digests: dict[str, str] = field(default_factory=dict)
    # kind ('paper', 'author', 'tag', 'day', 'week', 'month') → record key → its tasks
    groups: dict[str, dict] = field(default_factory=dict)
    # For 'day', 'week' and 'month': key → (record, neighbours) its tasks were made for.
    stamps: dict[str, dict] = field(default_factory=dict)
    sitemap: list[Task] = field(default_factory=list)
    # Papers that may show something else than in the model `changed_since` (the one
    # before `site`): the others show the same (search.paper_digests reuses theirs).
    changed_since: Site | None = None
    changed_papers: set[str] = field(default_factory=set)
    # What this plan made anew, against the last: the tasks it did not reuse (in plan
    # order), and the files of the last plan's tasks it did not reuse. Valid against the
    # manifest the last plan's build committed (`base`); `committed` is this plan's.
    fresh: list[Task] = field(default_factory=list)
    loose: list[Task] = field(default_factory=list)  # tasks of no group
    dropped: set[str] = field(default_factory=set)
    base: tuple | None = None
    committed: tuple | None = None

    def for_snapshot(self) -> "PlanMemo":
        """What a later process can reuse: not what is relative to this one's manifest."""
        return replace(self, changed_since=None, changed_papers=set(), fresh=[], dropped=set(),
                       base=None, committed=None)


class _Reuse:
    """Which papers, authors and tags show something different from the last plan.

    A paper is dirty if its record, its cite key or the name of one of its authors or
    tags changed; an author if its record changed, it shows a dirty paper, or a
    co-author or topic it names was renamed; a tag likewise. The model reuses the very
    record objects an edit did not touch, so most of this is identity checks.
    """

    def __init__(self, site: Site, memo: "PlanMemo | None"):
        self.paper_digests: dict[str, str] = {}
        self.people_digests: dict[str, str] = {}
        self.cite_digests: dict[str, str] = {}
        self.papers: set[str] = set()
        self.authors: set[str] = set()
        self.tags: set[str] = set()
        old = memo.site if memo is not None else None
        self.memo = memo if old is not None else None
        if old is None:
            return
        papers, authors, tags = site.papers, site.authors, site.tags
        # Looked up in copies of the dicts behind the model's read-only proxies: faster.
        old_papers, old_keys = old.papers.copy(), old.cite_keys.copy()
        dirty = {i for i, p in papers.items() if old_papers.get(i) is not p}
        dirty.update(old_papers.keys() - papers.keys())
        if site.cite_keys != old_keys:  # compared in C first: an edit rarely moves a cite key
            dirty.update(i for i, key in site.cite_keys.items() if old_keys.get(i) != key)
        renamed_authors = _renamed(old.authors, authors)
        renamed_tags = _renamed(old.tags, tags)
        for records, renamed in ((old.authors, renamed_authors), (authors, renamed_authors),
                                 (old.tags, renamed_tags), (tags, renamed_tags)):
            for slug in renamed:
                if slug in records:
                    dirty.update(records[slug].papers)
        self.paper_digests = _without(memo.paper_digests, dirty)
        self.cite_digests = _without(memo.cite_digests, dirty)
        old_authors, old_tags = old.authors.copy(), old.tags.copy()
        self.authors = {s for s, a in authors.items() if old_authors.get(s) is not a}
        self.tags = {s for s, t in tags.items() if old_tags.get(s) is not t}
        for model in (old, site):
            for paper_id in dirty:
                self.authors.update(model.paper_authors.get(paper_id, ()))
                self.tags.update(model.paper_tags.get(paper_id, ()))
        self.papers = dirty
        if renamed_authors or renamed_tags:
            self.authors.update(s for s, a in authors.items()
                                if not renamed_authors.isdisjoint(a.coauthors.slugs)
                                or not renamed_tags.isdisjoint(a.topics.slugs))
        self.people_digests = _without(memo.people_digests, self.authors)

    def kept(self, kind: str) -> dict:
        """The last plan's tasks of each record of this kind (check `dirty` before use)."""
        return self.memo.groups.get(kind, {}) if self.memo is not None else {}

    def kept_stamps(self, kind: str) -> dict:
        return self.memo.stamps.get(kind, {}) if self.memo is not None else {}


def _without(digests: dict[str, str], dirty: set[str]) -> dict[str, str]:
    """A copy without the dirty keys: copied whole and popped, as an edit dirties a few
    of 10,000."""
    kept = digests.copy()
    for key in dirty:
        kept.pop(key, None)
    return kept


def _renamed(old: Mapping, new: Mapping) -> set[str]:
    """Slugs whose record is gone, new, or now carries another name."""
    renamed = {slug for slug in old if slug not in new}
    for slug, record in new.items():
        before = old.get(slug)
        if before is not record and (before is None or before.name != record.name):
            renamed.add(slug)
    return renamed


def plan(site: Site, config: Config, theme: Theme, memo: PlanMemo | None = None) -> list[Task]:
    """Every output file of the site, in a stable order. With a memo (from the last
    build in this process) the tasks of untouched papers, authors, tags, days, weeks
    and months are reused, and the memo says which tasks are new (`fresh`)."""
    return _Planner(site, config, theme, memo).run()


class _Planner:
    """One plan. Tasks come in groups (a paper's, an author's, a day's...) that the next
    plan in this process reuses whole when nothing they show changed; the other tasks
    (`loose`: listing pages, feeds, the sitemap) are cheap or checked one by one."""

    def __init__(self, site: Site, config: Config, theme: Theme, memo: PlanMemo | None):
        self.site, self.config, self.theme, self.memo = site, config, theme, memo
        self.d = _Digests(site, config, theme, memo)
        self.reuse = self.d.reuse
        self.tasks: list[Task] = []
        self.fresh: list[Task] = []  # tasks not reused from the last plan
        self.loose: list[Task] = []
        self.groups: dict[str, dict] = {}
        self.stamps: dict[str, dict] = {}
        self.same_pages = self.reuse.memo is not None  # the page paths are the last plan's so far
        self.regrouped: dict[str, set] = {}  # kind → keys whose group was made again

    def add(self, task: Task) -> None:
        self.tasks.append(task)
        self.fresh.append(task)
        self.loose.append(task)

    def group(self, kind: str, keys, make: Callable[[str], list[Task]], dirty: set, stamp=None) -> None:
        """The groups of `kind`, in the order of `keys`: reused if the key is not dirty
        (and, with `stamp`, was made for the same record and neighbours)."""
        kept, kept_stamps = self.reuse.kept(kind), self.reuse.kept_stamps(kind)
        groups = self.groups[kind] = {}
        tasks, fresh = self.tasks, self.fresh
        stamps = None
        if stamp is not None:
            stamps = self.stamps[kind] = {}
        remade = self.regrouped[kind] = set()
        for key in keys:
            made = None if key in dirty else kept.get(key)
            if stamp is not None:
                stamps[key] = now = stamp(key)
                if made is not None and kept_stamps.get(key) != now:
                    made = None
            if made is None:
                made = make(key)
                fresh += made
                remade.add(key)
                before = kept.get(key)
                if before is None or [t.path for t in before] != [t.path for t in made]:
                    self.same_pages = False
            groups[key] = made
            tasks += made
        if self.same_pages and groups.keys() != kept.keys():
            self.same_pages = False  # a record came or went (a day no paper is on any more)

    def run(self) -> list[Task]:
        site, config, d, reuse = self.site, self.config, self.d, self.reuse
        old = reuse.memo.site if reuse.memo is not None else None
        if old is None or old.newest != site.newest or old.author_order != site.author_order \
                or old.tag_order != site.tag_order:
            self.same_pages = False
        newest_days = site.days[: config.index_days]
        index_ids = [i for day in newest_days for i in day.papers]
        self.add(Task(urls.INDEX, "index", (), d.page("index", [day.date for day in newest_days], d.papers(index_ids),
                                                       len(site.days))))
        self.group("paper", site.newest, lambda paper_id: [
            Task(urls.paper(paper_id), "paper", (paper_id,), d.page("paper", d.paper(paper_id))),
            Task(urls.paper_bibtex(paper_id), "paper_bib", (paper_id,), d.page("bib", d.cite(paper_id)))],
            reuse.papers)
        authors = site.authors.copy()  # a dict, not the model's read-only proxy: faster lookups
        same_authors = self._same_authors(old, lambda a: (a.name, len(a.papers)))
        self._add_unless_kept(urls.AUTHORS, same_authors, lambda: Task(urls.AUTHORS, "authors", (), d.page(
            "authors", [(s, authors[s].name, len(authors[s].papers)) for s in site.author_order])))
        self.group("author", site.author_order, lambda slug: _author_tasks(site, config, d, slug), reuse.authors)
        self.day_sizes = _day_sizes(site)  # the days archive shows them; the sitemap's lastmods follow from them
        self.add(Task(urls.DAYS, "days", (), d.page("days", self.day_sizes)))
        self._listings("day", site.days, urls.day, lambda day: day.date,
                       lambda day: (week_key(day.date), month_key(day.date)))
        # a period's page says which listing days it spans
        self._listings("week", site.weeks, urls.week, lambda period: period.key,
                       lambda period: (period.start, period.end))
        self._listings("month", site.months, urls.month, lambda period: period.key,
                       lambda period: (period.start, period.end))
        self.add(Task(urls.TAGS, "tags", (), d.page("tags", [(s, site.tags[s].name, len(site.tags[s].papers))
                                                              for s in site.tag_order])))
        self.group("tag", site.tag_order, lambda slug: _tag_tasks(site, config, d, slug), reuse.tags)
        for number in range(1, api.page_count(site) + 1):
            shown = site.newest[(number - 1) * api.PAGE_SIZE: number * api.PAGE_SIZE]
            self.add(Task(api.papers_path(number), "api_papers", (number,), d.page("api", number, len(site.papers),
                                                                                    d.papers(shown))))
        kept_people = reuse.memo.people_digests if reuse.memo is not None else {}
        same_people = self._same_authors(old, None) and all(d.people(s) == kept_people.get(s) for s in reuse.authors)
        self._add_unless_kept(api.AUTHORS, same_people, lambda: Task(api.AUTHORS, "api_authors", (), d.page(
            "api", [d.people(s) for s in site.author_order])))
        self.add(Task(urls.FEED, "feed", (), d.page("feed", d.papers(site.newest[: config.feed_items]))))
        if config.search:
            self.add(Task(urls.SEARCH, "search", (), d.page("search")))
        self.add(Task(urls.NOT_FOUND, "404", (), d.page("404")))
        self.add(Task(urls.ROBOTS, "robots", (), d.page("robots")))
        self._sitemap()
        for path, source in self.theme.static_files().items():
            stat = source.stat()
            where = display_path(source, config.root)  # a renamed site folder keeps its digests
            self.add(Task(path, "static", (), _digest(where, stat.st_size, stat.st_mtime_ns), source=str(source)))
        self._remember()
        return self.tasks

    def _same_authors(self, old: Site | None, shown: Callable | None) -> bool:
        """The authors are the last plan's, in the same order, and (with `shown`) each
        shows the same there: a page listing every author (5,000 at 10,000 papers) then
        has the same inputs, which need not be digested again. Only the authors whose
        record changed are compared; the others are the very same objects."""
        if old is None or old.author_order != self.site.author_order:
            return False
        if shown is None:
            return True
        before, now = old.authors, self.site.authors
        return all(before.get(s) is not None and shown(before[s]) == shown(now[s]) for s in self.reuse.authors)

    def _add_unless_kept(self, path: str, same: bool, make: Callable[[], Task]) -> None:
        """The last plan's task of `path` when `same` says its inputs did not change."""
        kept = None
        if same and self.reuse.memo is not None:
            kept = next((t for t in self.reuse.memo.loose if t.path == path), None)
        self.add(kept if kept is not None else make())

    def _listings(self, kind: str, listing, first_of: Callable, key_of: Callable, extra: Callable) -> None:
        """Day, week or month pages: a record's group is reused when it is the same record
        object (the model update keeps those an edit did not touch), with the same
        neighbours, and none of its papers shows something new."""
        per_page, d = self.config.per_page, self.d
        position_of = {key_of(record): n for n, record in enumerate(listing)}
        dirty = self.reuse.papers

        def neighbours(key) -> tuple:
            position = position_of[key]
            record = listing[position]
            return tuple(key_of(n) for n in _neighbours(listing, position) if n) + extra(record)

        def stamp(key) -> tuple:  # the task keys hold the position
            return listing[position_of[key]], position_of[key], neighbours(key)

        def make(key) -> list[Task]:
            position = position_of[key]
            record = listing[position]
            around = list(neighbours(key))
            count = len(record.papers)  # every page says it, and its pager how many pages
            return [Task(urls.page(first_of(key), number), kind, (position, number),
                         d.page(kind, *((key,) if kind != "day" else ()), around, number, count,
                                d.papers(page_slice(record.papers, number, per_page))))
                    for number in range(1, page_count(len(record.papers), per_page) + 1)]

        changed = {key_of(r) for r in listing if not dirty.isdisjoint(r.papers)} if dirty else set()
        self.group(kind, [key_of(r) for r in listing], make, changed, stamp)

    def _sitemap(self) -> None:
        memo = self.reuse.memo
        if self.same_pages and memo is not None and memo.sitemap and self._loose_pages_same() \
                and _day_sizes(memo.site) == self.day_sizes:
            made = memo.sitemap
        else:
            made = _sitemap_tasks(page_paths(self.tasks), self.day_sizes, self.d)
            self.fresh += made
        self.sitemap = made
        self.tasks += made

    def _loose_pages_same(self) -> bool:
        before = [t.path for t in self.reuse.memo.loose if t.kind != "static"]
        return before == [t.path for t in self.loose]

    def _remember(self) -> None:
        memo = self.memo
        if memo is None:
            return
        reused = self.reuse.memo is not None
        if reused:
            dropped = {t.file for t in memo.loose}
            dropped.update(t.file for t in memo.sitemap if t not in self.sitemap)
            for kind, before in memo.groups.items():
                now, remade = self.groups.get(kind, {}), self.regrouped.get(kind, set())
                for key in before.keys() - now.keys() | (remade & before.keys()):
                    dropped.update(t.file for t in before[key])
            memo.dropped = dropped
        memo.base = memo.committed if reused else None
        memo.committed = None
        memo.fresh = self.fresh if reused else list(self.tasks)
        memo.changed_since = memo.site if reused else None
        memo.changed_papers = self.reuse.papers
        memo.site, memo.context, memo.groups, memo.stamps = self.site, self.d.context, self.groups, self.stamps
        memo.loose, memo.sitemap = self.loose, self.sitemap
        memo.paper_digests, memo.people_digests = self.d.papers_digests, self.d.people_digests
        memo.cite_digests = self.d.cite_digests


def _author_tasks(site: Site, config: Config, d: _Digests, slug: str) -> list[Task]:
    author, per_page = site.authors[slug], config.per_page
    people = d.people(slug)
    tasks = []
    for number in range(1, page_count(len(author.papers), per_page) + 1):
        shown = page_slice(author.papers, number, per_page)
        tasks.append(Task(urls.page(urls.author(slug), number), "author", (slug, number),
                          d.page("author", people, number, d.papers(shown))))
    tasks.append(Task(urls.author_feed(slug), "author_feed", (slug,),
                      d.page("feed", people, d.papers(_by_day(site, author.papers)[: config.feed_items]))))
    tasks.append(Task(f"authors/{slug}/works.bib", "author_bib", (slug,), d.page("bib", d.cites(author.papers))))
    return tasks


def _tag_tasks(site: Site, config: Config, d: _Digests, slug: str) -> list[Task]:
    tag, per_page = site.tags[slug], config.per_page
    count = len(tag.papers)  # every page says it, and its pager how many pages
    tasks = [Task(urls.page(urls.tag(slug), number), "tag", (slug, number),
                  d.page("tag", tag.name, number, count, d.papers(page_slice(tag.papers, number, per_page))))
             for number in range(1, page_count(len(tag.papers), per_page) + 1)]
    tasks.append(Task(urls.tag_feed(slug), "tag_feed", (slug,),
                      d.page("feed", tag.name, d.papers(tag.papers[: config.feed_items]))))
    return tasks


def render_order(site: Site, config: Config, tasks: list[Task]) -> list[Task]:
    """Tasks in the order that keeps a render process's fragments (fragments.py) in use:
    by the newest paper each shows. A paper's day, week and month pages, its authors'
    and its topics' pages then come near each other, not a whole listing apart. Pages
    are functions of the model: the order changes only how fast they are made."""
    rank = {paper_id: n for n, paper_id in enumerate(site.newest)}
    per_page = config.per_page

    def shown(task: Task) -> Iterable[str]:
        kind, key = task.kind, task.key
        if kind in ("paper", "paper_bib"):
            return key
        if kind == "author":
            return page_slice(site.authors[key[0]].papers, key[1], per_page)
        if kind in ("author_feed", "author_bib"):
            return site.authors[key[0]].papers
        if kind in ("day", "week", "month"):
            listing = {"day": site.days, "week": site.weeks, "month": site.months}[kind]
            return page_slice(listing[key[0]].papers, key[1], per_page)
        if kind == "tag":
            return page_slice(site.tags[key[0]].papers, key[1], per_page)
        if kind == "tag_feed":
            return site.tags[key[0]].papers[: config.feed_items]
        return ()

    return sorted(tasks, key=lambda task: min((rank[i] for i in shown(task)), default=-1))


def page_paths(tasks: list[Task]) -> list[str]:
    """The HTML pages a sitemap lists: every pretty URL but the search page (404.html is not one)."""
    return [t.path for t in tasks if (t.path == "" or t.path.endswith("/")) and t.kind != "search"]


def _sitemap_tasks(paths: list[str], day_sizes: list, d: _Digests) -> list[Task]:
    """A sitemap task's key is the pages it lists. A paper's page gives its listing day
    as its last change (`lastmod`): with the paper pages in listing order (the paths),
    the days' sizes fix each paper's day, at the cost of a digest of the days alone."""
    chunks = [tuple(paths[i:i + feeds.SITEMAP_LIMIT]) for i in range(0, len(paths), feeds.SITEMAP_LIMIT)] or [()]
    if len(chunks) == 1:
        return [Task(urls.SITEMAP, "sitemap", (chunks[0],), d.page("sitemap", paths, day_sizes))]
    tasks = [Task(urls.SITEMAP, "sitemap_index", (len(chunks),), d.page("sitemap", len(chunks)))]
    for number, chunk in enumerate(chunks, 1):
        tasks.append(Task(f"sitemaps/sitemap-{number}.xml", "sitemap", (chunk,),
                          d.page("sitemap", list(chunk), day_sizes)))
    return tasks


def _day_sizes(site: Site) -> list[tuple]:
    """The listing days, newest first, and how many papers each lists."""
    return [(day.date, len(day.papers)) for day in site.days]


def _neighbours(days, position):
    newer = days[position - 1] if position > 0 else None
    older = days[position + 1] if position + 1 < len(days) else None
    return older, newer


def _by_day(site: Site, ids) -> list[str]:
    return sorted(ids, key=lambda i: (-site.papers[i].day.toordinal(), -site.papers[i].upvotes, i))


# --- rendering -------------------------------------------------------------------


class Renderer:
    """Renders tasks to bytes. One per process; holds the model, views and templates."""

    def __init__(self, site: Site, config: Config, theme: Theme, views: Views,
                 bib_cache: LRUCache | None = None, api_cache: LRUCache | None = None,
                 paper_digests: Mapping[str, str] | None = None, fragments: PaperFragments | None = None,
                 api_spans: Path | None = None):
        self.site = site
        self.paper_digests = paper_digests  # the plan's, if it made this model's
        self.bib_cache = LRUCache(BIB_CACHE) if bib_cache is None else bib_cache
        self.api_cache = LRUCache(API_CACHE) if api_cache is None else api_cache
        self.config = config
        self.theme = theme
        self.views = views
        self.env = theme.environment
        # Fragments of this build's model, or with papers' kept from earlier builds (serve).
        self.env.fragment_cache = self.fragments = LRUCache() if fragments is None else fragments
        self._handlers: dict[str, Callable[[Task], bytes]] = {
            "index": self._index, "paper": self._paper, "paper_bib": self._paper_bib,
            "authors": self._authors, "author": self._author, "author_feed": self._author_feed,
            "author_bib": self._author_bib, "days": self._days, "day": self._day, "tags": self._tags,
            "tag": self._tag, "tag_feed": self._tag_feed, "week": self._period, "month": self._period,
            "feed": self._feed, "404": self._not_found, "search": self._search,
            "robots": lambda task: feeds.robots(self.config), "sitemap": self._sitemap,
            "sitemap_index": self._sitemap_index, "static": self._static,
            "api_papers": lambda task: api.papers_page(self.site, self.views, self.config, task.key[0],
                                                       self.api_cache, self.paper_digests, api_spans),
            "api_authors": lambda task: api.authors_file(self.site, self.config),
        }

    def render(self, task: Task) -> bytes:
        return self._handlers[task.kind](task)

    def share(self, fragments: SharedStore | None, bib_entries: SharedStore | None) -> None:
        """Find cards and feed items in `fragments`, BibTeX entries in `bib_entries` (and
        add those made here) before making them; None: this process's own caches only."""
        if isinstance(self.fragments, LRUCache):
            self.fragments.shared = fragments
        self.bib_cache.shared = bib_entries

    def clear(self) -> None:
        """Empty every cache this renderer fills. For a render process's own copies only:
        in `sitegen serve` the build process's bib and API caches are the server's."""
        for cache in (self.bib_cache, self.api_cache, self.fragments, self.views):
            cache.clear()

    def _page(self, task: Task, title: str | None, **context) -> bytes:
        template = self.env.get_template(PAGE_TEMPLATES[task.kind])
        page = {
            "title": title,
            "path": task.path,
            "url": self.config.link(task.path),
            "canonical": self.config.absolute(task.path),
            "kind": task.kind,
        }
        page.update(context.pop("page", {}))
        html = template.render(site=self._site_context(), page=page, **context)
        return html.encode()

    @lru_cache(maxsize=1)
    def _site_context(self) -> dict:
        """What every page shows of the site. Only settings may go here: they are in every
        page's digest, while a fact about the content (say, the number of papers) would
        silently go stale on pages that did not re-render."""
        link = self.config.link
        return {
            "title": self.config.title,
            "description": self.config.description,
            "language": self.config.language,
            "base_path": self.config.base_path,
            "home_url": link(""),
            "days_url": link(urls.DAYS),
            "authors_url": link(urls.AUTHORS),
            "tags_url": link(urls.TAGS),
            "feed_url": link(urls.FEED),
            "search_url": link(urls.SEARCH) if self.config.search else None,
            "static_url": link(""),
            "generator": f"sitegen {__version__}",
        }

    def _index(self, task: Task) -> bytes:
        days = [(self.views.day_link(day), day, self.views.papers(day.papers))
                for day in self.site.days[: self.config.index_days]]
        return self._page(task, None, days=days, day_count=len(self.site.days))

    def _paper(self, task: Task) -> bytes:
        paper = self.views.paper(task.key[0])
        summary = metadata.description(paper)
        scholarly = {"highwire": metadata.highwire(paper, self.config),
                     "json_ld": metadata.json_ld(paper, self.config, summary),
                     "social": metadata.social(paper, self.config, summary)}
        return self._page(task, paper.title_text, paper=paper, scholarly=scholarly,
                          bibtex=self._paper_bib(task).decode(), page={"description": summary})

    def _paper_bib(self, task: Task) -> bytes:
        return self._bib_entry(task.key[0])

    def _bib_entry(self, paper_id: str) -> bytes:
        """One paper's entry, as UTF-8; cached (across builds in `sitegen serve`), since it
        also goes into each of its authors' works.bib. Kept as bytes, not str: one character
        outside Latin-1 (a name, a symbol) makes a str take 2-4 bytes a character.
        Without its abstract unless the site asks (`bibtex_abstracts`): an entry is what a
        reader pastes into a paper's .bib, and arXiv's, Scholar's and DBLP's entries leave
        it out, as al-folio's Bib box filters it out."""
        paper, cite_key = self.site.papers[paper_id], self.site.cite_keys[paper_id]
        with_abstract = self.config.bibtex_abstracts
        return self.bib_cache.get_or_make((paper.fingerprint, cite_key, with_abstract), lambda: bibtex.entry(
            paper, cite_key, self.views.abstract_text(paper_id) if with_abstract else "").encode())

    def _authors(self, task: Task) -> bytes:
        authors = [self.site.authors[s] for s in self.site.author_order]
        groups = [(letter, [(self.views.author_link(a.slug), len(a.papers)) for a in members])
                  for letter, members in groupby(authors, key=lambda a: _initial(a.slug))]
        return self._page(task, "Authors", groups=groups, count=len(authors))

    def _author(self, task: Task) -> bytes:
        slug, number = task.key
        author = self.views.author(slug)
        ids = author.record.papers
        pagination = Pagination(number, page_count(len(ids), self.config.per_page), urls.author(slug),
                                self.config.link)
        papers = self.views.papers(page_slice(ids, number, self.config.per_page))
        years = [(year, list(group)) for year, group in groupby(papers, key=lambda p: p.published.year)]
        title = author.name if number == 1 else f"{author.name} (page {number})"
        return self._page(task, title, author=author, years=years, pagination=pagination,
                          page={"feed_url": author.feed_url})

    def _feed_of(self, task: Task, title: str, page_path: str, ids) -> bytes:
        return feeds.rss(self.config, title=title, description=self.config.description or title,
                         page_path=page_path, feed_path=task.path, papers=self.views.papers(ids),
                         items=self.fragments)

    def _author_feed(self, task: Task) -> bytes:
        author = self.site.authors[task.key[0]]
        ids = _by_day(self.site, author.papers)[: self.config.feed_items]
        return self._feed_of(task, f"{author.name} — {self.config.title}", urls.author(author.slug), ids)

    def _author_bib(self, task: Task) -> bytes:
        author = self.site.authors[task.key[0]]
        return bibtex.bibliography(self._bib_entry(i) for i in author.papers)

    def _days(self, task: Task) -> bytes:
        """The archive: a calendar per month, each listing day linked with its count."""
        by_date = {d.date: d for d in self.site.days}
        months = []
        for month in self.site.months:
            rows = []
            for week in calendar.Calendar().monthdatescalendar(month.start.year, month.start.month):
                cells = [(d.day, self.views.day_link(by_date[d]), len(by_date[d].papers))
                         if d in by_date and d.month == month.start.month else
                         ((d.day, None, 0) if d.month == month.start.month else None) for d in week]
                rows.append((self.views.period_link("week", week_key(week[0])) if any(
                    c and c[1] for c in cells) else None, cells))
            months.append((self.views.period_link("month", month.key), rows, len(month.papers)))
        return self._page(task, "Archive", months=months, day_count=len(self.site.days))

    def _day(self, task: Task) -> bytes:
        position, number = task.key
        day = self.site.days[position]
        older, newer = _neighbours(self.site.days, position)
        pagination = Pagination(number, page_count(len(day.papers), self.config.per_page), urls.day(day.date),
                                self.config.link)
        papers = self.views.papers(page_slice(day.papers, number, self.config.per_page))
        return self._page(task, f"Papers of {format_day(day.date)}", day=self.views.day_link(day), date=day.date,
                          papers=papers, count=len(day.papers), pagination=pagination,
                          older=self.views.day_link(older), newer=self.views.day_link(newer),
                          week=self.views.period_link("week", week_key(day.date)),
                          month=self.views.period_link("month", month_key(day.date)))

    def _period(self, task: Task) -> bytes:
        position, number = task.key
        periods = self.site.weeks if task.kind == "week" else self.site.months
        period = periods[position]
        older, newer = _neighbours(periods, position)
        first = urls.week(period.key) if task.kind == "week" else urls.month(period.key)
        pagination = Pagination(number, page_count(len(period.papers), self.config.per_page), first,
                                self.config.link)
        start = (number - 1) * self.config.per_page
        papers = self.views.papers(page_slice(period.papers, number, self.config.per_page))
        link = self.views.period_link(task.kind, period.key)
        return self._page(task, f"Top papers of {link.name}", period=period, period_link=link, papers=papers,
                          rank_start=start, count=len(period.papers), pagination=pagination,
                          older=older and self.views.period_link(task.kind, older.key),
                          newer=newer and self.views.period_link(task.kind, newer.key))

    def _tags(self, task: Task) -> bytes:
        tags = [(self.views.tag_link(s), len(self.site.tags[s].papers)) for s in self.site.tag_order]
        return self._page(task, "Topics", tags=tags)

    def _tag(self, task: Task) -> bytes:
        slug, number = task.key
        tag = self.site.tags[slug]
        pagination = Pagination(number, page_count(len(tag.papers), self.config.per_page), urls.tag(slug),
                                self.config.link)
        papers = self.views.papers(page_slice(tag.papers, number, self.config.per_page))
        return self._page(task, f"Topic: {tag.name}", tag=self.views.tag_link(slug), papers=papers,
                          count=len(tag.papers), pagination=pagination,
                          page={"feed_url": self.config.link(urls.tag_feed(slug))})

    def _tag_feed(self, task: Task) -> bytes:
        tag = self.site.tags[task.key[0]]
        return self._feed_of(task, f"{tag.name} — {self.config.title}", urls.tag(tag.slug),
                             tag.papers[: self.config.feed_items])

    def _feed(self, task: Task) -> bytes:
        return self._feed_of(task, self.config.title, "", self.site.newest[: self.config.feed_items])

    def _search(self, task: Task) -> bytes:
        return self._page(task, "Search", page={"noindex": True})

    def _not_found(self, task: Task) -> bytes:
        return self._page(task, "Page not found", page={"noindex": True})

    def _sitemap(self, task: Task) -> bytes:
        return feeds.sitemap(self.config, ((p, self._lastmod(p)) for p in task.key[0]))

    def _lastmod(self, path: str):
        """Kept in step with what `_sitemap_tasks` digests."""
        if path.startswith("papers/"):
            paper = self.site.papers.get(path[len("papers/"):-1])
            return paper.day if paper else None
        return None

    def _sitemap_index(self, task: Task) -> bytes:
        return feeds.sitemap_index(self.config, [f"sitemaps/sitemap-{n}.xml" for n in range(1, task.key[0] + 1)])

    def _static(self, task: Task) -> bytes:
        with open(task.source, "rb") as handle:
            return handle.read()


def _initial(slug: str) -> str:
    first = slug[:1].upper()
    return first if first.isalpha() else "#"
