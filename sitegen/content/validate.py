"""Raw entries → Papers and Profiles, or Problems saying what is wrong and where."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any
from urllib.parse import unquote, urlsplit

from sitegen.content.identifiers import arxiv_id_of, arxiv_url, doi_of, doi_url
from sitegen.content.model import Credit, Paper, Profile
from sitegen.problems import Problem, did_you_mean
from sitegen.content.sources import RawEntry
from sitegen.yamlfile import LinedDict, LinedList, type_name

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
ORCID_PATTERN = re.compile(r"(?:https?://(?:www\.)?orcid\.org/|orcid:)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/?", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
LINK_SCHEMES = ("http", "https")

PAPER_FIELDS = ("id", "title", "authors", "abstract", "published", "day", "tags", "links",
                "venue", "upvotes", "thumbnail", "draft")
REQUIRED = ("id", "title", "authors", "published")
CREDIT_FIELDS = ("name", "affiliation", "orcid", "url")
PROFILE_FIELDS = ("name", "aliases", "affiliation", "url", "orcid", "bio")
KNOWN_LINKS = ("arxiv", "pdf", "code", "project", "doi")
MAX_ID_LENGTH = 120


class _Fields:
    """Reads fields of one mapping, recording a Problem for each bad one."""

    def __init__(self, data: LinedDict, path: str, problems: list[Problem], prefix: str = "",
                 site_links: list[tuple[str, str, int]] | None = None):
        self.data = data
        self.path = path
        self.problems = problems
        self.prefix = prefix
        # (field, value, line) of each URL that is a path in the site: whether the site
        # has that page or file is known only once the build has planned it (pages/links.py).
        self.site_links = site_links if site_links is not None else []

    def line(self, key: str) -> int:
        return self.data.lines.get(key, self.data.line)

    def report(self, key: str, message: str, hint: str | None = None, line: int | None = None) -> None:
        self.problems.append(Problem(self.path, line or self.line(key), self.prefix + key, message, hint))

    def check_unknown(self, known: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in known:
                self.report(key, "unknown field", did_you_mean(key, known) or f"known fields: {', '.join(known)}")

    def check_required(self, required: tuple[str, ...]) -> bool:
        ok = True
        for key in required:
            if key not in self.data or self.data[key] is None or self.data[key] == "":
                hint = "add it to the front matter" if self.path.endswith(".md") else None
                self.problems.append(Problem(self.path, self.data.line, self.prefix + key,
                                             "missing required field", hint))
                ok = False
        return ok

    def text(self, key: str, *, required: bool = False, single_line: bool = False) -> str | None:
        if key not in self.data or self.data[key] is None:
            return None
        value = as_text(self.data[key], self.data.raw.get(key))
        if value is None:
            self.report(key, f"expected text, got {type_name(self.data[key])}")
            return None
        value = clean_text(value, single_line=single_line)
        if required and not value:
            if self.data[key] != "":  # an empty string is already reported as missing
                self.report(key, "must not be empty")
            return None
        return value

    def date(self, key: str) -> date | None:
        if key not in self.data or self.data[key] is None:
            return None
        value = self.data[key]
        text = value if isinstance(value, str) else self.data.raw.get(key)
        parsed = parse_date(text) if isinstance(text, str) else None
        if parsed is None:
            self.report(key, f"not a valid date: {str(text if text is not None else value)!r}",
                        "write YYYY-MM-DD, e.g. 2024-03-13")
        return parsed

    def url(self, key: str, value: Any, raw: str | None, line: int | None = None) -> str | None:
        text = as_text(value, raw)
        if text is None:
            self.report(key, f"expected a URL, got {type_name(value)}", line=line)
            return None
        text = text.strip()
        problem = url_problem(text)
        if problem:
            self.report(key, problem, "links may be http(s) URLs or paths within the site", line=line)
            return None
        if not is_absolute(text):
            self.site_links.append((self.prefix + key, text, line or self.line(key)))
        return text

    def doi(self, key: str, value: Any, raw: str | None, line: int | None = None) -> str | None:
        """A DOI given bare, as a `doi:` URI or as a doi.org URL, as its doi.org link."""
        text = as_text(value, raw)
        if text is None:
            self.report(key, f"expected a DOI, got {type_name(value)}", line=line)
            return None
        doi = doi_of(text)
        if doi is None:
            self.report(key, f"not a DOI: {text.strip()!r}",
                        "write the DOI as 10.48550/arXiv.2203.00555, doi:10.48550/arXiv.2203.00555 "
                        "or https://doi.org/10.48550/arXiv.2203.00555", line=line)
            return None
        if _SPACE_OR_CONTROL.search(doi):
            self.report(key, f"a DOI cannot contain spaces or control characters: {doi!r}", line=line)
            return None
        return doi_url(doi)


def as_text(value: Any, raw: str | None) -> str | None:
    """Text as written: `title: 1984` or `id: 2203.10550` keep their digits."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, int, float)) and raw is not None:
        return raw
    return None


