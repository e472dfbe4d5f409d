"""The plan: one task per output file of the site, with the digest of exactly what it shows.

`plan()` walks the table of page kinds (kinds.py) over the model. Given the last plan
(kept by `sitegen serve`, or taken up from a snapshot by `sitegen build`), it keeps the
tasks and digests of every record that shows the same (changes.py) and says which tasks
it made anew, so the engine compares only those with the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from sitegen.config import Config
from sitegen.content.model import Site
from sitegen.formats import search
from sitegen.pages.changes import Changes
from sitegen.pages.digests import Digests
from sitegen.pages.kinds import GROUPS, KINDS, TEMPLATES, Group, PageKind, papers_shown
from sitegen.pages.task import Task
from sitegen.pages.theme import Theme


@dataclass
class Plan:
    """Every task of the site, and what the next plan may keep of this one."""

    site: Site
    tasks: list[Task]
    context: tuple = ()  # settings and template digests: if they change, nothing is kept
    paper_digests: dict[str, str] = field(default_factory=dict)
    people_digests: dict[str, str] = field(default_factory=dict)
    cite_digests: dict[str, str] = field(default_factory=dict)
    search_digests: dict[str, str] | None = None  # what the search index shows of each paper, if it has one
    groups: dict[str, dict] = field(default_factory=dict)  # group → record key → its tasks
    stamps: dict[str, dict] = field(default_factory=dict)  # listing group → key → what its tasks were made for
    loose: list[Task] = field(default_factory=list)  # tasks of no group, sitemaps aside
    sitemap: list[Task] = field(default_factory=list)
    # Against the last plan, when there was one (`changed_since` is its model): the papers
    # that may show something else, the tasks not kept (in plan order), and the files of
    # the last plan's tasks not kept. Without a last plan every task is fresh.
    changed_since: Site | None = None
    changed_papers: set[str] = field(default_factory=set)
    fresh: list[Task] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)

    def for_snapshot(self) -> "Plan":
        """What a later process can keep: not the tasks in order nor what is relative to
        the plan before."""
        return replace(self, tasks=[], changed_since=None, changed_papers=set(), fresh=[], dropped=set())


def plan(site: Site, config: Config, theme: Theme, last: Plan | None = None) -> Plan:
    """Every output file of the site, in a stable order."""
    return Planner(site, config, theme, last).run()


class Planner:
    """One plan. Tasks come in groups (a paper's, an author's, a day's...) kept whole when
    nothing they show changed; the other tasks (listing pages, feeds, sitemaps) are
    cheap, made again each time or kept when their kind says they show the same."""

    def __init__(self, site: Site, config: Config, theme: Theme, last: Plan | None,
                 digests: Digests | None = None):
        self.site, self.config, self.theme = site, config, theme
        self.d = digests or Digests(site, config, theme, TEMPLATES)
        self.last = last if last is not None and last.context == self.d.context else None
        self.changes = Changes(site, self.last)
        self.d.keep(self.changes.paper_digests, self.changes.people_digests, self.changes.cite_digests)
        self.tasks: list[Task] = []
        self.fresh: list[Task] = []  # tasks not kept from the last plan
        self.loose: list[Task] = []
        self.sitemap: list[Task] = []
        self.groups: dict[str, dict] = {}
        self.stamps: dict[str, dict] = {}
        self.remade: dict[str, set] = {}  # group → keys whose tasks were made again
        old = self.last.site if self.last is not None else None
        # The page paths are the last plan's so far: then its sitemaps are this plan's.
        self.same_pages = old is not None and old.newest == site.newest and old.author_order == site.author_order \
            and old.tag_order == site.tag_order
        self.day_sizes = [(day.date, len(day.papers)) for day in site.days]  # the archive and sitemaps show them
        self._positions: dict[str, dict] = {}
        self._search_digests: dict[str, str] | None = None

    def run(self) -> Plan:
        done: set[str] = set()
        for kind in KINDS.values():
            if kind.group is None:
                if kind.name in ("sitemap", "sitemap_index"):
                    if kind.name == "sitemap":
                        self._sitemaps(kind)
                else:
                    self._site_pages(kind)
            elif kind.group not in done:
                done.add(kind.group)
                self._group(GROUPS[kind.group], [k for k in KINDS.values() if k.group == kind.group])
        return self._result()

    def positions(self, group: str) -> dict:
        """A listing group's record keys → their places in the listing."""
        found = self._positions.get(group)
        if found is None:
            found = self._positions[group] = {key: n for n, key in enumerate(GROUPS[group].keys(self.site))}
        return found

    def _add(self, tasks: list[Task]) -> None:
        self.tasks += tasks
        self.fresh += tasks
        self.loose += tasks

    def _site_pages(self, kind: PageKind) -> None:
        """A kind of the whole site's: the last plan's task when the kind says it shows the same."""
        if kind.same is not None and self.last is not None and kind.same(self):
            kept = [t for t in self.last.loose if t.kind == kind.name]
            if kept:
                self._add(kept)
                return
        self._add(kind.pages(self, None))

    def _group(self, group: Group, kinds: list[PageKind]) -> None:
        """The group's tasks, record by record: kept if the record is not dirty (and, for
        a listing, was made for the same record, place and neighbours)."""
        kept, kept_stamps = self.changes.kept(group.name), self.changes.kept_stamps(group.name)
        dirty = group.dirty(self)
        stamp = group.stamp(self) if group.stamp is not None else None
        groups = self.groups[group.name] = {}
        stamps = self.stamps[group.name] = {} if stamp is not None else None
        remade = self.remade[group.name] = set()
        tasks, fresh = self.tasks, self.fresh
        for key in group.keys(self.site):
            made = None if key in dirty else kept.get(key)
            if stamp is not None:
                stamps[key] = now = stamp(key)
                if made is not None and kept_stamps.get(key) != now:
                    made = None
            if made is None:
                made = [task for kind in kinds for task in kind.pages(self, key)]
                fresh += made
                remade.add(key)
                before = kept.get(key)
                if before is None or [t.path for t in before] != [t.path for t in made]:
                    self.same_pages = False
            groups[key] = made
            tasks += made
        if stamps is None:
            del self.stamps[group.name]
        if self.same_pages and groups.keys() != kept.keys():
            self.same_pages = False  # a record came or went (a day no paper is on any more)

    def _sitemaps(self, kind: PageKind) -> None:
        last = self.last
        if self.same_pages and last is not None and last.sitemap and self._loose_pages_same() \
                and [(day.date, len(day.papers)) for day in last.site.days] == self.day_sizes:
            made = last.sitemap
        else:
            made = kind.pages(self, None)
            self.fresh += made
        self.sitemap = made
        self.tasks += made

    def _loose_pages_same(self) -> bool:
        before = [t.path for t in self.last.loose if t.kind != "static"]
        return before == [t.path for t in self.loose]

    def same_authors(self, shown: Callable | None) -> bool:
        """The authors are the last plan's, in the same order, and (with `shown`) each
        shows the same there: a page listing every author (5,000 at 10,000 papers) then
        has the same inputs, which need not be digested again. Only the authors whose
        record changed are compared; the others are the very same objects."""
        old = self.last.site
        if old.author_order != self.site.author_order:
            return False
        if shown is None:
            return True
        before, now = old.authors, self.site.authors
        return all(before.get(s) is not None and shown(before[s]) == shown(now[s]) for s in self.changes.authors)

    def search_digests(self) -> dict[str, str]:
        """Per paper, what the search index shows of it; the last plan's for papers that
        show the same."""
        if self._search_digests is None:
            last = self.last
            kept = None
            if last is not None and last.search_digests is not None:
                changed = self.changes.papers
                kept = {i: d for i, d in last.search_digests.items() if i not in changed}
            self._search_digests = search.paper_digests(self.site, kept)
        return self._search_digests

    def same_people(self) -> bool:
        """What every author's record shows (Digests.people) is the last plan's."""
        kept = self.last.people_digests
        return all(self.d.people(s) == kept.get(s) for s in self.changes.authors)

    def _result(self) -> Plan:
        last = self.last
        result = Plan(self.site, self.tasks, self.d.context, self.d.papers_digests, self.d.people_digests,
                      self.d.cite_digests, self._search_digests, self.groups, self.stamps, self.loose, self.sitemap,
                      changed_papers=self.changes.papers)
        if last is None:
            result.fresh = list(self.tasks)
            return result
        dropped = {t.file for t in last.loose}
        dropped.update(t.file for t in last.sitemap if t not in self.sitemap)
        for name, before in last.groups.items():
            now, remade = self.groups.get(name, {}), self.remade.get(name, set())
            for key in before.keys() - now.keys() | (remade & before.keys()):
                dropped.update(t.file for t in before[key])
        result.changed_since, result.fresh, result.dropped = last.site, self.fresh, dropped
        return result


def render_order(site: Site, config: Config, tasks: Iterable[Task]) -> list[Task]:
    """Tasks in the order that keeps a render process's fragments (fragments.py) in use:
    by the newest paper each shows. A paper's day, week and month pages, its authors'
    and its topics' pages then come near each other, not a whole listing apart. Pages
    are functions of the model: the order changes only how fast they are made."""
    rank = {paper_id: n for n, paper_id in enumerate(site.newest)}
    return sorted(tasks, key=lambda task: min((rank[i] for i in papers_shown(site, config, task)), default=-1))
