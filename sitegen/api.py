"""The listing as data: /api/papers.json and /api/authors.json, so other tools can
read a listing without scraping it. Large listings are split into pages of
PAGE_SIZE papers; every page says where the next one is."""

from __future__ import annotations

import json

from sitegen import urls
from sitegen.config import Config
from sitegen.model import Site
from sitegen.views import PaperView, Views

PAGE_SIZE = 1000  # an edit of a new paper rewrites its page: small pages keep that cheap
PAPERS = "api/papers.json"
AUTHORS = "api/authors.json"


def papers_path(number: int) -> str:
    return PAPERS if number == 1 else f"api/papers/page/{number}.json"


def page_count(site: Site) -> int:
    return max(1, -(-len(site.papers) // PAGE_SIZE))


def paper_record(paper: PaperView, config: Config) -> dict:
    record = paper.record
    return {
        "id": record.id,
        "url": config.absolute(urls.paper(record.id)),
        "title": paper.title_text,
        "title_source": record.title,
        "authors": [{"name": a.name, "url": config.absolute(a.url[len(config.base_path):])} for a in paper.authors],
        "abstract": record.abstract,
        "published": record.published.isoformat(),
        "day": record.day.isoformat(),
        "tags": list(record.tags),
        "links": dict(record.links),
        "venue": record.venue,
        "upvotes": record.upvotes,
        "bibtex": config.absolute(urls.paper_bibtex(record.id)),
        "cite_key": paper.cite_key,
    }


def papers_page(site: Site, views: Views, config: Config, number: int) -> bytes:
    total = page_count(site)
    ids = site.newest[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    data = {
        "count": len(site.papers),
        "page": number,
        "pages": total,
        "next": config.absolute(papers_path(number + 1)) if number < total else None,
        "papers": [paper_record(views.paper(i), config) for i in ids],
    }
    return _dump(data)


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


def _dump(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
