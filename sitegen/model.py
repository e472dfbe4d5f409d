"""The site model: frozen records and the indexes between them, built once.

Relations are keys (paper ids, author and tag slugs), not object references, so the
model pickles cheaply to worker processes and every page can say exactly which
records it shows.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Iterable, Mapping

from slugify import slugify

# Papers with more authors than this (large collaborations) do not count towards
# co-authorship: every pair would make the cost grow with the square of the list.
MAX_COAUTHORED_AUTHORS = 100
SLUG_MAX_LENGTH = 80


@dataclass(frozen=True)
class Credit:
    """An author as credited on one paper."""

    name: str
    affiliation: str | None = None
    orcid: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Paper:
    id: str
    title: str
    authors: tuple[Credit, ...]
    abstract: str
    published: date
    day: date
    tags: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    venue: str | None = None
    upvotes: int = 0
    thumbnail: str | None = None
    draft: bool = False
    source: str = ""
    line: int = 0
    # Digests of what the entry says (all fields; title and abstract), made once when
    # the entry is read and kept in the parse cache: page digests are built from them.
    fingerprint: str = field(default="", compare=False, repr=False)
    text_key: str = field(default="", compare=False, repr=False)

    def __post_init__(self):
        shown = (self.id, self.title, self.authors, self.abstract, self.published, self.day, self.tags,
                 self.links, self.venue, self.upvotes, self.thumbnail, self.draft)
        object.__setattr__(self, "fingerprint", _hash(repr(shown)))
        object.__setattr__(self, "text_key", _hash(f"{self.title}\0{self.abstract}"))


@dataclass(frozen=True)
class Profile:
    """An entry of authors.yaml."""

    name: str
    aliases: tuple[str, ...] = ()
    affiliation: str | None = None
    url: str | None = None
    orcid: str | None = None
    bio: str | None = None


@dataclass(frozen=True)
class Author:
    slug: str
    name: str
    papers: tuple[str, ...]  # ids, newest first
    coauthors: tuple[tuple[str, int], ...]  # (slug, shared papers), most shared first
    topics: tuple[tuple[str, int], ...] = ()  # (tag slug, papers), most papers first
    affiliation: str | None = None
    url: str | None = None
    orcid: str | None = None
    bio: str | None = None
    has_profile: bool = False


@dataclass(frozen=True)
class Day:
    date: date
    papers: tuple[str, ...]  # ids by upvotes, then title


@dataclass(frozen=True)
class Period:
    """A week ('2024-W11') or a month ('2024-03') of listing days."""

    key: str
    start: date
    end: date
    papers: tuple[str, ...]  # ids by upvotes, then title


@dataclass(frozen=True)
class Tag:
    slug: str
    name: str
    papers: tuple[str, ...]  # ids, newest listing day first


@dataclass(frozen=True)
class Site:
    papers: Mapping[str, Paper]
    newest: tuple[str, ...]  # every id: newest day first, then upvotes, then title
    authors: Mapping[str, Author]
    author_order: tuple[str, ...]  # slugs, A–Z
    paper_authors: Mapping[str, tuple[str, ...]]  # id → author slugs in credit order
    days: tuple[Day, ...]  # newest first
    weeks: tuple[Period, ...]  # newest first
    months: tuple[Period, ...]  # newest first
    tags: Mapping[str, Tag]
    tag_order: tuple[str, ...]  # slugs, A–Z
    paper_tags: Mapping[str, tuple[str, ...]]  # id → tag slugs
    cite_keys: Mapping[str, str]  # id → BibTeX key


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def sort_key_text(text: str) -> str:
    return make_slug(text, "") or text.casefold()


def _listing_order(paper: Paper):
    return (-paper.day.toordinal(), -paper.upvotes, paper.title.casefold(), paper.id)


def _day_order(paper: Paper):
    return (-paper.upvotes, paper.title.casefold(), paper.id)


def _works_order(paper: Paper):
    return (-paper.published.toordinal(), -paper.day.toordinal(), paper.title.casefold(), paper.id)


_PLAIN = re.compile(r"[A-Za-z0-9 .'_-]*")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def make_slug(text: str, fallback: str) -> str:
    """python-slugify's slug; plain ASCII names take a shortcut that gives the same result."""
    if len(text) <= SLUG_MAX_LENGTH and _PLAIN.fullmatch(text):
        slug = _NOT_ALNUM.sub("-", text.lower()).strip("-")
    else:
        slug = slugify(text, max_length=SLUG_MAX_LENGTH, word_boundary=True)
    return slug or fallback


