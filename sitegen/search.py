"""The search index: Pagefind, fed one record per paper straight from the model.

Pagefind splits the index into small chunks, so a reader's browser downloads only
the chunks a query needs. Records carry the title, authors, topics and abstract;
results are shown as paper cards by the theme's search.js.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sitegen import urls
from sitegen.config import Config
from sitegen.model import Site
from sitegen.views import Views

BUNDLE = "pagefind"


def available() -> bool:
    try:
        import pagefind.index  # noqa: F401
    except ImportError:
        return False
    return True


def bundle_digest(site: Site, config: Config) -> str:
    """Changes exactly when a record (a paper, its authors' or topics' names) or the language changes."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{config.language}\0{config.base_path}\0".encode())
    for paper_id in site.newest:
        names = [site.authors[s].name for s in site.paper_authors[paper_id]]
        names += [site.tags[s].name for s in site.paper_tags[paper_id]]
        digest.update(site.papers[paper_id].fingerprint.encode() + "\0".join(names).encode())
    return digest.hexdigest()


def records(site: Site, views: Views):
    """One record per paper. No Pagefind filters or sort keys: with them its output
    differs from run to run, and a build must be reproducible byte for byte."""
    for paper_id in site.newest:
        paper = views.paper(paper_id)
        authors = ", ".join(a.name for a in paper.authors)
        tags = [t.name for t in paper.tags]
        yield {
            "url": "/" + urls.paper(paper_id),
            # The abstract first, so that excerpts show it; names and topics are searchable too.
            "content": "\n".join([paper.abstract_text, paper.title_text, authors, " ".join(tags)]),
            "meta": {"title": paper.title_text, "authors": authors, "day": paper.day.isoformat(),
                     "tags": ", ".join(tags), "venue": paper.venue or "", "upvotes": str(paper.upvotes)},
        }


def write_bundle(site: Site, views: Views, config: Config, target: Path) -> list[str]:
    """Write the Pagefind bundle into `target` (…/pagefind); return the site paths written."""
    if target.exists():
        shutil.rmtree(target)
    items = list(records(site, views))
    # A thread of its own: the caller may already run an event loop (the dev server's).
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, _index(items, config.language, target)).result()
    return sorted(f"{BUNDLE}/{p.relative_to(target).as_posix()}" for p in target.rglob("*") if p.is_file())


async def _index(items: list[dict], language: str, target: Path) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(force_language=language.split("-")[0], output_path=str(target))
    async with PagefindIndex(config=config) as index:
        for item in items:
            await index.add_custom_record(language=language.split("-")[0], **item)
        # leaving the block writes the bundle to config's output_path
