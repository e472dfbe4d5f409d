"""The site model: frozen records and the indexes between them, built once.

Relations are keys (paper ids, author and tag slugs), not object references, so the
model pickles cheaply to worker processes and every page can say exactly which
records it shows.
"""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field, fields
from operator import attrgetter
from datetime import date
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping, Sequence

from slugify import slugify

# Papers with more authors than this (large collaborations) do not count towards
# co-authorship: every pair would make the cost grow with the square of the list.
MAX_COAUTHORED_AUTHORS = 100
SLUG_MAX_LENGTH = 80


def _quick_pickle(cls=None, *, shared: dict[str, str] | None = None):
    """Slotted dataclasses pickle through `dataclasses.fields()` once per object, and
    every build unpickles every parsed paper and credit from the parse cache.

    `shared`: field → name of a function of this module that the field's value goes
    through when unpickled (share_credits, share_strings, share_links, share_date), as it does
    when the object is made. `_setstate_as_pickled` sets the state without them, for a
    pickle whose memo already shares what the objects shared when dumped (engine/snapshot.py)."""
    if cls is None:
        return lambda cls: _quick_pickle(cls, shared=shared)
    names = tuple(f.name for f in fields(cls))
    state_of = attrgetter(*names)

    def __getstate__(self):
        return state_of(self)

    # Set each slot through its descriptor, in code made for this class: no loop, no
    # object.__setattr__ name lookup (a paper: 2.9 µs -> 1.2 µs; 600,000 objects at
    # 100,000 papers).
    setters = {f"_set{n}": cls.__dict__[name].__set__ for n, name in enumerate(names)}
    setters.update(globals())
    value = lambda n, name: f"{shared[name]}(state[{n}])" if shared and name in shared else f"state[{n}]"

    def setter(function: str, value) -> None:
        lines = "".join(f"\n        _set{n}(self, {value(n, name)})" for n, name in enumerate(names))
        exec(f"def {function}(self, state):\n    if len(state) != {len(names)}:\n"
             f"        raise ValueError('a {cls.__name__} of another layout')\n    else:{lines}\n", setters)

    setter("__setstate__", value)
    setter("_setstate_as_pickled", lambda n, name: f"state[{n}]")
    cls.__getstate__, cls.__setstate__ = __getstate__, setters["__setstate__"]
    cls._setstate_as_pickled = setters["_setstate_as_pickled"]
    return cls


# Equal parts of papers as one object each. Every paper is unpickled on its own (from
# the parse cache, from a parse worker), so without this a prolific author's credit,
# a topic's name and a listing day are copied once per paper: 730 bytes a paper, and
# each render process copies the part of the model it touches.
_CREDITS: dict = {}
_DATES: dict = {}
SHARED_LIMIT = 1 << 20  # values remembered before starting again (`sitegen serve` runs for days)


def share_credits(credits: tuple) -> tuple:
    table = _CREDITS
    if len(table) > SHARED_LIMIT:
        table.clear()
    return tuple([table.setdefault(credit, credit) for credit in credits])