def assign_slugs(names: Iterable[str], fallback: str, first_seen: Mapping[str, object]) -> dict[str, str]:
    """Unique, stable slugs. Names that slug alike keep the plain slug in order of
    first appearance; later ones get `-2`, `-3`, never taking another name's slug."""
    natural = {name: make_slug(name, fallback) for name in names}
    reserved = set(natural.values())
    groups: dict[str, list[str]] = defaultdict(list)
    for name, slug in natural.items():
        groups[slug].append(name)
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for base in sorted(groups):
        members = sorted(groups[base], key=lambda n: (first_seen[n], n))
        slugs[members[0]] = base
        taken.add(base)
        counter = 2
        for name in members[1:]:
            while f"{base}-{counter}" in reserved or f"{base}-{counter}" in taken:
                counter += 1
            slugs[name] = f"{base}-{counter}"
            taken.add(slugs[name])
    return slugs


def _alias_table(profiles: Iterable[Profile]) -> dict[str, Profile]:
    table = {}
    for profile in profiles:
        for spelling in (profile.name, *profile.aliases):
            table[unicodedata.normalize("NFC", spelling)] = profile
    return table


_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset("a an the on of in for and to with from via by at is are as how why what when "
                       "towards toward".split())


def _ascii_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _WORD.findall(folded)


def cite_key_base(paper: Paper) -> str:
    """'poli2022monarch': first author's family name, year, first significant title word."""
    names = paper.authors[0].name.split()
    family = "".join(_ascii_words(names[-1])) if names else ""
    words = [w for w in _ascii_words(re.sub(r"\$[^$]*\$", " ", paper.title)) if w not in _STOPWORDS]
    return f"{family or 'anon'}{paper.published.year}{words[0] if words else 'paper'}"


def assign_cite_keys(papers: Iterable[Paper]) -> dict[str, str]:
    groups: dict[str, list[Paper]] = defaultdict(list)
    for paper in papers:
        groups[cite_key_base(paper)].append(paper)
    keys = {}
    for base, members in groups.items():
        members.sort(key=lambda p: (p.published, p.id))
        for index, paper in enumerate(members):
            keys[paper.id] = base if index == 0 else base + _letters(index)
    return keys


