"""The site paths of every page, and the guard that keeps writes in output/.

A site path is relative to the site root and '/'-separated: 'papers/2203.00555/'
for a page (written as its index.html) or 'feed.xml' for a file. Templates turn
site paths into links with `Config.link` (base path) or `Config.absolute`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

INDEX = ""
PAPERS = "papers/"
AUTHORS = "authors/"
DAYS = "days/"
TAGS = "tags/"
SEARCH = "search/"
FEED = "feed.xml"
WEEKS_FEED = "weeks/feed.xml"  # the weekly digest
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
NOT_FOUND = "404.html"


def paper(paper_id: str) -> str:
    return f"papers/{paper_id}/"


def paper_bibtex(paper_id: str) -> str:
    return f"papers/{paper_id}/cite.bib"


def author(slug: str) -> str:
    return f"authors/{slug}/"


def author_feed(slug: str) -> str:
    return f"authors/{slug}/feed.xml"


def author_bibtex(slug: str) -> str:
    return f"authors/{slug}/works.bib"


def day(when: date) -> str:
    return f"days/{when.isoformat()}/"


def week(key: str) -> str:
    return f"weeks/{key}/"


def month(key: str) -> str:
    return f"months/{key}/"


def tag(slug: str) -> str:
    return f"tags/{slug}/"


def tag_feed(slug: str) -> str:
    return f"tags/{slug}/feed.xml"


def page(first: str, number: int) -> str:
    """Page N of a paginated listing: the first page keeps the listing's own URL."""
    return first if number == 1 else f"{first}page/{number}/"


def output_file(site_path: str) -> str:
    """The file a site path is written to: pretty URLs are folders with index.html."""
    return site_path + "index.html" if site_path == "" or site_path.endswith("/") else site_path


class UnsafePath(ValueError):
    pass


def checked_relative(file_path: str) -> str:
    """`file_path`, if it names a place below a folder by its spelling alone (not
    absolute, no `..`, no backslash or NUL); else UnsafePath."""
    if (file_path.startswith("/") or "\\" in file_path or "\x00" in file_path
            or ".." in file_path.split("/")):
        raise UnsafePath(f"refusing to write outside the output folder: {file_path!r}")
    return file_path


def safe_output_path(output_dir: Path, file_path: str) -> Path:
    """`output_dir / file_path`, refusing anything that would land outside output_dir,
    through a symbolic link too."""
    target = output_dir / checked_relative(file_path)
    if not target.resolve().is_relative_to(output_dir.resolve()):
        raise UnsafePath(f"refusing to write outside the output folder: {file_path!r}")
    return target