def clean_text(value: str, single_line: bool = False) -> str:
    """Without control characters, NFC-normalised, stripped; on one line, each run of
    white space one space (str.split and the pattern `\\s` agree on what is white space).
    Every title, name, tag and abstract of a listing passes here: a search before the
    substitution, and a split rather than a pattern, halved its cost."""
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    value = unicodedata.normalize("NFC", value)
    if single_line:
        return " ".join(value.split())
    return value.strip()


def parse_date(text: str) -> date | None:
    text = text.strip()
    if not DATE_PATTERN.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def is_absolute(url: str) -> bool:
    """Of a URL url_problem lets through: an http(s) URL (or `//host/…`), not a path in the site."""
    return bool(urlsplit(url).netloc)


def url_problem(url: str) -> str | None:
    if not url:
        return "must not be empty"
    if _SPACE_OR_CONTROL.search(url):
        return f"a URL cannot contain spaces or control characters: {url!r}"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"not a valid URL: {url!r}"
    if parts.scheme and parts.scheme.lower() not in LINK_SCHEMES:
        return f"only http and https links are allowed, not '{parts.scheme}:'"
    if parts.scheme and not parts.netloc:
        return f"not a valid URL: {url!r}"
    if not parts.scheme and ":" in url.split("/", 1)[0]:
        return f"only http and https links are allowed: {url!r}"
    if "\\" in url:  # browsers read it as '/': '/\\evil.example' leads to another host
        return f"a link cannot contain a backslash: {url!r}"
    if not parts.scheme and parts.netloc:
        return f"a link to another site needs its scheme: {url!r}"
    if not parts.scheme and ".." in unquote(parts.path).split("/"):
        return f"a path in the site cannot go up with '..': {url!r}"
    return None


def validate_entry(raw: RawEntry) -> tuple[Paper | None, list[Problem]]:
    problems: list[Problem] = []
    f = _Fields(raw.fields, raw.path, problems)
    f.check_unknown(PAPER_FIELDS)
    required = REQUIRED + (("abstract",) if raw.body is None else ())
    complete = f.check_required(required)
    if raw.body is not None and "abstract" in raw.fields:
        f.report("abstract", "a Markdown entry has its abstract in the body, not in the front matter",
                 "move the text below the closing '---'")

    paper_id = _validate_id(f)
    title = f.text("title", required=True, single_line=True)
    authors = _validate_authors(f)
    abstract = f.text("abstract") if raw.body is None else clean_text(raw.body)
    if raw.body is not None and not abstract:
        problems.append(Problem(raw.path, raw.body_line, "abstract", "the Markdown body (the abstract) is empty",
                                "write the abstract below the front matter"))
    published = f.date("published")
    day = f.date("day") or published
    tags = _validate_tags(f)
    links = _validate_links(f)
    venue = f.text("venue", single_line=True)
    upvotes = _validate_upvotes(f)
    thumbnail = None
    if raw.fields.get("thumbnail") is not None:
        thumbnail = f.url("thumbnail", raw.fields["thumbnail"], raw.fields.raw.get("thumbnail"))
    draft = _validate_flag(f, "draft")

    if problems or not complete:
        return None, problems
    return Paper(
        id=paper_id, title=title, authors=authors, abstract=abstract or "",
        published=published, day=day, tags=tags, links=links, venue=venue,
        upvotes=upvotes, thumbnail=thumbnail, draft=draft, source=raw.path, line=raw.line,
        site_links=tuple(f.site_links),
    ), problems