def _letters(index: int) -> str:
    """1 → 'b', 2 → 'c', … 25 → 'z', 26 → 'zb': the second paper of a key is 'b', as in 2022b."""
    return "z" * ((index - 1) // 25) + chr(ord("a") + 1 + (index - 1) % 25)


def build_site(papers: Iterable[Paper], profiles: Iterable[Profile] = ()) -> Site:
    """Index every paper in one pass, then derive authors, days and tags."""
    ordered = sorted(papers, key=_listing_order)
    by_id = {p.id: p for p in ordered}
    aliases = _alias_table(profiles)

    author_papers: dict[str, list[Paper]] = defaultdict(list)
    author_first: dict[str, tuple] = {}
    credits: dict[str, Credit] = {}
    paper_names: dict[str, tuple[str, ...]] = {}
    day_papers: dict[date, list[Paper]] = defaultdict(list)
    tag_papers: dict[str, list[Paper]] = defaultdict(list)
    tag_spellings: dict[str, Counter] = defaultdict(Counter)
    tag_first: dict[str, tuple] = {}
    paper_tag_keys: dict[str, tuple[str, ...]] = {}

    for paper in ordered:
        names = []
        for credit in paper.authors:
            profile = aliases.get(credit.name)
            name = profile.name if profile else credit.name
            if name in names:
                continue
            names.append(name)
            author_papers[name].append(paper)
            first = (paper.day, paper.id)
            if name not in author_first or first < author_first[name]:
                author_first[name] = first
            if name not in credits and (credit.affiliation or credit.url or credit.orcid):
                credits[name] = credit
        paper_names[paper.id] = tuple(names)
        day_papers[paper.day].append(paper)
        keys = []
        for tag in paper.tags:
            key = tag.casefold()
            if key in keys:
                continue
            keys.append(key)
            tag_papers[key].append(paper)
            tag_spellings[key][tag] += 1
            first = (paper.day, paper.id)
            if key not in tag_first or first < tag_first[key]:
                tag_first[key] = first
        paper_tag_keys[paper.id] = tuple(keys)

    author_slugs = assign_slugs(author_papers, "author", author_first)
    tag_names = {key: max(sorted(c), key=c.__getitem__) for key, c in tag_spellings.items()}
    tag_slugs_by_name = assign_slugs(tag_names.values(), "tag", {tag_names[k]: v for k, v in tag_first.items()})
    tag_slugs = {key: tag_slugs_by_name[name] for key, name in tag_names.items()}

    paper_authors = {pid: tuple(author_slugs[n] for n in names) for pid, names in paper_names.items()}
    paper_tags = {pid: tuple(tag_slugs[k] for k in keys) for pid, keys in paper_tag_keys.items()}
    profile_by_name = {p.name: p for p in profiles}
    authors = {}
    for name, works in author_papers.items():
        slug = author_slugs[name]
        profile = profile_by_name.get(name)
        credit = credits.get(name, Credit(name))
        authors[slug] = Author(
            slug=slug,
            name=name,
            papers=tuple(p.id for p in sorted(works, key=_works_order)),
            coauthors=_coauthors(slug, works, paper_authors),
            topics=_ranked(Counter(t for p in works for t in paper_tags[p.id])),
            affiliation=(profile and profile.affiliation) or credit.affiliation,
            url=(profile and profile.url) or credit.url,
            orcid=(profile and profile.orcid) or credit.orcid,
            bio=profile.bio if profile else None,
            has_profile=profile is not None,
        )

    tags = {
        tag_slugs[key]: Tag(tag_slugs[key], tag_names[key], tuple(p.id for p in works))
        for key, works in tag_papers.items()
    }
    days = tuple(
        Day(day, tuple(p.id for p in sorted(works, key=_day_order)))
        for day, works in sorted(day_papers.items(), reverse=True)
    )
    return Site(
        weeks=_periods(day_papers, week_key),
        months=_periods(day_papers, month_key),
        papers=MappingProxyType(by_id),
        newest=tuple(by_id),
        authors=MappingProxyType(authors),
        author_order=tuple(sorted(authors, key=lambda s: (sort_key_text(authors[s].name), authors[s].name))),
        paper_authors=MappingProxyType(paper_authors),
        days=days,
        tags=MappingProxyType(tags),
        tag_order=tuple(sorted(tags, key=lambda s: (sort_key_text(tags[s].name), tags[s].name))),
        paper_tags=MappingProxyType(paper_tags),
        cite_keys=MappingProxyType(assign_cite_keys(ordered)),
    )


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def _periods(day_papers: dict[date, list[Paper]], key_of) -> tuple[Period, ...]:
    grouped: dict[str, list[date]] = defaultdict(list)
    for day in day_papers:
        grouped[key_of(day)].append(day)
    periods = []
    for key, days in grouped.items():
        works = [p for day in days for p in day_papers[day]]
        periods.append(Period(key, min(days), max(days), tuple(p.id for p in sorted(works, key=_day_order))))
    return tuple(sorted(periods, key=lambda p: p.start, reverse=True))


def _coauthors(slug: str, works: list[Paper], paper_authors) -> tuple[tuple[str, int], ...]:
    counts: Counter = Counter()
    for paper in works:
        slugs = paper_authors[paper.id]
        if len(slugs) > MAX_COAUTHORED_AUTHORS:
            continue
        counts.update(s for s in slugs if s != slug)
    return _ranked(counts)


def _ranked(counts: Counter) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
