"""The listing as data: /api/papers.json and /api/authors.json, so other tools can
read a listing without scraping it. Large listings are split into pages of
PAGE_SIZE papers; every page says where the next one is."""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Mapping

from sitegen import __version__, urls
from sitegen.formats import jsontext
from sitegen.atomic import atomic_write
from sitegen.config import Config
from sitegen.content.model import Site
from sitegen.lru import LRUCache
from sitegen.formats.markup import site_url
from sitegen.formats.shown import ApiTexts

PAGE_SIZE = 1000  # an edit of a new paper rewrites its page: small pages keep that cheap
PAPERS = "api/papers.json"
AUTHORS = "api/authors.json"


def papers_path(number: int) -> str:
    return PAPERS if number == 1 else f"api/papers/page/{number}.json"


def page_count(site: Site) -> int:
    return max(1, -(-len(site.papers) // PAGE_SIZE))


def paper_record(site: Site, config: Config, paper_id: str, title_text: str, abstract_source: str) -> dict:
    paper = site.papers[paper_id]
    return {
        "id": paper_id,
        "url": config.absolute(urls.paper(paper_id)),
        "title": title_text,
        "title_source": paper.title,
        "authors": [{"name": site.authors[s].name, "url": config.absolute(urls.author(s))}
                    for s in site.paper_authors[paper_id]],
        "abstract": abstract_source,
        "published": paper.published.isoformat(),
        "day": paper.day.isoformat(),
        "tags": list(paper.tags),
        "links": {kind: _full_url(config, url) for kind, url in paper.links},
        "venue": paper.venue,
        "upvotes": paper.upvotes,
        "bibtex": config.absolute(urls.paper_bibtex(paper_id)),
        "cite_key": site.cite_keys[paper_id],
    }


def _full_url(config: Config, url: str) -> str:
    """A content link as readers of the API need it: a path in the site as a full URL
    (or root-relative, without a host in base_url), as pages link it (markup.site_url)."""
    if url[:8].lower() == "https://" or url[:7].lower() == "http://":
        return url
    path = site_url(url, config.base_path)
    if path.startswith("/") and not path.startswith("//") and config.site_url:
        return config.site_url[: len(config.site_url) - len(config.base_path)] + path
    return path


def papers_page(site: Site, views: ApiTexts, config: Config, number: int, kept: LRUCache | None = None,
                digests: Mapping[str, str] | None = None, spans: Path | None = None) -> bytes:
    """`kept`: records' JSON from earlier builds in this process (`sitegen serve`), keyed
    by everything a record shows, so an edit's page joins them rather than make 1,000.
    `digests`: the plan's digest of each paper's record, its cite key and its authors'
    and topics' names (pages/digests.py), which is that key; without it the key is made here.
    `spans`: a folder where each page's records are located by key (`_Spans`), so that a
    new process takes the records it needs from the last page in output/."""
    total = page_count(site)
    ids = site.newest[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    kept = kept if kept is not None else LRUCache(PAGE_SIZE)
    base = config.absolute("")
    if digests is None:
        keys = [(site.papers[i].fingerprint, site.cite_keys[i], base, site.paper_authors[i],
                 tuple([site.authors[s].name for s in site.paper_authors[i]])) for i in ids]
    else:
        keys = [(digests[i], base) for i in ids]
    located = _Spans(spans / f"{number}.bin", config.output_dir / papers_path(number)) \
        if spans is not None and digests is not None else None
    if located is not None and sum(key not in kept for key in keys) > _WORTH_TAKING:
        located.take(base, kept)
    texts = views.api_texts([i for i, key in zip(ids, keys) if key not in kept])
    # Kept as UTF-8: the page is then one join of 2 MB of bytes, not a join, two
    # concatenations and an encoding of 2 MB of text.
    records = [kept.get_or_make(key, lambda: jsontext.dumps(paper_record(site, config, i, *texts[i])))
               for i, key in zip(ids, keys)]
    head = {"count": len(site.papers), "page": number, "pages": total,
            "next": config.absolute(papers_path(number + 1)) if number < total else None}
    start = jsontext.dumps(head)[:-1] + b',"papers":['
    page = b"".join([start, b",".join(records), _END])
    if located is not None:
        located.keep(page, len(start), base, [key[0] for key in keys], records)
    return page


_END = b"]}\n"
# Records to make past which taking them from the last page (reading and digesting
# 2 MB) is quicker: `sitegen serve` keeps the others of an edit's page.
_WORTH_TAKING = 32


class _Spans:
    """Where each record of an API page is in its bytes, by the key it was made for.

    A new `sitegen build` process has no records kept from earlier builds; after an
    edit it would make the 1,000 records of the edited paper's page again (0.1 s at
    10,000 papers) to change one. With this it takes the others from the page in
    output/, if that page is still the one the spans were written with."""

    LAYOUT = 1

    def __init__(self, path: Path, page_file: Path):
        self.path, self.page_file = path, page_file

    def take(self, base: str, kept: LRUCache) -> None:
        try:
            layout, version, digest, start, keys, lengths = marshal.loads(self.path.read_bytes())
            if (layout, version) != (self.LAYOUT, __version__):
                return
            page = self.page_file.read_bytes()
        except (OSError, ValueError, EOFError, TypeError):
            return
        if _page_digest(page) != digest:
            return  # written since, by hand or by another build
        if len(keys) != len(lengths) or start + sum(lengths) + max(len(lengths) - 1, 0) + len(_END) != len(page):
            return  # spans that do not tile the page: not this page's
        position = start
        records = []
        for key, length in zip(keys, lengths):
            records.append(((key, base), page[position: position + length]))
            position += length + 1  # and the comma
        kept.update(records)

    def keep(self, page: bytes, start: int, base: str, keys: list[str], records: list[bytes]) -> None:
        data = marshal.dumps((self.LAYOUT, __version__, _page_digest(page), start, keys, [len(r) for r in records]))
        try:
            atomic_write(self.path, data)
        except OSError:
            pass  # only a cache: the next fresh build makes the records again


def _page_digest(page: bytes) -> str:
    return hashlib.blake2b(page, digest_size=16).hexdigest()


def authors_file(site: Site, config: Config) -> bytes:
    authors = []
    for slug in site.author_order:
        author = site.authors[slug]
        authors.append({
            "slug": slug,
            "name": author.name,
            "url": config.absolute(urls.author(slug)),
            "affiliation": author.affiliation,
            "homepage": _full_url(config, author.url) if author.url else None,
            "orcid": author.orcid,
            "papers": list(author.papers),
        })
    return jsontext.dumps({"count": len(authors), "authors": authors}) + b"\n"
