"""Rendering: a task's bytes from the model, the views and the theme.

A Renderer is one process's: it holds the model, the views, the Jinja environment and
the caches of what it made once (fragments, BibTeX entries, API records). The kind
table (kinds.py) says which of the functions below renders each kind of page.
"""

from __future__ import annotations

import calendar
from functools import lru_cache
from itertools import groupby
from pathlib import Path
from typing import Callable, Mapping

from sitegen import __version__, urls
from sitegen.config import Config
from sitegen.content.model import Site, month_key, week_key
from sitegen.formats import api, bibtex, digest, feeds, scholarly
from sitegen.lru import LRUCache, SharedStore
from sitegen.pages.fragments import PaperFragments
from sitegen.pages.task import Task
from sitegen.pages.theme import Theme
from sitegen.pages.views import Pagination, Views, format_day, page_count, page_slice

# BibTeX entries a process keeps: a paper's goes into its cite.bib and each of its
# authors' works.bib, which come from all over the render order. At 100,000 papers a
# process keeping 16,384 of them looked 378,000 of 548,000 up again (shared store or
# made anew), keeping 131,072 (about 60 MB, 400 bytes an entry) 192,000: each once.
BIB_CACHE = 131072
API_CACHE = 16384  # papers' JSON records `sitegen serve` keeps for api/papers pages


class Renderer:
    """One process's renderer. `bib_cache`, `api_cache` and `fragments` may come from
    the engine (kept from earlier builds by `sitegen serve`); `paper_digests`: the
    plan's, if it made this model's; `api_spans`: where API pages note their records'
    places (formats/api.py)."""

    def __init__(self, site: Site, config: Config, theme: Theme, views: Views,
                 bib_cache: LRUCache | None = None, api_cache: LRUCache | None = None,
                 paper_digests: Mapping[str, str] | None = None, fragments: PaperFragments | None = None,
                 api_spans: Path | None = None):
        self.site = site
        self.config = config
        self.theme = theme
        self.views = views
        self.paper_digests = paper_digests
        self.bib_cache = LRUCache(BIB_CACHE) if bib_cache is None else bib_cache
        self.api_cache = LRUCache(API_CACHE) if api_cache is None else api_cache
        self.api_spans = api_spans
        # Makes and stages the search index's files, given the model (the engine's).
        self.search_index: Callable[[Site], object] | None = None
        self.env = theme.environment
        # Fragments of this build's model, or with papers' kept from earlier builds (serve).
        self.env.fragment_cache = self.fragments = LRUCache() if fragments is None else fragments

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

    def page(self, task: Task, template: str, title: str | None, **context) -> bytes:
        page = {
            "title": title,
            "path": task.path,
            "url": self.config.link(task.path),
            "canonical": self.config.absolute(task.path),
            "kind": task.kind,
        }
        page.update(context.pop("page", {}))
        html = self.env.get_template(template).render(site=self.site_context(), page=page, **context)
        return html.encode()

    @lru_cache(maxsize=1)
    def site_context(self) -> dict:
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
            "weeks_feed_url": link(urls.WEEKS_FEED),
            "subscribe_url": self.config.subscribe_url,
            "search_url": link(urls.SEARCH) if self.config.search else None,
            "static_url": link(""),
            "generator": f"sitegen {__version__}",
        }

    def bib_entry(self, paper_id: str) -> bytes:
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

    def feed(self, task: Task, title: str, page_path: str, ids) -> bytes:
        return feeds.rss(self.config, title=title, description=self.config.description or title,
                         page_path=page_path, feed_path=task.path, papers=self.views.papers(ids),
                         items=self.fragments)


# --- one function per kind of page (kinds.py names which) -----------------------------


def index(r: Renderer, task: Task, template: str) -> bytes:
    days = [(r.views.day_link(day), day, r.views.papers(day.papers)) for day in r.site.days[: r.config.index_days]]
    return r.page(task, template, None, days=days, day_count=len(r.site.days))


def paper(r: Renderer, task: Task, template: str) -> bytes:
    view = r.views.paper(task.key[0])
    summary = scholarly.description(view)
    metadata = {"highwire": scholarly.highwire(view, r.config),
                "json_ld": scholarly.json_ld(view, r.config, summary),
                "social": scholarly.social(view, r.config, summary)}
    return r.page(task, template, view.title_text, paper=view, scholarly=metadata,
                  bibtex=r.bib_entry(task.key[0]).decode(), page={"description": summary})


