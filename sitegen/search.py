"""The search index: Pagefind, run over the built paper pages.

Pagefind splits the index into small chunks, so a reader's browser downloads only
the chunks a query needs. Paper pages mark what is indexed (`data-pagefind-body`)
and the fields a result card shows (`data-pagefind-meta`); search.js draws the cards.
Pagefind's command line indexes thousands of pages a second (its Python API costs
about 0.1 s a record, too slow for a large listing).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from sitegen.config import Config
from sitegen.model import Site

BUNDLE = "pagefind"
PAGES = "papers/*/index.html"


class SearchError(Exception):
    pass


def available() -> bool:
    try:
        import pagefind  # noqa: F401
    except ImportError:
        return False
    return True


def bundle_digest(site: Site, config: Config, template_digest: str) -> str:
    """Changes exactly when an indexed page could: a paper, its authors' or topics' names,
    the paper template, the language or the base path."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{config.language}\0{config.base_path}\0{template_digest}\0".encode())
    for paper_id in site.newest:
        names = [site.authors[s].name for s in site.paper_authors[paper_id]]
        names += [site.tags[s].name for s in site.paper_tags[paper_id]]
        digest.update(site.papers[paper_id].fingerprint.encode() + "\0".join(names).encode())
    return digest.hexdigest()


def write_bundle(output_dir: Path, target: Path, language: str) -> list[str]:
    """Index output_dir's paper pages into `target` (…/pagefind); return the site paths written.

    Pagefind does not follow a page's links, so only files under output_dir are read.
    """
    if target.exists():
        shutil.rmtree(target)
    command = [sys.executable, "-m", "pagefind", "--site", str(output_dir), "--output-path", str(target),
               "--glob", PAGES, "--force-language", language.split("-")[0], "--silent"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not target.is_dir():
        raise SearchError(f"pagefind failed: {(result.stderr or result.stdout).strip()[-2000:]}")
    return sorted(f"{BUNDLE}/{p.relative_to(target).as_posix()}" for p in target.rglob("*") if p.is_file())