def _validate_id(f: _Fields) -> str | None:
    value = f.text("id", single_line=True)
    if value is None:
        return None
    if not ID_PATTERN.fullmatch(value):
        f.report("id", f"{value!r} may hold only letters, digits, '.', '_' and '-', starting with a letter or digit",
                 "ids become folder names under papers/")
        return None
    if len(value) > MAX_ID_LENGTH:
        f.report("id", f"is {len(value)} characters long; at most {MAX_ID_LENGTH} are allowed")
        return None
    return value


def _validate_authors(f: _Fields) -> tuple[Credit, ...] | None:
    value = f.data.get("authors")
    if value is None:
        return None
    if not isinstance(value, LinedList):
        hint = "write one name per line, each starting with '- '"
        f.report("authors", f"expected a list of names, got {type_name(value)}", hint)
        return None
    if not value:
        f.report("authors", "the list of authors is empty")
        return None
    credits = []
    for index, (item, line, raw) in enumerate(zip(value, value.lines, value.raw)):
        label = f"authors[{index + 1}]"
        if isinstance(item, LinedDict):
            sub = _Fields(item, f.path, f.problems, prefix=label + ".", site_links=f.site_links)
            sub.check_unknown(CREDIT_FIELDS)
            if not sub.check_required(("name",)):
                continue
            name = sub.text("name", required=True, single_line=True)
            orcid = _validate_orcid(sub)
            url = sub.url("url", item["url"], item.raw.get("url")) if item.get("url") is not None else None
            if name:
                credits.append(Credit(name, sub.text("affiliation", single_line=True), orcid, url))
            continue
        name = as_text(item, raw)
        if name is None:
            f.report(label, f"expected a name or a mapping with 'name', got {type_name(item)}", line=line)
            continue
        name = clean_text(name, single_line=True)
        if not name:
            f.report(label, "empty author name", line=line)
            continue
        credits.append(Credit(name))
    return tuple(credits)


def _validate_orcid(f: _Fields) -> str | None:
    value = f.text("orcid", single_line=True)
    if value is None:
        return None
    match = ORCID_PATTERN.fullmatch(value)
    if not match:
        f.report("orcid", f"not an ORCID iD: {value!r}", "write it as 0000-0002-1825-0097")
        return None
    return match.group(1).upper()


def _validate_tags(f: _Fields) -> tuple[str, ...]:
    value = f.data.get("tags")
    if value is None:
        return ()
    if not isinstance(value, LinedList):
        f.report("tags", f"expected a list of topics, got {type_name(value)}", "write tags: [topic one, topic two]")
        return ()
    tags = []
    for index, (item, line, raw) in enumerate(zip(value, value.lines, value.raw)):
        text = as_text(item, raw)
        if text is None:
            f.report(f"tags[{index + 1}]", f"expected a topic name, got {type_name(item)}", line=line)
            continue
        text = clean_text(text, single_line=True)
        if text and text not in tags:
            tags.append(text)
    return tuple(tags)