def paper_bib(r: Renderer, task: Task, template: None) -> bytes:
    return r.bib_entry(task.key[0])


def authors(r: Renderer, task: Task, template: str) -> bytes:
    everyone = [r.site.authors[s] for s in r.site.author_order]
    groups = [(letter, [(r.views.author_link(a.slug), len(a.papers)) for a in members])
              for letter, members in groupby(everyone, key=lambda a: initial(a.slug))]
    return r.page(task, template, "Authors", groups=groups, count=len(everyone))


def author(r: Renderer, task: Task, template: str) -> bytes:
    slug, number = task.key
    view = r.views.author(slug)
    ids = view.record.papers
    pagination = Pagination(number, page_count(len(ids), r.config.per_page), urls.author(slug), r.config.link)
    papers = r.views.papers(page_slice(ids, number, r.config.per_page))
    years = [(year, list(group)) for year, group in groupby(papers, key=lambda p: p.published.year)]
    title = view.name if number == 1 else f"{view.name} (page {number})"
    return r.page(task, template, title, author=view, years=years, pagination=pagination,
                  page={"feed_url": view.feed_url})


def author_feed(r: Renderer, task: Task, template: None) -> bytes:
    record = r.site.authors[task.key[0]]
    ids = by_day(r.site, record.papers)[: r.config.feed_items]
    return r.feed(task, f"{record.name} — {r.config.title}", urls.author(record.slug), ids)


def author_bib(r: Renderer, task: Task, template: None) -> bytes:
    return bibtex.bibliography(r.bib_entry(i) for i in r.site.authors[task.key[0]].papers)


def days(r: Renderer, task: Task, template: str) -> bytes:
    """The archive: a calendar per month, each listing day linked with its count."""
    by_date = {d.date: d for d in r.site.days}
    months = []
    for month in r.site.months:
        rows = []
        for week in calendar.Calendar().monthdatescalendar(month.start.year, month.start.month):
            cells = [(d.day, r.views.day_link(by_date[d]), len(by_date[d].papers))
                     if d in by_date and d.month == month.start.month else
                     ((d.day, None, 0) if d.month == month.start.month else None) for d in week]
            rows.append((r.views.period_link("week", week_key(week[0])) if any(
                c and c[1] for c in cells) else None, cells))
        months.append((r.views.period_link("month", month.key), rows, len(month.papers)))
    return r.page(task, template, "Archive", months=months, day_count=len(r.site.days))


def day(r: Renderer, task: Task, template: str) -> bytes:
    position, number = task.key
    record = r.site.days[position]
    older, newer = neighbours(r.site.days, position)
    pagination = Pagination(number, page_count(len(record.papers), r.config.per_page), urls.day(record.date),
                            r.config.link)
    papers = r.views.papers(page_slice(record.papers, number, r.config.per_page))
    return r.page(task, template, f"Papers of {format_day(record.date)}", day=r.views.day_link(record),
                  date=record.date, papers=papers, count=len(record.papers), pagination=pagination,
                  older=r.views.day_link(older), newer=r.views.day_link(newer),
                  week=r.views.period_link("week", week_key(record.date)),
                  month=r.views.period_link("month", month_key(record.date)))


def period(r: Renderer, task: Task, template: str) -> bytes:
    """A week's or a month's top papers."""
    position, number = task.key
    periods = r.site.weeks if task.kind == "week" else r.site.months
    record = periods[position]
    older, newer = neighbours(periods, position)
    first = urls.week(record.key) if task.kind == "week" else urls.month(record.key)
    pagination = Pagination(number, page_count(len(record.papers), r.config.per_page), first, r.config.link)
    start = (number - 1) * r.config.per_page
    papers = r.views.papers(page_slice(record.papers, number, r.config.per_page))
    link = r.views.period_link(task.kind, record.key)
    # Every week's page links the weekly digest, its item in it.
    digest_feed = {"feed_url": r.config.link(urls.WEEKS_FEED), "feed_title": f"Weekly digest — {r.config.title}"} \
        if task.kind == "week" else {}
    return r.page(task, template, f"Top papers of {link.name}", period=record, period_link=link, papers=papers,
                  rank_start=start, count=len(record.papers), pagination=pagination,
                  older=older and r.views.period_link(task.kind, older.key),
                  newer=newer and r.views.period_link(task.kind, newer.key), page=digest_feed)


