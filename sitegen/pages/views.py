"""What templates see: read-only views of the model with URLs and rendered text.

Templates never get model records directly; they get these views, whose every
attribute is something a page shows. Views are cheap and made per process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from collections.abc import Sequence
from typing import Iterable, Protocol

from markupsafe import Markup

from sitegen import urls
from sitegen.config import Config
from sitegen.lru import LRUCache
from sitegen.formats.markup import rebase_urls, site_url
from sitegen.pages.text import PaperText, paper_text
from sitegen.content.model import Author, Day, Paper, Site

VIEW_CACHE = 4096  # paper views kept per process: a card appears on several pages in a row
PAGER_REACH = 2  # pages linked on each side of the current one, besides the first and the last
LINK_LABELS = {"arxiv": "arXiv", "pdf": "PDF", "code": "Code", "project": "Project page", "doi": "DOI"}


class Texts(Protocol):
    """Papers' rendered texts, by paper id, as the engine keeps them (None: not kept, the
    view renders it)."""

    def get(self, paper_id: str) -> PaperText | None: ...

    def abstract_text(self, paper_id: str) -> str | None: ...

    def api_texts(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]: ...


@dataclass(frozen=True)
class Link:
    label: str
    url: str
    kind: str


@dataclass(frozen=True)
class NamedLink:
    name: str
    url: str


class Views:
    """Builds and caches views for one render process."""

    def __init__(self, site: Site, config: Config, texts: Texts):
        self.site = site
        self.config = config
        self.texts = texts
        self._papers = LRUCache(VIEW_CACHE)  # paper id → its view
        self._links: dict[tuple[str, str], NamedLink] = {}  # an author's or topic's, on many pages

    def link(self, site_path: str) -> str:
        return self.config.link(site_path)

    def clear(self) -> None:
        self._papers.clear()
        self._links.clear()

    def paper(self, paper_id: str) -> "PaperView":
        return self._papers.get_or_make(paper_id, lambda: PaperView(self, self.site.papers[paper_id]))

    def abstract_text(self, paper_id: str) -> str:
        """A paper's plain abstract, for its BibTeX entry. A works.bib shows an author's
        papers from all over the listing: making each a view (and reading its whole text)
        would push out the views of the papers the pages around it show."""
        view = self._papers.peek(paper_id)
        if view is None:
            text = self.texts.abstract_text(paper_id)
            if text is not None:
                return text
            view = self.paper(paper_id)
        return view.abstract_text

    def api_texts(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """paper id → (plain title, abstract source), read in one query rather than a
        paper's whole text each, and the source not from the model (engine/textstore.py)."""
        found = self.texts.api_texts(ids)
        return {i: found[i] if i in found else (self.paper(i).title_text, self.site.papers[i].abstract) for i in ids}

    def papers(self, ids: Sequence[str]) -> list["PaperView"]:
        return [self.paper(i) for i in ids]

    def author_link(self, slug: str) -> NamedLink:
        link = self._links.get(("author", slug))
        if link is None:
            link = self._links[("author", slug)] = NamedLink(self.site.authors[slug].name,
                                                             self.link(urls.author(slug)))
        return link

    def tag_link(self, slug: str) -> NamedLink:
        link = self._links.get(("tag", slug))
        if link is None:
            link = self._links[("tag", slug)] = NamedLink(self.site.tags[slug].name, self.link(urls.tag(slug)))
        return link

    def author(self, slug: str) -> "AuthorView":
        return AuthorView(self, self.site.authors[slug])

    def period_link(self, kind: str, key: str) -> NamedLink:
        if kind == "week":
            year, week = key.split("-W")
            monday = date.fromisocalendar(int(year), int(week), 1)
            name = f"week {int(week)} of {year} (from {monday:%b} {monday.day})"
            return NamedLink(name, self.link(urls.week(key)))
        year, month = key.split("-")
        return NamedLink(f"{date(int(year), int(month), 1):%B %Y}", self.link(urls.month(key)))

    def day_link(self, day: Day | None) -> NamedLink | None:
        if day is None:
            return None
        return NamedLink(format_day(day.date), self.link(urls.day(day.date)))