def _validate_links(f: _Fields) -> tuple[tuple[str, str], ...]:
    value = f.data.get("links")
    if value is None:
        return ()
    if not isinstance(value, LinedDict):
        f.report("links", f"expected a mapping such as 'arxiv: https://…', got {type_name(value)}")
        return ()
    links = []
    for key, item in value.items():
        line = value.lines.get(key)
        label = clean_text(str(key), single_line=True)
        if item is None:
            continue
        raw = value.raw.get(key)
        if label == "doi":
            url = f.doi(f"links.{label}", item, raw, line=line)
        else:
            url = _arxiv_link(item, raw) if label == "arxiv" else None
            url = url or f.url(f"links.{label}", item, raw, line=line)
        if url:
            links.append((label, url))
    order = {name: i for i, name in enumerate(KNOWN_LINKS)}
    links.sort(key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
    return tuple(links)


def _arxiv_link(value: Any, raw: str | None) -> str | None:
    """The arxiv.org link of a bare arXiv id (`arxiv: 2203.00555` is a number to YAML:
    its text as written is the id)."""
    text = as_text(value, raw)
    arxiv_id = arxiv_id_of(text) if text is not None else None
    return arxiv_url(arxiv_id) if arxiv_id is not None else None


def _validate_upvotes(f: _Fields) -> int:
    value = f.data.get("upvotes")
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        f.report("upvotes", f"expected a whole number of 0 or more, got {value!r}")
        return 0
    return value


def _validate_flag(f: _Fields, key: str) -> bool:
    value = f.data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        f.report(key, f"expected true or false, got {value!r}")
        return False
    return value


def validate_profiles(data: Any, path: str) -> tuple[list[Profile], list[Problem]]:
    """`authors.yaml`: a list of profiles; every name and alias may be claimed once."""
    problems: list[Problem] = []
    if data is None:
        return [], problems
    if not isinstance(data, LinedList):
        return [], [Problem(path, getattr(data, "line", 1), None,
                            f"expected a list of author profiles, got {type_name(data)}",
                            "start each profile with '- name: …'")]
    profiles = []
    claimed: dict[str, int] = {}
    for item, line in zip(data, data.lines):
        if not isinstance(item, LinedDict):
            problems.append(Problem(path, line, None, f"expected a profile (a mapping), got {type_name(item)}"))
            continue
        f = _Fields(item, path, problems)
        f.check_unknown(PROFILE_FIELDS)
        if not f.check_required(("name",)):
            continue
        name = f.text("name", required=True, single_line=True)
        aliases = _validate_aliases(f)
        url = f.url("url", item["url"], item.raw.get("url")) if item.get("url") is not None else None
        profile = Profile(name=name, aliases=aliases, affiliation=f.text("affiliation", single_line=True),
                          url=url, orcid=_validate_orcid(f), bio=f.text("bio"), site_links=tuple(f.site_links))
        if not name:
            continue
        clashes = [s for s in (name, *aliases) if s in claimed]
        for spelling in clashes:
            f.report("aliases" if spelling != name else "name",
                     f"'{spelling}' is already claimed by the profile at line {claimed[spelling]}")
        if clashes:
            continue
        claimed.update({spelling: item.line for spelling in (name, *aliases)})
        profiles.append(profile)
    return profiles, problems


def _validate_aliases(f: _Fields) -> tuple[str, ...]:
    value = f.data.get("aliases")
    if value is None:
        return ()
    if not isinstance(value, LinedList):
        f.report("aliases", f"expected a list of names, got {type_name(value)}")
        return ()
    names = []
    for item, raw, line in zip(value, value.raw, value.lines):
        text = as_text(item, raw)
        if text is None:
            f.report("aliases", f"expected a name, got {type_name(item)}", line=line)
            continue
        text = clean_text(text, single_line=True)
        if text:
            names.append(text)
    return tuple(names)


def check_duplicate_ids(papers: list[Paper]) -> list[Problem]:
    """Ids must be unique, also ignoring case (papers/ABC and papers/abc clash on macOS)."""
    if len(set(map(str.casefold, [paper.id for paper in papers]))) == len(papers):
        return []  # the usual case, and every rebuild of `sitegen serve` asks
    problems = []
    seen: dict[str, Paper] = {}
    for paper in papers:
        key = paper.id.casefold()
        first = seen.get(key)
        if first is None:
            seen[key] = paper
            continue
        same = "the same id" if first.id == paper.id else f"an id differing only in case ('{first.id}')"
        problems.append(Problem(paper.source, paper.line, "id",
                                f"duplicate id '{paper.id}': {first.source}:{first.line} has {same}",
                                "give each paper its own id"))
    return problems

