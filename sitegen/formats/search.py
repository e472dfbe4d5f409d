"""The search index: term shards and paper records, built as ordinary files of the build.

Pagefind, the usual choice, re-indexes every page on each run (it has no incremental
mode: Pagefind/pagefind#71); at 10,000 papers that was 13 s of a one-abstract edit.
This index is a function of the model like every other output: a paper's title and
abstract terms are computed once, with its rendered texts, and an edit rewrites only
the shards whose terms it touched and the record bucket it lives in.

Under `search-index/` (the page itself is `/search/`):
  meta.json         {"format", "buckets", "prefix", "stop", "shards"}: what search.js needs
                    to query, "shards" saying which term shards exist (see `ShardList`)
  terms/<key>.json  {term: "id:weight id ..."} for every term whose first `PREFIX`
                    characters are <key>; postings newest paper first, weight 1 omitted
  docs/<n>.json     {id: [path, title, authors, day, tags, upvotes, venue, snippet]}
                    for the papers whose id hashes (FNV-1a) to bucket n

A reader's browser fetches meta.json, one term shard per query word (only if that shard
exists: a prefix no term has asks the server for nothing) and the record buckets of the
results it shows. search.js tokenises queries exactly as `tokens` does.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import math
import re
import unicodedata
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Callable, Iterator, Mapping, Sequence

from sitegen import __version__, urls
from sitegen.formats import jsontext
from sitegen.formats.markup import shorten
from sitegen.content.model import Site

FORMAT = 2  # 2: meta.json lists the term shards
STATE_LAYOUT = 4  # of IndexState, as pickled; 3: the index it describes lists its shards in meta.json;
# 4: its terms folded to lower case after decomposition
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
# In folded ASCII text the same words are the runs of [a-z0-9]: every other byte made a
# space and the text split, a third of the time of finding them with the pattern.
_ASCII_SEPARATORS = bytes(b if 48 <= b <= 57 or 97 <= b <= 122 else 32 for b in range(256))


def words(folded: str) -> list[str]:
    if folded.isascii():
        return folded.encode().translate(_ASCII_SEPARATORS).decode().split()
    return _WORD.findall(folded)
_SAFE_KEY = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents: 'Ré' and 're' are one word."""
    text = text.lower()
    if text.isascii():
        return text
    # Decomposition leaves ASCII as is, so only the runs of other characters need it.
    return _NON_ASCII.sub(lambda m: _fold_run(m.group()), text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@lru_cache(maxsize=8192)
def _fold_run(run: str) -> str:
    """Accents off, then lower case again: a compatibility character can decompose to a
    capital ('ℌ' to 'H'), which search.js lowers as well."""
    decomposed = unicodedata.normalize("NFKD", run)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith("M")).lower()


def stem(word: str) -> str:
    """Plural to singular, the one inflection a reader of titles mostly types both ways."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def tokens(text: str) -> list[str]:
    term = _term
    return [t for t in map(term, words(fold(text))) if t]


def _term(word: str) -> str:
    """A word's term, '' for a stop word; remembered, since prose repeats a small vocabulary."""
    term = _STEMS.get(word)
    if term is None:
        if len(_STEMS) > 200_000:  # a vocabulary this large is not prose; start again
            _STEMS.clear()
        term = _STEMS[word] = "" if word in STOP_WORDS else stem(word)
    return term


_STEMS: dict[str, str] = {}


def text_terms(title: str, abstract: str) -> str:
    """A paper's title and abstract terms as JSON {term: weight}, computed once per text.
    An abstract's words are counted first (in C), so each distinct word is looked at once."""
    weights: dict[str, int] = {}
    stems = _STEMS
    for word, count in Counter(words(fold(abstract))).items():
        term = stems.get(word)
        if term is None:
            term = _term(word)
        if term:
            total = weights.get(term, 0) + count
            weights[term] = total if total < MAX_ABSTRACT_WEIGHT else MAX_ABSTRACT_WEIGHT
    for term in tokens(title):
        weights[term] = TITLE_WEIGHT + weights.get(term, 0)
    return jsontext.dumps_text(weights, sort_keys=True)


def shard_key(term: str) -> str:
    return term[:PREFIX]


def shard_file(key: str) -> str:
    """A file name for any key: itself when plain ASCII, else 'x' and its UTF-8 in hex."""
    name = key if _SAFE_KEY.fullmatch(key) else "x" + key.encode().hex()
    return f"{FOLDER}/terms/{name}.json"


