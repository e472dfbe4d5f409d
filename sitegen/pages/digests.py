"""The digests a plan gives each page: of the records it shows, its template and the
settings. Each record's digest is computed once per plan, or taken from the last plan
when the record shows the same (changes.py)."""

from __future__ import annotations

from functools import cached_property
from typing import Mapping

from sitegen import __version__
from sitegen.config import Config
from sitegen.content.model import Site
from sitegen.pages.task import digest, joined_digest
from sitegen.pages.theme import Theme


class Digests:
    def __init__(self, site: Site, config: Config, theme: Theme, templates: Mapping[str, str | None]):
        self.site = site
        self.settings = digest(sorted(config.public_settings().items()), __version__)
        self._templates = {kind: theme.closure_digest(name) if name else "" for kind, name in templates.items()}
        # Settings and templates: what every page depends on. If they change, the last
        # plan's digests and tasks are not reused, nor fragments kept under them.
        self.context = (self.settings, tuple(digest for digest in self._templates.values() if digest))
        self.papers_digests: dict[str, str] = {}
        self.people_digests: dict[str, str] = {}
        self.cite_digests: dict[str, str] = {}
        self._with_abstract = config.bibtex_abstracts

    def keep(self, papers: dict[str, str], people: dict[str, str], cites: dict[str, str]) -> None:
        """Start from the last plan's digests of the records that show the same."""
        self.papers_digests, self.people_digests, self.cite_digests = papers, people, cites

    @cached_property
    def author_names(self) -> dict[str, str]:
        return {slug: author.name for slug, author in self.site.authors.items()}

    @cached_property
    def tag_names(self) -> dict[str, str]:
        return {slug: tag.name for slug, tag in self.site.tags.items()}

    def paper(self, paper_id: str) -> str:
        """What a paper's card shows: its record, its authors' and topics' names, its cite key."""
        found = self.papers_digests.get(paper_id)
        if found is None:
            site = self.site
            found = self.papers_digests[paper_id] = digest(
                site.papers[paper_id].fingerprint,
                [(s, site.authors[s].name) for s in site.paper_authors[paper_id]],
                [(s, site.tags[s].name) for s in site.paper_tags[paper_id]],
                site.cite_keys[paper_id],
            )
        return found

    def papers(self, ids) -> str:
        """One digest for a list of papers (a page's, a feed's): the most frequent call of
        a plan, as every paper is on a dozen pages."""
        known, paper = self.papers_digests, self.paper
        return joined_digest([known.get(i) or paper(i) for i in ids])

    def cite(self, paper_id: str) -> str:
        """What a paper's BibTeX entry shows (bibtex.entry): its record but the abstract,
        unless the site puts abstracts in, and its cite key. An abstract's edit then
        leaves the paper's cite.bib and its authors' works.bib as they were."""
        found = self.cite_digests.get(paper_id)
        if found is None:
            paper = self.site.papers[paper_id]
            found = self.cite_digests[paper_id] = digest(
                paper.id, paper.title, [c.name for c in paper.authors], paper.published, paper.tags, paper.links,
                paper.venue, self.site.cite_keys[paper_id], paper.text_key if self._with_abstract else "")
        return found

    def cites(self, ids) -> str:
        known, cite = self.cite_digests, self.cite
        return joined_digest([known.get(i) or cite(i) for i in ids])

    def people(self, slug: str) -> str:
        """An author's record and the names of the co-authors and topics it shows."""
        found = self.people_digests.get(slug)
        if found is None:
            author = self.site.authors[slug]
            # Co-authors and topics are (slug, count), in the record; their names are
            # looked up without a Python loop: a prolific author has hundreds.
            found = self.people_digests[slug] = digest(
                author, "\0".join(map(self.author_names.__getitem__, author.coauthors.slugs)),
                "\0".join(map(self.tag_names.__getitem__, author.topics.slugs)))
        return found

    def page(self, kind: str, *data) -> str:
        """A page's digest: its kind, its template, the settings and what it shows (`data`)."""
        return digest(kind, self._templates.get(kind, ""), self.settings, data)
