"""The listing as data: /api/papers.json and /api/authors.json, so other tools can
read a listing without scraping it. Large listings are split into pages of
PAGE_SIZE papers; every page says where the next one is."""

from __future__ import annotations

import json
from typing import Mapping

from sitegen import urls
from sitegen.config import Config
from sitegen.model import Site
from sitegen.fragments import FragmentCache
from sitegen.views import Views

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
        "links": dict(paper.links),
        "venue": paper.venue,
        "upvotes": paper.upvotes,
        "bibtex": config.absolute(urls.paper_bibtex(paper_id)),
        "cite_key": site.cite_keys[paper_id],
    }


def papers_page(site: Site, views: Views, config: Config, number: int, kept: FragmentCache | None = None,
                digests: Mapping[str, str] | None = None) -> bytes:
    """`kept`: records' JSON from earlier builds in this process (`sitegen serve`), keyed
    by everything a record shows, so an edit's page joins them rather than make 1,000.
    `digests`: the plan's digest of each paper's record, its cite key and its authors'
    and topics' names (tasks.py), which is that key; without it the key is made here."""
    total = page_count(site)
    ids = site.newest[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    kept = kept if kept is not None else FragmentCache(PAGE_SIZE)
    base = config.absolute("")
    if digests is None:
        keys = [(site.papers[i].fingerprint, site.cite_keys[i], base, site.paper_authors[i],
                 tuple([site.authors[s].name for s in site.paper_authors[i]])) for i in ids]
    else:
        keys = [(digests[i], base) for i in ids]
    texts = views.api_texts([i for i, key in zip(ids, keys) if key not in kept])
    # Kept as UTF-8: the page is then one join of 2 MB of bytes, not a join, two
    # concatenations and an encoding of 2 MB of text.
    records = [kept.get_or_make(key, lambda: _json(paper_record(site, config, i, *texts[i])).encode())
               for i, key in zip(ids, keys)]
    head = {"count": len(site.papers), "page": number, "pages": total,
            "next": config.absolute(papers_path(number + 1)) if number < total else None}
    return b"".join([_json(head)[:-1].encode(), b',"papers":[', b",".join(records), b"]}\n"])


def authors_file(site: Site, config: Config) -> bytes:
    authors = []
    for slug in site.author_order:
        author = site.authors[slug]
        authors.append({
            "slug": slug,
            "name": author.name,
            "url": config.absolute(urls.author(slug)),
            "affiliation": author.affiliation,
            "homepage": author.url,
            "orcid": author.orcid,
            "papers": list(author.papers),
        })
    return _dump({"count": len(authors), "authors": authors})


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _dump(data: dict) -> bytes:
    return _json(data).encode() + b"\n"
