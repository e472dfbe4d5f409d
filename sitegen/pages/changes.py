"""What differs between the model of the last plan and this one, so that the plan can
keep the last plan's tasks and digests of everything else (`sitegen serve`, and a fresh
`sitegen build` that took the last plan up from its snapshot)."""

from __future__ import annotations

from typing import Mapping

from sitegen.content.model import Site


class Changes:
    """Which papers, authors and tags show something different from the last plan.

    A paper is dirty if its record, its cite key or the name of one of its authors or
    tags changed; an author if its record changed, it shows a dirty paper, or a
    co-author or topic it names was renamed; a tag likewise. The model reuses the very
    record objects an edit did not touch, so most of this is identity checks. `last`:
    the last plan (plan.Plan), or None: everything is new.
    """

    def __init__(self, site: Site, last):
        self.paper_digests: dict[str, str] = {}
        self.people_digests: dict[str, str] = {}
        self.cite_digests: dict[str, str] = {}
        self.papers: set[str] = set()
        self.authors: set[str] = set()
        self.tags: set[str] = set()
        self.last = last
        if last is None:
            return
        old = last.site
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
        self.paper_digests = _without(last.paper_digests, dirty)
        self.cite_digests = _without(last.cite_digests, dirty)
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
        self.people_digests = _without(last.people_digests, self.authors)

    def kept(self, group: str) -> dict:
        """The last plan's tasks of each record of this group (check the dirty keys before use)."""
        return self.last.groups.get(group, {}) if self.last is not None else {}

    def kept_stamps(self, group: str) -> dict:
        return self.last.stamps.get(group, {}) if self.last is not None else {}


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
