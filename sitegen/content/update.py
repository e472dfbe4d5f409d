"""The model after an edit, derived from the model before it.

`sitegen serve` keeps the last Site. When a few papers changed, only the records they
touch are made again: their authors (and co-authors), tags, days, weeks, months and
cite key groups. Every other record is the very object of the previous model, which
lets the plan skip it by identity. The result equals `build_site` of the same papers
(tests check it on random edits); anything an update cannot do exactly — a profile
change, a slug that would move to another name, many changed papers — returns None
and the caller builds the model whole.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from datetime import date
from typing import Iterable

from sitegen.content.model import (Author, Day, Paper, Profile, Site, SiteIndex, Tag, _first_seen, _tag_name, _tag_slugs,
                           assemble, assign_slugs, author_record, cite_key_base, cite_keys_of, credited_names,
                           day_record, listing_order, make_slug, month_key, period_record, tag_spellings, week_key)

# An update is worth it for a few files' papers; past this share a whole build is as quick.
MAX_SHARE = 8


def update_site(previous: Site, papers: Iterable[Paper], profiles: Iterable[Profile] = ()) -> Site | None:
    """`build_site(papers, profiles)`, made from `previous`; None when that cannot be exact."""
    index = previous.index
    profiles = tuple(profiles)
    if index is None or profiles != index.profiles:
        return None
    old = previous.papers.copy()  # a dict: looked up 10,000 times, faster than through the proxy
    new: dict[str, Paper] = {}
    changed: list[Paper] = []
    for paper in papers:
        before = old.get(paper.id)
        if before is paper or before == paper:
            new[paper.id] = before
        else:
            new[paper.id] = paper
            changed.append(paper)
    removed = [i for i in old if i not in new]
    if not changed and not removed:
        return previous
    if len(changed) + len(removed) > max(64, len(new) // MAX_SHARE):
        return None
    return _Update(previous, new, changed, removed).site()


class _Update:
    def __init__(self, previous: Site, new: dict[str, Paper], changed: list[Paper], removed: list[str]):
        self.previous = previous
        self.index: SiteIndex = previous.index
        self.touched = {p.id for p in changed} | set(removed)
        self.before = [previous.papers[i] for i in self.touched if i in previous.papers]
        self.changed = changed
        # The papers that did not change keep their order: the changed ones are put in
        # place, rather than sorting every paper again.
        order = [i for i in previous.newest if i not in self.touched]
        for paper in changed:
            bisect.insort(order, paper.id, key=lambda i: listing_order(new[i]))
        self.by_id = {i: new[i] for i in order}

    def site(self) -> Site | None:
        tags = self._tags()
        if tags is None:
            return None
        authors = self._authors(tags[2])
        if authors is None:
            return None
        days, periods = self._days()
        cite_keys, cite_bases, cite_groups = self._cite_keys()
        index = SiteIndex(self.index.profiles, self.index.aliases, authors[3], authors[4], authors[5], tags[4],
                          cite_bases, cite_groups)
        return assemble(self.by_id, authors[0], authors[1], days, tags[0], tags[2], cite_keys, index,
                        author_order=authors[2], tag_order=tags[1], periods=periods)

    def _works(self, previous_ids: Iterable[str], additions: list[Paper]) -> list[Paper]:
        """A record's papers after the edit, in listing order."""
        kept = [self.by_id[i] for i in previous_ids if i not in self.touched]
        return sorted(kept + additions, key=listing_order)

    def _tags(self):
        previous, index = self.previous, self.index
        if self._tags_kept():
            return previous.tags, previous.tag_order, previous.paper_tags.copy(), None, index.tag_first
        slug_of_key = {tag.name.casefold(): slug for slug, tag in previous.tags.items()}
        added: dict[str, list[Paper]] = defaultdict(list)
        new_keys: dict[str, tuple[str, ...]] = {}
        for paper in self.changed:
            new_keys[paper.id] = tuple(tag_spellings(paper))
            for key in new_keys[paper.id]:
                added[key].append(paper)
        affected = set(added) | {previous.tags[s].name.casefold() for p in self.before
                                 for s in previous.paper_tags[p.id]}
        works = {}
        for key in affected:
            slug = slug_of_key.get(key)
            works[key] = self._works(previous.tags[slug].papers if slug else (), added.get(key, []))
        names = {key: previous.tags[slug].name for key, slug in slug_of_key.items()}
        first = dict(index.tag_first)
        for key, papers in works.items():
            if papers:
                names[key], first[key] = _tag_name(key, papers), _first_seen(papers)
            else:
                del names[key], first[key]
        slugs = _tag_slugs(names, first)
        if any(slugs.get(key, slug) != slug for key, slug in slug_of_key.items()):
            return None  # a tag would move to another address: build whole
        tags = dict(previous.tags)
        for key in affected:
            if key in slug_of_key:
                del tags[slug_of_key[key]]
        for key, papers in works.items():
            if papers:
                tags[slugs[key]] = Tag(slugs[key], names[key], tuple(p.id for p in papers))
        paper_tags = _updated(previous.paper_tags, self.touched,
                              {pid: tuple(slugs[k] for k in keys) for pid, keys in new_keys.items()})
        same_names = all(previous.tags.get(slugs[k]) is not None and previous.tags[slugs[k]].name == names[k]
                         for k in works if works[k]) and len(tags) == len(previous.tags)
        order = previous.tag_order if same_names else None
        return tags, order, paper_tags, slugs, first

    def _tags_kept(self) -> bool:
        """No topic can differ: every changed paper was there before with the same topics
        and the same place in the listing (an edited abstract, say). Naming a topic
        counts every paper of it; a popular one has thousands."""
        if len(self.before) != len(self.changed):
            return False
        papers = self.previous.papers
        for paper in self.changed:
            before = papers.get(paper.id)
            if before is None or before.tags != paper.tags or listing_order(before) != listing_order(paper):
                return False
        return True

    def _authors(self, paper_tags):
        previous, index = self.previous, self.index
        added: dict[str, list[Paper]] = defaultdict(list)
        new_names: dict[str, tuple[str, ...]] = {}
        for paper in self.changed:
            new_names[paper.id] = credited_names(paper, index.aliases)
            for name in new_names[paper.id]:
                added[name].append(paper)
        affected = set(added) | {previous.authors[s].name for p in self.before for s in previous.paper_authors[p.id]}
        works = {name: self._works(previous.authors[index.author_slugs[name]].papers
                                   if name in index.author_slugs else (), added.get(name, []))
                 for name in affected}
        first, natural = dict(index.author_first), dict(index.author_natural)
        for name, papers in works.items():
            if papers:
                first[name] = _first_seen(papers)
                if name not in natural:
                    natural[name] = make_slug(name, "author")
            else:
                del first[name], natural[name]
        names_kept = all(name in index.author_slugs for name in added) and all(works[n] for n in affected)
        if names_kept and all(first[n] == index.author_first[n] for n in affected):
            slugs = index.author_slugs  # same names, same order of first appearance: same slugs
        else:
            slugs = assign_slugs(first, "author", first, natural)
            if any(slugs.get(name, slug) != slug for name, slug in index.author_slugs.items()):
                return None  # an author would move to another address: build whole
        paper_authors = _updated(previous.paper_authors, self.touched,
                                 {pid: tuple(slugs[n] for n in names) for pid, names in new_names.items()})
        profiles = {p.name: p for p in index.profiles}
        authors: dict[str, Author] = dict(previous.authors)
        for name in affected:
            if name in index.author_slugs:
                del authors[index.author_slugs[name]]
        for name, papers in works.items():
            if papers:
                authors[slugs[name]] = author_record(slugs[name], name, papers, paper_authors, paper_tags,
                                                     profiles.get(name), index.aliases)
        order = previous.author_order if names_kept else None
        return authors, paper_authors, order, slugs, first, natural

    def _days(self):
        previous = self.previous
        days: dict[date, Day] = {day.date: day for day in previous.days}
        added: dict[date, list[Paper]] = defaultdict(list)
        for paper in self.changed:
            added[paper.day].append(paper)
        affected = set(added) | {p.day for p in self.before}
        for when in affected:
            papers = [self.by_id[i] for i in (days[when].papers if when in days else ()) if i not in self.touched]
            papers += added.get(when, [])
            if papers:
                days[when] = day_record(when, papers)
            else:
                days.pop(when, None)
        ordered = [days[d] for d in sorted(days, reverse=True)]
        return days, (self._periods(previous.weeks, ordered, affected, week_key),
                      self._periods(previous.months, ordered, affected, month_key))

    def _periods(self, previous, days: list[Day], affected: set[date], key_of):
        keys = {key_of(d) for d in affected}
        members: dict[str, list[Day]] = defaultdict(list)
        for day in days:
            key = key_of(day.date)
            if key in keys:
                members[key].append(day)
        periods = [p for p in previous if p.key not in keys]
        periods += [period_record(key, group, self.by_id) for key, group in members.items()]
        return tuple(sorted(periods, key=lambda p: p.start, reverse=True))

    def _cite_keys(self):
        previous, index = self.previous, self.index
        bases = dict(index.cite_bases)
        groups = dict(index.cite_groups)
        affected = {bases.pop(i) for i in self.touched if i in bases}
        for paper in self.changed:
            bases[paper.id] = cite_key_base(paper)
            affected.add(bases[paper.id])
        keys = _updated(previous.cite_keys, self.touched, {})
        for base in affected:
            members = [i for i in groups.get(base, ()) if i not in self.touched]
            members += [p.id for p in self.changed if bases[p.id] == base]
            if members:
                groups[base] = tuple(members)
                keys.update(cite_keys_of(base, (self.by_id[i] for i in members)))
            else:
                groups.pop(base, None)
        return keys, bases, groups


def _updated(mapping, touched: set[str], values: dict) -> dict:
    """A copy of an id-keyed mapping without the touched ids, plus `values`. (The model's
    mappings are read-only proxies: copy() copies the dict behind one at C speed, where
    dict() of it iterates through the proxy, 20 times slower.)"""
    out = mapping.copy()
    for paper_id in touched:
        out.pop(paper_id, None)
    out.update(values)
    return out
