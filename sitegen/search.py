"""The search index: term shards and paper records, built as ordinary files of the build.

Pagefind, the usual choice, re-indexes every page on each run (it has no incremental
mode: Pagefind/pagefind#71); at 10,000 papers that was 13 s of a one-abstract edit.
This index is a function of the model like every other output: a paper's title and
abstract terms are computed once, with its rendered texts, and an edit rewrites only
the shards whose terms it touched and the record bucket it lives in.

Under `search-index/` (the page itself is `/search/`):
  meta.json         {"format", "buckets", "prefix", "stop"}: what search.js needs to query
  terms/<key>.json  {term: "id:weight id ..."} for every term whose first `PREFIX`
                    characters are <key>; postings newest paper first, weight 1 omitted
  docs/<n>.json     {id: [path, title, authors, day, tags, upvotes, venue, snippet]}
                    for the papers whose id hashes (FNV-1a) to bucket n

A reader's browser fetches meta.json, one term shard per query word and the record
buckets of the results it shows. search.js tokenises queries exactly as `tokens` does.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from sitegen import __version__, urls
from sitegen.model import Site

FORMAT = 1
FOLDER = "search-index"
META = f"{FOLDER}/meta.json"
PREFIX = 3  # characters of a term that name its shard
DOCS_PER_BUCKET = 64
SNIPPET = 280  # characters of the abstract a result card shows

TITLE_WEIGHT = 8
NAME_WEIGHT = 6  # an author's name or a topic
MAX_ABSTRACT_WEIGHT = 3  # repeated words in an abstract count, up to this

STOP_WORDS = frozenset(
    "a an and are as at be been but by can for from has have in into is it its of on or our that the their "
    "this these those to we which while with".split())

_WORD = re.compile(r"[^\W_]+")
_SAFE_KEY = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents: 'Ré' and 're' are one word."""
    text = text.lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))


def stem(word: str) -> str:
    """Plural to singular, the one inflection a reader of titles mostly types both ways."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in STOP_WORDS]


def text_terms(title: str, abstract: str) -> str:
    """A paper's title and abstract terms as JSON {term: weight}, computed once per text."""
    weights: dict[str, int] = {}
    for term in tokens(abstract):
        weights[term] = min(weights.get(term, 0) + 1, MAX_ABSTRACT_WEIGHT)
    for term in tokens(title):
        weights[term] = TITLE_WEIGHT + weights.get(term, 0)
    return json.dumps(weights, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def shard_key(term: str) -> str:
    return term[:PREFIX]


def shard_file(key: str) -> str:
    """A file name for any key: itself when plain ASCII, else 'x' and its UTF-8 in hex."""
    name = key if _SAFE_KEY.fullmatch(key) else "x" + key.encode().hex()
    return f"{FOLDER}/terms/{name}.json"


def bucket_count(papers: int) -> int:
    """A power of two, so adding papers rarely moves a paper to another bucket."""
    return 1 << max(0, math.ceil(math.log2(max(1, papers) / DOCS_PER_BUCKET)))


def bucket(paper_id: str, count: int) -> int:
    value = 0x811C9DC5
    for byte in paper_id.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value % count


@dataclass(frozen=True)
class PaperSearchText:
    """What the text store keeps of a paper for the index."""
    title: str
    snippet: str
    terms: str


def index_files(site: Site, texts: dict[str, PaperSearchText]) -> dict[str, bytes]:
    """Every file of the index: site path → bytes. `texts` is keyed by paper id."""
    postings: dict[str, list[str]] = {}
    name_tokens: dict[str, list[str]] = {}
    count = bucket_count(len(site.papers))
    buckets: dict[int, dict[str, list]] = defaultdict(dict)
    for paper_id in site.newest:
        paper = site.papers[paper_id]
        text = texts[paper_id]
        weights = json.loads(text.terms)
        authors = [site.authors[s].name for s in site.paper_authors[paper_id]]
        tags = [site.tags[s].name for s in site.paper_tags[paper_id]]
        for name in authors + tags:
            name_terms = name_tokens.get(name)
            if name_terms is None:
                name_terms = name_tokens[name] = tokens(name)
            for term in name_terms:
                if weights.get(term, 0) < NAME_WEIGHT:
                    weights[term] = NAME_WEIGHT
        for term, weight in weights.items():
            posting = paper_id if weight == 1 else f"{paper_id}:{weight}"
            found = postings.get(term)
            if found is None:
                postings[term] = [posting]
            else:
                found.append(posting)
        buckets[bucket(paper_id, count)][paper_id] = [
            urls.paper(paper_id), text.title, ", ".join(authors), paper.day.isoformat(), ", ".join(tags),
            paper.upvotes, paper.venue or "", text.snippet]
    shards: dict[str, dict[str, str]] = defaultdict(dict)
    for term in sorted(postings):
        shards[term[:PREFIX]][term] = " ".join(postings[term])
    files = {META: _json({"format": FORMAT, "buckets": count, "prefix": PREFIX, "stop": sorted(STOP_WORDS)})}
    for key, shard in shards.items():
        files[shard_file(key)] = _json(shard)
    for number in range(count):
        files[f"{FOLDER}/docs/{number}.json"] = _json(buckets.get(number, {}))
    return files


def inputs_digest(site: Site) -> str:
    """Changes whenever the index may: any paper (its fingerprint covers every field and
    its texts), its authors' or topics' names, or sitegen's version."""
    digest = hashlib.blake2b(f"{FORMAT}\0{__version__}\0".encode(), digest_size=16)
    for paper_id in site.newest:
        names = [site.authors[s].name for s in site.paper_authors[paper_id]]
        names += [site.tags[s].name for s in site.paper_tags[paper_id]]
        digest.update(f"{paper_id}\0{site.papers[paper_id].fingerprint}\0{chr(1).join(names)}\0".encode())
    return digest.hexdigest()


def snippet(abstract_text: str) -> str:
    if len(abstract_text) <= SNIPPET:
        return abstract_text
    cut = abstract_text.rfind(" ", 0, SNIPPET)
    return abstract_text[: cut if cut > SNIPPET // 2 else SNIPPET] + " …"


def _json(data) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