class PaperView:
    """A paper as pages show it. Its rendered text is read only when a page shows it:
    most pages reuse a card made earlier in the process (see fragments.py)."""

    def __init__(self, views: Views, paper: Paper):
        self._views = views
        self.record = paper
        self.id = paper.id
        base = views.config.base_path
        self.published = paper.published
        self.day = paper.day
        self.venue = paper.venue
        self.upvotes = paper.upvotes
        self.thumbnail = site_url(paper.thumbnail, base) if paper.thumbnail else None
        self.url = views.link(urls.paper(paper.id))
        self.bibtex_url = views.link(urls.paper_bibtex(paper.id))
        self.day_url = views.link(urls.day(paper.day))
        self.cite_key = views.site.cite_keys[paper.id]

    @cached_property
    def _text(self) -> PaperText:
        return self._views.texts.get(self.id) or paper_text(self.record)

    @property
    def title(self) -> Markup:
        return self._text.title.html

    @property
    def title_text(self) -> str:
        return self._text.title.text

    @cached_property
    def abstract(self) -> Markup:
        return Markup(rebase_urls(self._text.abstract.html, self._views.config.base_path))

    @cached_property
    def abstract_excerpt(self) -> Markup:
        """The abstract's first words (markup.EXCERPT_WORDS), for listing cards."""
        excerpt = self._text.abstract.excerpt
        if excerpt is None or excerpt == self._text.abstract.html:
            return self.abstract
        return Markup(rebase_urls(excerpt, self._views.config.base_path))

    @property
    def abstract_text(self) -> str:
        return self._text.abstract.text

    @cached_property
    def authors(self) -> list[NamedLink]:
        return [self._views.author_link(s) for s in self._views.site.paper_authors[self.id]]

    @cached_property
    def tags(self) -> list[NamedLink]:
        return [self._views.tag_link(s) for s in self._views.site.paper_tags[self.id]]

    @cached_property
    def links(self) -> list[Link]:
        out = []
        for kind, url in self.record.links:
            label = LINK_LABELS.get(kind, kind.replace("_", " ").capitalize())
            out.append(Link(label, site_url(url, self._views.config.base_path), kind))
        return out

    @cached_property
    def affiliations(self) -> list[tuple[str, str]]:
        return [(c.name, c.affiliation) for c in self.record.authors if c.affiliation]


class AuthorView:
    def __init__(self, views: Views, author: Author):
        self._views = views
        self.record = author
        self.slug = author.slug
        self.name = author.name
        self.affiliation = author.affiliation
        self.homepage = site_url(author.url, views.config.base_path) if author.url else None
        self.orcid = author.orcid
        self.bio = author.bio
        self.url = views.link(urls.author(author.slug))
        self.feed_url = views.link(urls.author_feed(author.slug))
        self.count = len(author.papers)

    @cached_property
    def topics(self) -> "LinkedCounts":
        return LinkedCounts(self.record.topics, self._views.tag_link)

    @cached_property
    def coauthors(self) -> "LinkedCounts":
        return LinkedCounts(self.record.coauthors, self._views.author_link)


class LinkedCounts(Sequence):
    """(link, count) pairs made as a page reads them: a prolific author has 1,800
    co-authors, a page shows 30 of them and the number of the rest."""

    def __init__(self, pairs: Sequence[tuple[str, int]], link):
        self._pairs, self._link = pairs, link

    def __len__(self) -> int:
        return len(self._pairs)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [(self._link(slug), count) for slug, count in self._pairs[index]]
        slug, count = self._pairs[index]
        return self._link(slug), count


@dataclass(frozen=True)
class Pagination:
    number: int
    total: int
    first_path: str
    link_of: object  # callable site path → link

    @property
    def paginated(self) -> bool:
        return self.total > 1

    def url(self, number: int) -> str:
        return self.link_of(urls.page(self.first_path, number))

    @property
    def prev_url(self) -> str | None:
        return self.url(self.number - 1) if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.number + 1) if self.number < self.total else None

    @property
    def pages(self) -> list[tuple[int, str] | None]:
        """The pages a pager links: the first, the last, and those within PAGER_REACH of
        this one, None where pages are left out. Every page of every listing linked from
        every page of it grew with the square of its length: a topic of 100,000 papers'
        546 pages each listed all 546."""
        shown = sorted({1, self.total} | set(range(max(1, self.number - PAGER_REACH),
                                                     min(self.total, self.number + PAGER_REACH) + 1)))
        out: list[tuple[int, str] | None] = []
        last = 0
        for number in shown:
            if number - last == 2:  # one page left out: linked rather than an ellipsis
                out.append((last + 1, self.url(last + 1)))
            elif number - last > 2:
                out.append(None)
            out.append((number, self.url(number)))
            last = number
        return out


def page_count(items: int, per_page: int) -> int:
    return max(1, math.ceil(items / per_page))


def page_slice(items: Sequence, number: int, per_page: int) -> Sequence:
    return items[(number - 1) * per_page: number * per_page]


def format_day(when) -> str:
    return f"{when:%a} {when.day} {when:%B %Y}"
