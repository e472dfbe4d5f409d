"""The table of page kinds: for each kind of output file, its template, the pages it
has, what each page's digest covers, the papers it shows, and how it renders.

This is the one place a kind of page is defined. The planner (plan.py) walks the table
to make the tasks, the engine renders each task with its kind's function and orders
the render by the papers each shows; a test changes every field of the content and
settings and checks that a page's bytes change only if its digest does.

A kind's pages belong to a group when they come and go with one record (a paper's page
and its BibTeX, an author's pages, feed and bibliography...): the next plan keeps a
group's tasks whole while its record shows the same (changes.py). Other kinds are
pages of the whole site, planned each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Protocol, Sequence

from sitegen import urls
from sitegen.config import Config
from sitegen.content.model import Site, month_key, week_key
from sitegen.formats import api, feeds, search
from sitegen.problems import display_path
from sitegen.pages import render
from sitegen.pages.render import Renderer
from sitegen.pages.digests import Digests
from sitegen.pages.task import Task, digest
from sitegen.pages.theme import Theme
from sitegen.pages.views import page_count, page_slice


class Planner(Protocol):
    """What a kind's functions may ask of the plan being made (plan.Planner)."""

    site: Site
    config: Config
    theme: Theme
    d: Digests  # the digests of the records pages show
    tasks: list[Task]  # the tasks planned so far
    day_sizes: list  # (date, papers) of every listing day, newest first
    changes: object  # what differs from the last plan (changes.Changes)

    def positions(self, group: str) -> dict: ...

    def same_authors(self, shown: Callable | None) -> bool: ...

    def same_people(self) -> bool: ...

    def search_digests(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class PageKind:
    name: str
    template: str | None  # the Jinja template its pages render with (its closure is in their digest)
    group: str | None  # the record its pages come and go with (GROUPS), or None: the whole site's
    # The kind's tasks: their paths, keys and digests. Called with a record's key (a
    # group's kind) or None (the whole site's).
    pages: Callable[[Planner, object], list[Task]]
    render: Callable[[Renderer, Task, str | None], bytes]
    # The papers a page shows, which the render order follows (see plan.render_order).
    shows: Callable[[Site, Config, tuple], Sequence[str]] = lambda site, config, key: ()
    # It shows papers' cards, feed items, BibTeX entries or API records: `sitegen serve`
    # renders such pages while idle to have those ready for the next edit.
    cards: bool = False
    # Its task is the last plan's when this says what it shows did not change (checked
    # against the last plan; None: planned each time).
    same: Callable[[Planner], bool] | None = None
    # A task that writes a folder of files (its own file, named by the task, among them),
    # which come and go with the content: it is stale when any of them is not as written.
    folder: str | None = None


@dataclass(frozen=True)
class Group:
    """Records whose pages the next plan keeps whole while the record shows the same."""

    name: str
    keys: Callable[[Site], Iterable]  # the records, in plan order
    dirty: Callable[[Planner], set]  # those that may show something else than in the last plan
    # For listings (days, weeks, months): what else a record's pages depend on, compared
    # with the last plan's (the record object, its place, its neighbours).
    stamp: Callable[[Planner], Callable] | None = None


# --- a paper's page and BibTeX -------------------------------------------------------------

def _paper(p: Planner, paper_id: str) -> list[Task]:
    return [Task(urls.paper(paper_id), "paper", (paper_id,), p.d.page("paper", p.d.paper(paper_id)))]


def _paper_bib(p: Planner, paper_id: str) -> list[Task]:
    return [Task(urls.paper_bibtex(paper_id), "paper_bib", (paper_id,), p.d.page("paper_bib", p.d.cite(paper_id)))]


# --- an author's pages, feed and bibliography -------------------------------------------

def _author(p: Planner, slug: str) -> list[Task]:
    author, per_page, people = p.site.authors[slug], p.config.per_page, p.d.people(slug)
    return [Task(urls.page(urls.author(slug), number), "author", (slug, number),
                 p.d.page("author", people, number, p.d.papers(page_slice(author.papers, number, per_page))))
            for number in range(1, page_count(len(author.papers), per_page) + 1)]


def _author_feed(p: Planner, slug: str) -> list[Task]:
    author = p.site.authors[slug]
    shown = render.by_day(p.site, author.papers)[: p.config.feed_items]
    return [Task(urls.author_feed(slug), "author_feed", (slug,),
                 p.d.page("author_feed", p.d.people(slug), p.d.papers(shown)))]


def _author_bib(p: Planner, slug: str) -> list[Task]:
    return [Task(urls.author_bibtex(slug), "author_bib", (slug,),
                 p.d.page("author_bib", p.d.cites(p.site.authors[slug].papers)))]


# --- a listing day's, a week's and a month's pages --------------------------------------

@dataclass(frozen=True)
class _Listing:
    """Days, weeks or months: records with a key, a first page, and neighbours they link."""

    records: Callable[[Site], Sequence]
    key: Callable  # record → its key
    first: Callable[[str], str]  # key → site path of its first page
    around: Callable  # record → what else its pages say: for a day, its week and month; for a period, its span

    def pages(self, kind: str) -> Callable[[Planner, object], list[Task]]:
        def pages(p: Planner, key) -> list[Task]:
            listing = self.records(p.site)
            position = p.positions(kind)[key]
            record = listing[position]
            count = len(record.papers)  # every page says it, and its pager how many pages
            shown = list(self.neighbours(listing, position, record))
            return [Task(urls.page(self.first(key), number), kind, (position, number),
                         p.d.page(kind, *((key,) if kind != "day" else ()), shown, number, count,
                                  p.d.papers(page_slice(record.papers, number, p.config.per_page))))
                    for number in range(1, page_count(count, p.config.per_page) + 1)]
        return pages

    def neighbours(self, listing: Sequence, position: int, record) -> tuple:
        return tuple(self.key(n) for n in render.neighbours(listing, position) if n) + self.around(record)

    def group(self, kind: str) -> Group:
        def dirty(p: Planner) -> set:
            changed = p.changes.papers
            return {self.key(r) for r in self.records(p.site) if not changed.isdisjoint(r.papers)} if changed else set()

        def stamp(p: Planner) -> Callable:
            listing, positions = self.records(p.site), p.positions(kind)

            def stamp_of(key) -> tuple:  # the task keys hold the position
                position = positions[key]
                return listing[position], position, self.neighbours(listing, position, listing[position])
            return stamp_of

        return Group(kind, lambda site: [self.key(r) for r in self.records(site)], dirty, stamp)

    def shows(self, site: Site, config: Config, key: tuple) -> Sequence[str]:
        return page_slice(self.records(site)[key[0]].papers, key[1], config.per_page)


_DAYS = _Listing(lambda site: site.days, lambda day: day.date, urls.day,
                 lambda day: (week_key(day.date), month_key(day.date)))
_WEEKS = _Listing(lambda site: site.weeks, lambda period: period.key, urls.week,
                  lambda period: (period.start, period.end))
_MONTHS = _Listing(lambda site: site.months, lambda period: period.key, urls.month,
                   lambda period: (period.start, period.end))


# --- a topic's pages and feed --------------------------------------------------------------

def _tag(p: Planner, slug: str) -> list[Task]:
    tag, per_page = p.site.tags[slug], p.config.per_page
    count = len(tag.papers)  # every page says it, and its pager how many pages
    return [Task(urls.page(urls.tag(slug), number), "tag", (slug, number),
                 p.d.page("tag", tag.name, number, count, p.d.papers(page_slice(tag.papers, number, per_page))))
            for number in range(1, page_count(count, per_page) + 1)]


def _tag_feed(p: Planner, slug: str) -> list[Task]:
    tag = p.site.tags[slug]
    return [Task(urls.tag_feed(slug), "tag_feed", (slug,),
                 p.d.page("tag_feed", tag.name, p.d.papers(tag.papers[: p.config.feed_items])))]


# --- pages of the whole site ---------------------------------------------------------------

def _index(p: Planner, _) -> list[Task]:
    newest = p.site.days[: p.config.index_days]
    shown = [i for day in newest for i in day.papers]
    return [Task(urls.INDEX, "index", (), p.d.page("index", [day.date for day in newest], p.d.papers(shown),
                                                    len(p.site.days)))]


def _authors(p: Planner, _) -> list[Task]:
    authors = p.site.authors.copy()  # a dict, not the model's read-only proxy: faster lookups
    return [Task(urls.AUTHORS, "authors", (), p.d.page(
        "authors", [(s, authors[s].name, len(authors[s].papers)) for s in p.site.author_order]))]


def _days(p: Planner, _) -> list[Task]:
    return [Task(urls.DAYS, "days", (), p.d.page("days", p.day_sizes))]


def _tags(p: Planner, _) -> list[Task]:
    tags = p.site.tags
    return [Task(urls.TAGS, "tags", (), p.d.page("tags", [(s, tags[s].name, len(tags[s].papers))
                                                          for s in p.site.tag_order]))]


def _api_papers(p: Planner, _) -> list[Task]:
    site = p.site
    return [Task(api.papers_path(number), "api_papers", (number,), p.d.page(
        "api_papers", number, len(site.papers),
        p.d.papers(site.newest[(number - 1) * api.PAGE_SIZE: number * api.PAGE_SIZE])))
        for number in range(1, api.page_count(site) + 1)]


def _api_authors(p: Planner, _) -> list[Task]:
    return [Task(api.AUTHORS, "api_authors", (), p.d.page("api_authors", [p.d.people(s) for s in p.site.author_order]))]


def _feed(p: Planner, _) -> list[Task]:
    return [Task(urls.FEED, "feed", (), p.d.page("feed", p.d.papers(p.site.newest[: p.config.feed_items])))]


def _weeks_feed(p: Planner, _) -> list[Task]:
    """The weekly digest: each shown week's key, span and size and its top papers. The
    number of papers a week shows (digest_size) is no public setting, so it is here."""
    size = p.config.digest_size
    shown = [(week.key, week.start, week.end, len(week.papers), p.d.papers(week.papers[:size]))
             for week in p.site.weeks[: p.config.feed_items]]
    return [Task(urls.WEEKS_FEED, "weeks_feed", (), p.d.page("weeks_feed", size, shown))]


def _search(p: Planner, _) -> list[Task]:
    return [Task(urls.SEARCH, "search", (), p.d.page("search"))] if p.config.search else []


def _search_index(p: Planner, _) -> list[Task]:
    """The search index: term shards and paper records under search-index/, with
    meta.json as the task's file. Its digest covers what the index shows of every paper
    (search.paper_digests) and the listing's order."""
    if not p.config.search:
        return []
    return [Task(search.META, "search_index", (), search.inputs_digest(p.site, p.search_digests()))]


def _not_found(p: Planner, _) -> list[Task]:
    return [Task(urls.NOT_FOUND, "404", (), p.d.page("404"))]


def _robots(p: Planner, _) -> list[Task]:
    return [Task(urls.ROBOTS, "robots", (), p.d.page("robots"))]


def _sitemaps(p: Planner, _) -> list[Task]:
    """The pages every task so far makes, 50,000 to a file. A paper's page gives its
    listing day as its last change (render.lastmod): with the paper pages in listing
    order, the days' sizes fix each paper's day, at the cost of a digest of the days alone."""
    paths = page_paths(p.tasks)
    chunks = [tuple(paths[i:i + feeds.SITEMAP_LIMIT]) for i in range(0, len(paths), feeds.SITEMAP_LIMIT)] or [()]
    if len(chunks) == 1:
        return [Task(urls.SITEMAP, "sitemap", (chunks[0],), p.d.page("sitemap", paths, p.day_sizes))]
    tasks = [Task(urls.SITEMAP, "sitemap_index", (len(chunks),), p.d.page("sitemap_index", len(chunks)))]
    for number, chunk in enumerate(chunks, 1):
        tasks.append(Task(f"sitemaps/sitemap-{number}.xml", "sitemap", (chunk,),
                          p.d.page("sitemap", list(chunk), p.day_sizes)))
    return tasks


def _static(p: Planner, _) -> list[Task]:
    """Files of the theme's and the site's static/ folders, copied as they are."""
    tasks = []
    for path, source in p.theme.static_files().items():
        stat = source.stat()
        where = display_path(source, p.config.root)  # a renamed site folder keeps its digests
        tasks.append(Task(path, "static", (), digest(where, stat.st_size, stat.st_mtime_ns), source=str(source)))
    return tasks


def page_paths(tasks: Iterable[Task]) -> list[str]:
    """The HTML pages a sitemap lists: every pretty URL but the search page (404.html is not one)."""
    return [t.path for t in tasks if (t.path == "" or t.path.endswith("/")) and t.kind != "search"]


def _paper_shows(site: Site, config: Config, key: tuple) -> Sequence[str]:
    return key


def _author_shows(site: Site, config: Config, key: tuple) -> Sequence[str]:
    return page_slice(site.authors[key[0]].papers, key[1], config.per_page)


def _author_papers(site: Site, config: Config, key: tuple) -> Sequence[str]:
    return site.authors[key[0]].papers


def _tag_shows(site: Site, config: Config, key: tuple) -> Sequence[str]:
    return page_slice(site.tags[key[0]].papers, key[1], config.per_page)


def _tag_feed_shows(site: Site, config: Config, key: tuple) -> Sequence[str]:
    return site.tags[key[0]].papers[: config.feed_items]


def _weeks_feed_shows(site: Site, config: Config, key: tuple) -> Sequence[str]:
    return [i for week in site.weeks[: config.feed_items] for i in week.papers[: config.digest_size]]


GROUPS = {group.name: group for group in (
    Group("paper", lambda site: site.newest, lambda p: p.changes.papers),
    Group("author", lambda site: site.author_order, lambda p: p.changes.authors),
    _DAYS.group("day"),
    _WEEKS.group("week"),
    _MONTHS.group("month"),
    Group("tag", lambda site: site.tag_order, lambda p: p.changes.tags),
)}

# In the order the plan lists them (the sitemap lists pages in this order).
KINDS = {kind.name: kind for kind in (
    PageKind("index", "index.html", None, _index, render.index, cards=True),
    PageKind("paper", "paper.html", "paper", _paper, render.paper, _paper_shows),
    PageKind("paper_bib", None, "paper", _paper_bib, render.paper_bib, _paper_shows),
    PageKind("authors", "authors.html", None, _authors, render.authors,
             same=lambda p: p.same_authors(lambda a: (a.name, len(a.papers)))),
    PageKind("author", "author.html", "author", _author, render.author, _author_shows, cards=True),
    PageKind("author_feed", None, "author", _author_feed, render.author_feed, _author_papers, cards=True),
    PageKind("author_bib", None, "author", _author_bib, render.author_bib, _author_papers, cards=True),
    PageKind("days", "days.html", None, _days, render.days),
    PageKind("day", "day.html", "day", _DAYS.pages("day"), render.day, _DAYS.shows, cards=True),
    PageKind("week", "period.html", "week", _WEEKS.pages("week"), render.period, _WEEKS.shows, cards=True),
    PageKind("month", "period.html", "month", _MONTHS.pages("month"), render.period, _MONTHS.shows, cards=True),
    PageKind("tags", "tags.html", None, _tags, render.tags),
    PageKind("tag", "tag.html", "tag", _tag, render.tag, _tag_shows, cards=True),
    PageKind("tag_feed", None, "tag", _tag_feed, render.tag_feed, _tag_feed_shows, cards=True),
    PageKind("api_papers", None, None, _api_papers, render.api_papers, cards=True),
    PageKind("api_authors", None, None, _api_authors, render.api_authors,
             same=lambda p: p.same_authors(None) and p.same_people()),
    PageKind("feed", None, None, _feed, render.feed, cards=True),
    PageKind("weeks_feed", None, None, _weeks_feed, render.weeks_feed, _weeks_feed_shows, cards=True),
    PageKind("search", "search.html", None, _search, render.search),
    PageKind("search_index", None, None, _search_index, render.search_index, folder=search.FOLDER + "/"),
    PageKind("404", "404.html", None, _not_found, render.not_found),
    PageKind("robots", None, None, _robots, render.robots),
    PageKind("sitemap", None, None, _sitemaps, render.sitemap),
    PageKind("sitemap_index", None, None, lambda p, _: [], render.sitemap_index),  # made with the sitemaps
    PageKind("static", None, None, _static, render.static),
)}

TEMPLATES = {kind.name: kind.template for kind in KINDS.values()}


def render_page(renderer: Renderer, task: Task) -> bytes:
    kind = KINDS[task.kind]
    return kind.render(renderer, task, kind.template)


def papers_shown(site: Site, config: Config, task: Task) -> Sequence[str]:
    return KINDS[task.kind].shows(site, config, task.key)