# Nearly every shard key is plain: one to PREFIX characters of [a-z0-9], 47,988 keys in
# all. Which of them exist is a bit per key, numbered by length and then as a base-36
# number: 8,000 characters of base64 whatever the listing's size (a few hundred bytes
# gzipped for a small listing), where naming each key takes 5 to 6 characters of JSON,
# and the many papers of a large listing use many thousands of keys. The keys of other
# scripts are named.
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
_PLAIN_KEYS = sum(len(_DIGITS) ** n for n in range(1, PREFIX + 1))


def _first_bit(length: int) -> int:
    """The bit of the first plain key of `length` characters."""
    return sum(len(_DIGITS) ** n for n in range(1, length))


class ShardList:
    """Which term shards exist, as meta.json's "shards" says it to search.js:
    {"plain": base64 of the bits of the plain keys (bit n is bit n % 8 of byte n // 8),
     "other": the other keys, sorted}."""

    def __init__(self, listed: Mapping | None = None):
        self.bits = bytearray(base64.b64decode(listed["plain"]) if listed else (_PLAIN_KEYS + 7) // 8)
        self.other = set(listed["other"]) if listed else set()

    def set(self, key: str, exists: bool) -> None:
        if not _SAFE_KEY.fullmatch(key):
            (self.other.add if exists else self.other.discard)(key)
            return
        bit = _first_bit(len(key)) + int(key, len(_DIGITS))
        if exists:
            self.bits[bit >> 3] |= 1 << (bit & 7)
        else:
            self.bits[bit >> 3] &= ~(1 << (bit & 7))

    def keys(self) -> set[str]:
        """Every key listed: a walk over all the bits, for checks rather than builds."""
        plain = set()
        for length in range(1, PREFIX + 1):
            first = _first_bit(length)
            for value in range(len(_DIGITS) ** length):
                bit = first + value
                if self.bits[bit >> 3] >> (bit & 7) & 1:
                    plain.add(_base36(value, length))
        return plain | self.other

    def listed(self) -> dict:
        return {"plain": base64.b64encode(self.bits).decode("ascii"), "other": sorted(self.other)}


def _base36(value: int, length: int) -> str:
    digits = []
    for _ in range(length):
        value, digit = divmod(value, len(_DIGITS))
        digits.append(_DIGITS[digit])
    return "".join(reversed(digits))


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


@dataclass(frozen=True)
class IndexState:
    """What the next build needs to patch the index in place; kept in .sitegen/."""
    layout: int  # STATE_LAYOUT when written
    inputs: str  # inputs_digest of the index it describes
    buckets: int
    order: tuple[str, ...]  # site.newest when it was built
    papers: dict[str, tuple[str, str]]  # id → (paper digest, shard keys of its terms, space-separated)


def paper_digests(site: Site, known: Mapping[str, str] | None = None) -> dict[str, str]:
    """Per paper, a digest of all the index shows of it: every field and its texts (the
    fingerprint), its authors' and topics' names, and sitegen's version. `known`: digests
    of papers that did not change since they were computed."""
    out = {}
    for paper_id in site.newest:
        if known is not None and paper_id in known:
            out[paper_id] = known[paper_id]
            continue
        out[paper_id] = paper_digest(site, paper_id)
    return out


def paper_digest(site: Site, paper_id: str) -> str:
    names = chr(1).join(indexed_names(site, paper_id))
    data = f"{FORMAT}\0{__version__}\0{site.papers[paper_id].fingerprint}\0{names}"
    return hashlib.blake2b(data.encode(), digest_size=12).hexdigest()


def indexed_names(site: Site, paper_id: str) -> list[str]:
    """The names a paper is found by: its authors' and its topics'."""
    return ([site.authors[s].name for s in site.paper_authors[paper_id]]
            + [site.tags[s].name for s in site.paper_tags[paper_id]])


def inputs_digest(site: Site, digests: dict[str, str]) -> str:
    """Changes whenever any file of the index may."""
    digest = hashlib.blake2b(f"{FORMAT}\0{__version__}\0".encode(), digest_size=16)
    digest.update("\0".join(site.newest).encode())  # joined, not formatted paper by paper
    digest.update(b"\1")
    digest.update("\0".join(map(digests.__getitem__, site.newest)).encode())
    return digest.hexdigest()


class _Papers:
    """A paper's weighted terms and its result record, as the index stores them."""

    def __init__(self, site: Site, texts: dict[str, PaperSearchText], count: int):
        self.site = site
        self.texts = texts
        self.count = count
        self._name_tokens: dict[str, list[str]] = {}

    def terms(self, paper_id: str) -> dict[str, int]:
        return weighted_terms(self.texts[paper_id].terms, indexed_names(self.site, paper_id), self._name_tokens)

    def record(self, paper_id: str) -> list:
        site, text, paper = self.site, self.texts[paper_id], self.site.papers[paper_id]
        authors = ", ".join(site.authors[s].name for s in site.paper_authors[paper_id])
        tags = ", ".join(site.tags[s].name for s in site.paper_tags[paper_id])
        return [urls.paper(paper_id), text.title, authors, paper.day.isoformat(), tags,
                paper.upvotes, paper.venue or "", text.snippet]


def weighted_terms(text_terms: str, names: Sequence[str], known_tokens: dict[str, list[str]] | None = None
                   ) -> dict[str, int]:
    """A paper's terms and their weights in the index: its texts' terms (JSON, as the
    text store keeps them) and the words of the names it is found by."""
    weights = jsontext.loads(text_terms)
    known_tokens = {} if known_tokens is None else known_tokens
    for name in names:
        name_terms = known_tokens.get(name)
        if name_terms is None:
            name_terms = known_tokens[name] = tokens(name)
        for term in name_terms:
            if weights.get(term, 0) < NAME_WEIGHT:
                weights[term] = NAME_WEIGHT
    return weights


def _keys(weights: dict[str, int]) -> str:
    return " ".join(sorted({term[:PREFIX] for term in weights}))  # shard_key, inlined: a call per term


def _posting(paper_id: str, weight: int) -> str:
    return paper_id if weight == 1 else f"{paper_id}:{weight}"


def _posting_id(posting: str) -> str:
    return posting.partition(":")[0]  # ids never hold ':'


def bucket_file(number: int) -> str:
    return f"{FOLDER}/docs/{number}.json"


def index_files(site: Site, texts: Mapping[str, PaperSearchText],
                digests: dict[str, str]) -> tuple[Iterator[tuple[str, bytes]], IndexState]:
    """Every file of the index (site path, bytes), made one at a time as they are
    consumed, and the state to patch it later. `texts` is keyed by paper id and read
    in `site.newest` order.

    A posting is kept as one 32-bit integer (position in `site.newest`, weight) in an
    array per term, not as a string: at 100,000 papers there are about 12 million of them.
    """
    count = bucket_count(len(site.papers))
    papers = _Papers(site, texts, count)
    postings: dict[str, array] = defaultdict(partial(array, "I"))
    heavy: dict[str, dict[int, int]] = defaultdict(dict)  # weights too large to pack: term → position → weight
    # Each paper's record as the UTF-8 JSON its bucket file will hold: a tenth of the
    # memory of the list it is made from, kept until the buckets are written.
    buckets: dict[int, list[bytes]] = defaultdict(list)
    state_papers = {}
    for position, paper_id in enumerate(site.newest):
        weights = papers.terms(paper_id)
        packed = position << _WEIGHT_BITS
        for term, weight in weights.items():
            if weight >= _WEIGHT_MASK:
                heavy[term][position] = weight
                weight = _WEIGHT_MASK
            postings[term].append(packed | weight)
        buckets[bucket(paper_id, count)].append(_json({paper_id: papers.record(paper_id)})[1:-1])
        state_papers[paper_id] = (digests[paper_id], _keys(weights))
    state = IndexState(STATE_LAYOUT, inputs_digest(site, digests), count, tuple(site.newest), state_papers)
    return _index_stream(site.newest, postings, heavy, buckets, count), state


# Weights up to 14 are packed (a title word is 8, an abstract's at most 3); larger ones,
# a word twice in a title, are kept aside. 28 bits are left for 268 million positions.
_WEIGHT_BITS = 4
_WEIGHT_MASK = (1 << _WEIGHT_BITS) - 1


def _index_stream(newest, postings: dict[str, array], heavy: dict, buckets: dict[int, list[bytes]], count: int):
    shards = ShardList()
    key, shard = None, {}
    for term in sorted(postings):  # a shard's terms are consecutive in this order
        if shard_key(term) != key:
            if shard:
                yield shard_file(key), _json(shard)
                shards.set(key, True)
            key, shard = shard_key(term), {}
        shard[term] = _postings_text(term, postings[term], newest, heavy)
    if shard:
        yield shard_file(key), _json(shard)
        shards.set(key, True)
    for number in range(count):
        yield bucket_file(number), b"{" + b",".join(buckets.get(number, ())) + b"}"
    yield META, _meta(count, shards)


def _postings_text(term: str, packed: array, newest, heavy: dict[str, dict[int, int]]) -> str:
    """A term's postings as the shard stores them: 'id' or 'id:weight', space-separated.
    About a million at 10,000 papers, so the common case is one comprehension, no calls."""
    aside = heavy.get(term)
    if aside:
        return " ".join(_posting(newest[v >> _WEIGHT_BITS], aside.get(v >> _WEIGHT_BITS, v & _WEIGHT_MASK))
                        for v in packed)
    return " ".join([newest[v >> _WEIGHT_BITS] if v & _WEIGHT_MASK == 1 else f"{newest[v >> _WEIGHT_BITS]}:{v & _WEIGHT_MASK}"
                     for v in packed])


def changed_papers(site: Site, digests: dict[str, str], state: IndexState | None) -> set[str] | None:
    """Ids of papers added, edited or removed since `state`, or None if the index must be
    built whole (its layout changed, or papers that did not change changed order)."""
    if state is None or state.buckets != bucket_count(len(site.papers)):
        return None
    changed = {i for i, d in digests.items() if state.papers.get(i, (None,))[0] != d}
    changed |= state.papers.keys() - digests.keys()
    if len(changed) * 4 > len(digests):
        return None  # cheaper whole
    if state.order == site.newest:  # an edit that moved no paper: compared in C
        return changed
    kept_before = [i for i in state.order if i not in changed]
    kept_now = [i for i in site.newest if i not in changed]
    return changed if kept_before == kept_now else None


def patched_files(site: Site, texts: dict[str, PaperSearchText], digests: dict[str, str],
                  state: IndexState, changed: set[str], read: Callable[[str], bytes | None],
                  before: Mapping[str, dict[str, int]] | None = None) -> tuple[dict[str, bytes | None], IndexState]:
    """The index files an edit of `changed` papers changes (None: the file goes) and
    meta.json, and the new state. meta.json's bytes change only when a shard appears or
    goes. `texts` needs only the changed papers; `read` gives a file of the current
    index, or None if it has no such file.

    `before`: the weighted terms some changed papers had in the current index, known
    exactly, when no paper moved in the listing. Only the shards of terms whose weight
    differs are then read: an edited abstract keeps most of a paper's 70-odd shards as
    they were, and reading and parsing them was most of the patch. Without it, every
    shard the paper had or has a term in is read."""
    before = before or {}
    count = state.buckets
    papers = _Papers(site, texts, count)
    rank = {paper_id: n for n, paper_id in enumerate(site.newest)}
    state_papers = dict(state.papers)
    new_postings: dict[str, dict[str, list[str]]] = defaultdict(dict)  # shard key → term → postings
    touched_keys: set[str] = set()
    touched_buckets: set[int] = set()
    for paper_id in changed:
        old = state_papers.pop(paper_id, None)
        if old:
            touched_buckets.add(bucket(paper_id, count))
        weights = papers.terms(paper_id) if paper_id in digests else None
        if weights is not None:
            for term, weight in weights.items():
                new_postings[shard_key(term)].setdefault(term, []).append(_posting(paper_id, weight))
            keys = _keys(weights)
            touched_buckets.add(bucket(paper_id, count))
            state_papers[paper_id] = (digests[paper_id], keys)
        if old and weights is not None and paper_id in before:
            touched_keys.update(_differing_keys(before[paper_id], weights))
        else:
            if old:
                touched_keys.update(old[1].split())
            if weights is not None:
                touched_keys.update(keys.split())

    patch = _line_patcher(changed, rank)
    files: dict[str, bytes | None] = {}
    appeared_or_gone: dict[str, bool] = {}  # shard key → whether it exists now
    for key in touched_keys:
        name = shard_file(key)
        data = read(name)
        old_shard = jsontext.loads(data) if data is not None else {}
        added = new_postings.get(key, {})
        shard: dict[str, str] = {}
        edited = data is None
        for term in sorted(old_shard.keys() | added.keys()):
            line = old_shard.get(term, "")
            if term in added or any(paper_id in line for paper_id in changed):
                patched = patch(line, added.get(term, ()))
                edited = edited or patched != line
                line = patched
            if line:
                shard[term] = line
        if edited:  # an abstract edit leaves most of its paper's postings as they were
            files[name] = _json(shard) if shard else None
            if (data is not None) != bool(shard):
                appeared_or_gone[key] = bool(shard)
    for number in touched_buckets:
        name = bucket_file(number)
        records = {i: r for i, r in jsontext.loads(read(name) or b"{}").items() if i not in changed}
        records.update({i: papers.record(i) for i in changed if i in digests and bucket(i, count) == number})
        files[name] = _json({i: records[i] for i in sorted(records, key=rank.__getitem__)})
    files[META] = _relisted(read(META), count, appeared_or_gone)
    return files, IndexState(STATE_LAYOUT, inputs_digest(site, digests), count, tuple(site.newest), state_papers)


def _differing_keys(old: dict[str, int], new: dict[str, int]) -> set[str]:
    """The shards whose postings of a paper differ between two versions of its terms."""
    keys = {shard_key(term) for term in old.keys() ^ new.keys()}
    keys.update(shard_key(term) for term, weight in new.items() if term in old and old[term] != weight)
    return keys


def _line_patcher(changed: set[str], rank: Mapping[str, int]) -> Callable[[str, Sequence[str]], str]:
    """(posting line, postings of changed papers to add) → the line without the changed
    papers' old postings and with the new ones, newest first.

    An abstract edit keeps most of a paper's terms and its place among the others: its
    posting is then replaced where it stands, without splitting a line that may list
    thousands of papers."""
    without_changed = _posting_filter(changed)
    single = next(iter(changed)) if len(changed) == 1 else None
    search = re.compile(f"{re.escape(single)}(?::\\d+)?(?![^ ])").search if single is not None else None

    def find(line: str) -> re.Match | None:
        match = search(line)
        while match is not None and match.start() > 0 and line[match.start() - 1] != " ":
            match = search(line, match.start() + 1)  # the end of a longer id
        return match

    def by_rank(posting: str) -> int:
        return rank[_posting_id(posting)]

    def patch(line: str, added: Sequence[str]) -> str:
        if single is not None and len(added) <= 1:
            match = find(line)
            if match is None and not added:
                return line
            if match is not None:
                start, end = match.span()
                if not added:  # the posting goes, with one space beside it
                    return line[:start] + line[end + 1:] if end < len(line) else line[:max(start - 1, 0)]
                if _between_neighbours(line, start, end, rank[single], rank):
                    return line[:start] + added[0] + line[end:]
        postings = without_changed(line)
        for posting in added:  # the rest stay newest first: insert in place
            bisect.insort(postings, posting, key=by_rank)
        return " ".join(postings)
    return patch


def _between_neighbours(line: str, start: int, end: int, position: int, rank: Mapping[str, int]) -> bool:
    """The posting at line[start:end] may be replaced by one of a paper at `position`:
    the postings either side of it are of papers newer and older than that."""
    if start > 0:
        left = line[line.rfind(" ", 0, start - 1) + 1: start - 1]
        if rank[_posting_id(left)] >= position:
            return False
    if end < len(line):
        stop = line.find(" ", end + 1)
        if rank[_posting_id(line[end + 1: stop if stop >= 0 else len(line)])] <= position:
            return False
    return True


def _posting_filter(changed: set[str]) -> Callable[[str], list[str]]:
    """A posting line → its postings ('id' or 'id:weight') minus those of `changed` papers.
    An edit changes a paper or two, while a common term's line has a posting per paper:
    the regular expression drops them without looking at each posting in Python."""
    if len(changed) > 16:
        return lambda line: [p for p in line.split(" ") if p and _posting_id(p) not in changed]
    ids = "|".join(re.escape(paper_id) for paper_id in sorted(changed))
    pattern = re.compile(f"(?:{ids})(?::\\d+)?(?![^ ])")  # a literal first: the engine skips ahead fast

    def drop(line: str) -> list[str]:
        def posting(match: re.Match) -> str:  # not the end of a longer id
            return "" if match.start() == 0 or line[match.start() - 1] == " " else match.group()
        return pattern.sub(posting, line).split()
    return drop


def _meta(count: int, shards: ShardList) -> bytes:
    return _json({"format": FORMAT, "buckets": count, "prefix": PREFIX, "stop": sorted(STOP_WORDS),
                  "shards": shards.listed()})


def _relisted(meta: bytes, count: int, appeared_or_gone: Mapping[str, bool]) -> bytes:
    """meta.json with the shards that appeared or went (key → whether it exists now)
    listed as they are: the same bytes when none did."""
    if not appeared_or_gone:
        return meta
    shards = ShardList(jsontext.loads(meta)["shards"])
    for key, exists in appeared_or_gone.items():
        shards.set(key, exists)
    return _meta(count, shards)


def listed_shards(meta: bytes) -> set[str]:
    """The keys of the term shards a meta.json lists."""
    return ShardList(jsontext.loads(meta)["shards"]).keys()


def snippet(abstract_text: str) -> str:
    """An abstract's opening for a search result, a feed item's synopsis and a page's
    description: cut after a whole word and marked with an ellipsis (markup.shorten)."""
    return shorten(abstract_text, SNIPPET)


_json = jsontext.dumps