def share_strings(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(map(sys.intern, values))


def share_links(links: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple([(sys.intern(kind), url) for kind, url in links])


def share_date(value: date) -> date:
    table = _DATES
    if len(table) > SHARED_LIMIT:
        table.clear()
    return table.setdefault(value, value)


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Credit:
    """An author as credited on one paper."""

    name: str
    affiliation: str | None = None
    orcid: str | None = None
    url: str | None = None


_PAPER_SHARED = {"authors": "share_credits", "published": "share_date", "day": "share_date",
                  "tags": "share_strings", "links": "share_links"}


@_quick_pickle(shared=_PAPER_SHARED)
@dataclass(frozen=True, slots=True)
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
    # (field, URL as written, line) of each link, thumbnail or author URL that is a path
    # in the site rather than an http(s) URL, for the build to check that the site has
    # it (pages/links.py). Empty for most papers, and not in the
    # fingerprint: where a link is written is not something pages show.
    site_links: tuple[tuple[str, str, int], ...] = ()
    # Digests of what the entry says (all fields; title and abstract), made once when
    # the entry is read and kept in the parse cache: page digests are built from them.
    fingerprint: str = field(default="", compare=False, repr=False)
    text_key: str = field(default="", compare=False, repr=False)

    def __post_init__(self):
        for name, share in _PAPER_SHARED.items():
            object.__setattr__(self, name, globals()[share](getattr(self, name)))
        shown = (self.id, self.title, self.authors, self.abstract, self.published, self.day, self.tags,
                 self.links, self.venue, self.upvotes, self.thumbnail, self.draft)
        object.__setattr__(self, "fingerprint", _hash(repr(shown)))
        object.__setattr__(self, "text_key", _hash(f"{self.title}\0{self.abstract}"))


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Profile:
    """An entry of authors.yaml."""

    name: str
    aliases: tuple[str, ...] = ()
    affiliation: str | None = None
    url: str | None = None
    orcid: str | None = None
    bio: str | None = None
    site_links: tuple[tuple[str, str, int], ...] = ()  # as Paper.site_links: its `url`, if a path in the site


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Ranked(Sequence):
    """(slug, count) pairs, most first, kept as two tuples rather than a tuple of pairs:
    at 100,000 papers authors have 1.7 million co-authorships, and a pair costs 64
    bytes where a slug and a count in two tuples cost 16 (each render process copies
    what it touches of the model, so the model's size counts twice)."""

    slugs: tuple[str, ...] = ()
    counts: tuple[int, ...] = ()

    @classmethod
    def of(cls, counts: Counter) -> "Ranked":
        pairs = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        return cls(tuple(k for k, _ in pairs), tuple(n for _, n in pairs))

    def __len__(self) -> int:
        return len(self.slugs)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return list(zip(self.slugs[index], self.counts[index]))
        return self.slugs[index], self.counts[index]

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return zip(self.slugs, self.counts)


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Author:
    slug: str
    name: str
    papers: tuple[str, ...]  # ids, newest first
    coauthors: Ranked  # (slug, shared papers), most shared first
    topics: Ranked = Ranked()  # (tag slug, papers), most papers first
    affiliation: str | None = None
    url: str | None = None
    orcid: str | None = None
    bio: str | None = None
    has_profile: bool = False


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Day:
    date: date
    papers: tuple[str, ...]  # ids by upvotes, then title


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Period:
    """A week ('2024-W11') or a month ('2024-03') of listing days."""

    key: str
    start: date
    end: date
    papers: tuple[str, ...]  # ids by upvotes, then title


@_quick_pickle
@dataclass(frozen=True, slots=True)
class Tag:
    slug: str
    name: str
    papers: tuple[str, ...]  # ids, newest listing day first


@dataclass(frozen=True, slots=True)
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
    index: "SiteIndex | None" = field(default=None, compare=False, repr=False)

    def __getstate__(self):
        """Its read-only mappings pickle as the dicts they show (engine/snapshot.py)."""
        return tuple(dict(value) if isinstance(value, MappingProxyType) else value
                     for value in _site_fields(self))

    def __setstate__(self, state):
        for name, value in zip(_SITE_FIELDS, state):
            object.__setattr__(self, name, MappingProxyType(value) if name in _SITE_MAPPINGS else value)


_SITE_FIELDS = tuple(f.name for f in fields(Site))
_SITE_MAPPINGS = {"papers", "authors", "paper_authors", "tags", "paper_tags", "cite_keys"}
_site_fields = attrgetter(*_SITE_FIELDS)


def _hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def sort_key_text(text: str) -> str:
    return make_slug(text, "") or text.casefold()


def listing_order(paper: Paper):
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


def assign_slugs(names: Iterable[str], fallback: str, first_seen: Mapping[str, object],
                 natural: Mapping[str, str] | None = None) -> dict[str, str]:
    """Unique, stable slugs. Names that slug alike keep the plain slug in order of
    first appearance; later ones get `-2`, `-3`, never taking another name's slug.
    `natural` may give names' plain slugs already made."""
    natural = {name: natural[name] if natural and name in natural else make_slug(name, fallback)
               for name in names}
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


def cite_keys_of(base: str, members: Iterable[Paper]) -> dict[str, str]:
    """Keys for the papers sharing one cite key base: the oldest plain, then 'b', 'c', …"""
    ordered = sorted(members, key=lambda p: (p.published, p.id))
    return {paper.id: base + (_letters(index) if index else "") for index, paper in enumerate(ordered)}


def _letters(index: int) -> str:
    """1 → 'b', 2 → 'c', … 25 → 'z', 26 → 'zb': the second paper of a key is 'b', as in 2022b."""
    return "z" * ((index - 1) // 25) + chr(ord("a") + 1 + (index - 1) % 25)


def build_site(papers: Iterable[Paper], profiles: Iterable[Profile] = ()) -> Site:
    """Index every paper in one pass, then derive authors, days and tags."""
    profiles = tuple(profiles)
    ordered = sorted(papers, key=listing_order)
    by_id = {p.id: p for p in ordered}
    aliases = _alias_table(profiles)

    author_papers: dict[str, list[Paper]] = defaultdict(list)
    paper_names: dict[str, tuple[str, ...]] = {}
    day_papers: dict[date, list[Paper]] = defaultdict(list)
    tag_papers: dict[str, list[Paper]] = defaultdict(list)
    paper_tag_keys: dict[str, tuple[str, ...]] = {}
    for paper in ordered:
        names = credited_names(paper, aliases)
        for name in names:
            author_papers[name].append(paper)
        paper_names[paper.id] = names
        day_papers[paper.day].append(paper)
        keys = tuple(tag_spellings(paper))
        for key in keys:
            tag_papers[key].append(paper)
        paper_tag_keys[paper.id] = keys

    author_first = {name: _first_seen(works) for name, works in author_papers.items()}
    author_natural = {name: make_slug(name, "author") for name in author_papers}
    author_slugs = assign_slugs(author_papers, "author", author_first, author_natural)
    tag_names = {key: _tag_name(key, works) for key, works in tag_papers.items()}
    tag_first = {key: _first_seen(works) for key, works in tag_papers.items()}
    tag_slugs = _tag_slugs(tag_names, tag_first)

    paper_authors = {pid: tuple(author_slugs[n] for n in names) for pid, names in paper_names.items()}
    paper_tags = {pid: tuple(tag_slugs[k] for k in keys) for pid, keys in paper_tag_keys.items()}
    profile_by_name = {p.name: p for p in profiles}
    authors = {author_slugs[name]: author_record(author_slugs[name], name, works, paper_authors, paper_tags,
                                                 profile_by_name.get(name), aliases)
               for name, works in author_papers.items()}
    tags = {tag_slugs[key]: Tag(tag_slugs[key], tag_names[key], tuple(p.id for p in works))
            for key, works in tag_papers.items()}
    days = {day: day_record(day, works) for day, works in day_papers.items()}
    cite_bases = {paper.id: cite_key_base(paper) for paper in ordered}
    cite_groups: dict[str, list[str]] = defaultdict(list)
    for paper_id, base in cite_bases.items():
        cite_groups[base].append(paper_id)
    cite_keys = {}
    for base, members in cite_groups.items():
        cite_keys.update(cite_keys_of(base, (by_id[i] for i in members)))
    index = SiteIndex(profiles, aliases, author_slugs, author_first, author_natural, tag_first, cite_bases,
                      {base: tuple(ids) for base, ids in cite_groups.items()})
    return assemble(by_id, authors, paper_authors, days, tags, paper_tags, cite_keys, index)


@_quick_pickle
@dataclass(frozen=True, slots=True)
class SiteIndex:
    """What an update of the model needs beyond the model itself (see content/update.py)."""

    profiles: tuple[Profile, ...]
    aliases: Mapping[str, Profile]
    author_slugs: Mapping[str, str]  # name → slug
    author_first: Mapping[str, tuple]  # name → (day, id) of its first paper
    author_natural: Mapping[str, str]  # name → slug before making slugs unique
    tag_first: Mapping[str, tuple]  # casefolded tag → (day, id)
    cite_bases: Mapping[str, str]  # id → cite key before the letter
    cite_groups: Mapping[str, tuple[str, ...]]  # cite key base → ids


def assemble(by_id: dict[str, Paper], authors: dict[str, Author], paper_authors: dict, days: dict[date, Day],
             tags: dict[str, Tag], paper_tags: dict, cite_keys: dict, index: SiteIndex,
             author_order: tuple[str, ...] | None = None, tag_order: tuple[str, ...] | None = None,
             periods: tuple[tuple[Period, ...], tuple[Period, ...]] | None = None) -> Site:
    """The Site of these records; orders and periods are derived unless given."""
    if author_order is None:
        author_order = tuple(sorted(authors, key=lambda s: (sort_key_text(authors[s].name), authors[s].name)))
    if tag_order is None:
        tag_order = tuple(sorted(tags, key=lambda s: (sort_key_text(tags[s].name), tags[s].name)))
    ordered_days = tuple(days[d] for d in sorted(days, reverse=True))
    weeks, months = periods or (periods_of(ordered_days, by_id, week_key), periods_of(ordered_days, by_id, month_key))
    return Site(
        papers=MappingProxyType(by_id),
        newest=tuple(by_id),
        authors=MappingProxyType({s: authors[s] for s in author_order}),
        author_order=author_order,
        paper_authors=MappingProxyType(paper_authors),
        days=ordered_days,
        weeks=weeks,
        months=months,
        tags=MappingProxyType({s: tags[s] for s in tag_order}),
        tag_order=tag_order,
        paper_tags=MappingProxyType(paper_tags),
        cite_keys=MappingProxyType(cite_keys),
        index=index,
    )


def credited_names(paper: Paper, aliases: Mapping[str, Profile]) -> tuple[str, ...]:
    """The paper's authors as the site names them (profile names for aliases), each once."""
    names: list[str] = []
    for credit in paper.authors:
        profile = aliases.get(credit.name)
        name = profile.name if profile else credit.name
        if name not in names:
            names.append(name)
    return tuple(names)


def tag_spellings(paper: Paper) -> dict[str, str]:
    """Casefolded tag → the paper's first spelling of it, in the paper's order."""
    spellings: dict[str, str] = {}
    for tag in paper.tags:
        spellings.setdefault(tag.casefold(), tag)
    return spellings


def _first_seen(works: Iterable[Paper]) -> tuple:
    return min((p.day, p.id) for p in works)


def _tag_name(key: str, works: Iterable[Paper]) -> str:
    """The spelling most papers use; A–Z first among equals."""
    counts = Counter(tag_spellings(p)[key] for p in works)
    return max(sorted(counts), key=counts.__getitem__)


def _tag_slugs(tag_names: Mapping[str, str], tag_first: Mapping[str, tuple]) -> dict[str, str]:
    by_name = assign_slugs(tag_names.values(), "tag", {tag_names[k]: v for k, v in tag_first.items()})
    return {key: by_name[name] for key, name in tag_names.items()}


def _credit(name: str, works: Iterable[Paper], aliases: Mapping[str, Profile]) -> Credit:
    """The first credit, in listing order, that says more than the name."""
    for paper in works:
        for credit in paper.authors:
            profile = aliases.get(credit.name)
            if (profile.name if profile else credit.name) == name:
                if credit.affiliation or credit.url or credit.orcid:
                    return credit
                break  # a name twice on one paper: its first credit counts
    return Credit(name)


def author_record(slug: str, name: str, works: list[Paper], paper_authors: Mapping[str, tuple[str, ...]],
                  paper_tags: Mapping[str, tuple[str, ...]], profile: Profile | None,
                  aliases: Mapping[str, Profile]) -> Author:
    """One author's record; `works` in listing order."""
    credit = _credit(name, works, aliases)
    return Author(
        slug=slug,
        name=name,
        papers=tuple(p.id for p in sorted(works, key=_works_order)),
        coauthors=_coauthors(slug, works, paper_authors),
        topics=Ranked.of(Counter(t for p in works for t in paper_tags[p.id])),
        affiliation=(profile and profile.affiliation) or credit.affiliation,
        url=(profile and profile.url) or credit.url,
        orcid=(profile and profile.orcid) or credit.orcid,
        bio=profile.bio if profile else None,
        has_profile=profile is not None,
    )


def day_record(day: date, works: Iterable[Paper]) -> Day:
    return Day(day, tuple(p.id for p in sorted(works, key=_day_order)))


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def periods_of(days: Iterable[Day], papers: Mapping[str, Paper], key_of) -> tuple[Period, ...]:
    """Weeks or months (by key_of) of these days, newest first."""
    grouped: dict[str, list[Day]] = defaultdict(list)
    for day in days:
        grouped[key_of(day.date)].append(day)
    return tuple(sorted((period_record(key, members, papers) for key, members in grouped.items()),
                        key=lambda p: p.start, reverse=True))


def period_record(key: str, days: list[Day], papers: Mapping[str, Paper]) -> Period:
    works = [papers[i] for day in days for i in day.papers]
    return Period(key, min(d.date for d in days), max(d.date for d in days),
                  tuple(p.id for p in sorted(works, key=_day_order)))


def _coauthors(slug: str, works: list[Paper], paper_authors) -> Ranked:
    counts: Counter = Counter()
    for paper in works:
        slugs = paper_authors[paper.id]
        if len(slugs) > MAX_COAUTHORED_AUTHORS:
            continue
        counts.update(s for s in slugs if s != slug)
    return Ranked.of(counts)