def tags(r: Renderer, task: Task, template: str) -> bytes:
    shown = [(r.views.tag_link(s), len(r.site.tags[s].papers)) for s in r.site.tag_order]
    return r.page(task, template, "Topics", tags=shown)


def tag(r: Renderer, task: Task, template: str) -> bytes:
    slug, number = task.key
    record = r.site.tags[slug]
    pagination = Pagination(number, page_count(len(record.papers), r.config.per_page), urls.tag(slug),
                            r.config.link)
    papers = r.views.papers(page_slice(record.papers, number, r.config.per_page))
    return r.page(task, template, f"Topic: {record.name}", tag=r.views.tag_link(slug), papers=papers,
                  count=len(record.papers), pagination=pagination,
                  page={"feed_url": r.config.link(urls.tag_feed(slug))})


def tag_feed(r: Renderer, task: Task, template: None) -> bytes:
    record = r.site.tags[task.key[0]]
    return r.feed(task, f"{record.name} — {r.config.title}", urls.tag(record.slug),
                  record.papers[: r.config.feed_items])


def feed(r: Renderer, task: Task, template: None) -> bytes:
    return r.feed(task, r.config.title, "", r.site.newest[: r.config.feed_items])


def weeks_feed(r: Renderer, task: Task, template: None) -> bytes:
    """The weekly digest: the newest `feed_items` weeks, each with its top `digest_size`
    papers in the order of its page."""
    size = r.config.digest_size
    weeks = [digest.Week(week.key, r.views.period_link("week", week.key).name, urls.week(week.key), week.start,
                         week.end, len(week.papers), r.views.papers(week.papers[:size]))
             for week in r.site.weeks[: r.config.feed_items]]
    title = f"Weekly digest — {r.config.title}"
    return digest.feed(r.config, title=title, description=r.config.description or title, page_path=urls.INDEX,
                       feed_path=task.path, weeks=weeks, blocks=r.fragments)


def api_papers(r: Renderer, task: Task, template: None) -> bytes:
    return api.papers_page(r.site, r.views, r.config, task.key[0], r.api_cache, r.paper_digests, r.api_spans)


def api_authors(r: Renderer, task: Task, template: None) -> bytes:
    return api.authors_file(r.site, r.config)


def search(r: Renderer, task: Task, template: str) -> bytes:
    return r.page(task, template, "Search", page={"noindex": True})


def not_found(r: Renderer, task: Task, template: str) -> bytes:
    return r.page(task, template, "Page not found", page={"noindex": True})


def search_index(r: Renderer, task: Task, template: None):
    """The index is patched where an edit changed it, not made whole (formats/search.py);
    what it needs of the last build (its files' records, its state) the engine knows, and
    gives the renderer as `search_index`: it stages the index's files and says which."""
    return r.search_index(r.site)


def robots(r: Renderer, task: Task, template: None) -> bytes:
    return feeds.robots(r.config)


def sitemap(r: Renderer, task: Task, template: None) -> bytes:
    return feeds.sitemap(r.config, ((path, lastmod(r.site, path)) for path in task.key[0]))


def lastmod(site: Site, path: str):
    """A page's last change, as its sitemap entry gives it: a paper's page its listing
    day (kinds.py digests the sitemap with the days' sizes, which fix each paper's day)."""
    if path.startswith("papers/"):
        record = site.papers.get(path[len("papers/"):-1])
        return record.day if record else None
    return None


def sitemap_index(r: Renderer, task: Task, template: None) -> bytes:
    return feeds.sitemap_index(r.config, [f"sitemaps/sitemap-{n}.xml" for n in range(1, task.key[0] + 1)])


def static(r: Renderer, task: Task, template: None) -> bytes:
    with open(task.source, "rb") as handle:
        return handle.read()


def neighbours(records, position):
    newer = records[position - 1] if position > 0 else None
    older = records[position + 1] if position + 1 < len(records) else None
    return older, newer


def by_day(site: Site, ids) -> list[str]:
    return sorted(ids, key=lambda i: (-site.papers[i].day.toordinal(), -site.papers[i].upvotes, i))


def initial(slug: str) -> str:
    first = slug[:1].upper()
    return first if first.isalpha() else "#"
