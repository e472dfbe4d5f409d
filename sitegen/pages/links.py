"""Links that lead nowhere: `sitegen check --links` finds every internal link and image
of a built site that does not resolve; `content_link_problems` warns, at every build,
of each link, thumbnail or author URL in the content that is a path the site does not
have.

Pages are scanned with a pattern rather than an HTML parser: sitegen's templates and
its sanitiser always write attributes in double quotes, and a 10,000-paper site has
some 60,000 pages to read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable
from urllib.parse import unquote, urljoin, urlsplit

from sitegen import urls
from sitegen.problems import WARNING, Problem, display_path
from sitegen.content.sources import AUTHORS_FILE

if TYPE_CHECKING:  # the command line imports this module; a build that has nothing to do, not the model
    from sitegen.config import Config
    from sitegen.content.model import Site

_LINK = re.compile(r'\s(?:href|src)="([^"]*)"')


def _files(output: Path) -> set[str]:
    found = set()
    for dirpath, _, filenames in os.walk(output):
        relative = os.path.relpath(dirpath, output)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.update(prefix + name for name in filenames)
    return found


def _target(url: str, page_url: str, base_path: str) -> str | None:
    """The output file a link points to, '' for one outside the site, None for external."""
    parts = urlsplit(urljoin(page_url, url))
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path.startswith(base_path):
        return ""
    path = path[len(base_path):]
    return path + "index.html" if path == "" or path.endswith("/") else path


def check_links(output: Path, base_path: str) -> list[Problem]:
    files = _files(output)
    problems = []
    for name in sorted(f for f in files if f.endswith(".html")):
        page_url = base_path + name.removesuffix("index.html")
        text = (output / name).read_text(encoding="utf-8", errors="replace")
        for match in _LINK.finditer(text):
            url = match.group(1).replace("&amp;", "&")
            if not url or url.startswith(("#", "mailto:")):
                continue
            target = _target(url, page_url, base_path)
            if target is None:
                continue
            if target == "" or (target not in files and target.rstrip("/") + "/index.html" not in files):
                line = text.count("\n", 0, match.start()) + 1
                where = "outside the site's base path" if target == "" else "to a missing page or file"
                problems.append(Problem(f"{output.name}/{name}", line, None, f"broken link {where}: {url}"))
    return problems


def content_link_problems(site: Site, config: Config, site_paths: Callable[[], Iterable[str]]) -> list[Problem]:
    """A warning for each path in the site that content links to (Paper.site_links,
    Profile.site_links) and the site neither builds nor copies from static/.
    `site_paths`: every site path of the build's plan (its pages, files and static
    files), asked for only if some content links into the site: most links are http(s)
    URLs, and most listings never ask. It is scanned once for the few paths linked, not
    made into a set (360,000 paths at 100,000 papers)."""
    papers = [paper for paper in site.papers.values() if paper.site_links]
    profiles = [profile for profile in site.index.profiles if profile.site_links] if site.index else []
    if not papers and not profiles:
        return []
    authors_file = display_path(config.content_dir / AUTHORS_FILE, config.root)
    links = [(source, field, url, line, _site_path(url, config.base_path))
             for source, site_links in [(p.source, p.site_links) for p in papers]
             + [(authors_file, p.site_links) for p in profiles]
             for field, url, line in site_links]
    wanted = {spelling for *_, (path, _) in links if path is not None for spelling in _spellings(path)}
    found = {path for path in site_paths() if path in wanted} if wanted else set()
    problems = []
    for source, field, url, line, (path, outside) in links:
        if outside is not None:
            message, hint = outside
        elif path is None or not found.isdisjoint(_spellings(path)):
            continue
        else:
            message = f"{url!r} is not a page of this site nor a file in static/"
            hint = (f"add the file static/{urls.output_file(path)}, link a page the site builds (such as "
                    "papers/<id>/) or give a full https:// URL")
        if field == "links.arxiv":
            hint = "an arXiv id is written as 2203.00555, 1501.00001v2 or hep-th/9901001"
        problems.append(Problem(source, line, field, message, hint, severity=WARNING))
    return sorted(problems)


def _site_path(url: str, base_path: str) -> tuple[str | None, tuple[str, str] | None]:
    """The site path a link into the site names (relative links are under the base path,
    as markup.site_url makes them), or None for '#part' or '?query' (the page showing
    it); and, for a link outside the base path, what is wrong with it (message, hint)."""
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        path = url
    if not path:
        return None, None
    if path.startswith("/"):
        if not path.startswith(base_path):
            return None, (f"{url!r} is outside the site, whose pages are under {base_path}",
                          f"write the path from the site's root without the leading '/', e.g. {path.lstrip('/')!r}")
        return path[len(base_path):], None
    return path.removeprefix("./"), None


def _spellings(path: str) -> tuple[str, ...]:
    """The site paths a link's path may name: itself, a page without its final '/', or
    a page's index.html."""
    if path == "index.html" or path.endswith("/index.html"):
        return path, path + "/", path[:-len("index.html")]
    return path, path + "/"


def site_paths(site: Site, config: Config, static_files: Iterable[str]) -> set[str]:
    """Every site path a build of `site` writes (`static_files`: the theme's and the
    site's), from the model alone: what `tasks.plan` makes, without the digests of what
    each page shows, which are nearly all of its time (seconds at 10,000 papers). For
    `sitegen check`, which plans nothing; tests hold the two equal."""
    from sitegen.formats import api
    from sitegen.formats import feeds
    from sitegen.pages.views import page_count

    per_page = config.per_page
    paths = {urls.INDEX, urls.AUTHORS, urls.DAYS, urls.TAGS, urls.FEED, urls.NOT_FOUND, urls.ROBOTS, api.AUTHORS}
    if config.search:
        paths.add(urls.SEARCH)

    def listing(first: str, count: int) -> None:
        paths.update(urls.page(first, number) for number in range(1, page_count(count, per_page) + 1))

    for paper_id in site.papers:
        paths.add(urls.paper(paper_id))
        paths.add(urls.paper_bibtex(paper_id))
    for slug, author in site.authors.items():
        listing(urls.author(slug), len(author.papers))
        paths.update((urls.author_feed(slug), f"authors/{slug}/works.bib"))
    for slug, tag in site.tags.items():
        listing(urls.tag(slug), len(tag.papers))
        paths.add(urls.tag_feed(slug))
    for day in site.days:
        listing(urls.day(day.date), len(day.papers))
    for kind, periods in ((urls.week, site.weeks), (urls.month, site.months)):
        for period in periods:
            listing(kind(period.key), len(period.papers))
    paths.update(api.papers_path(number) for number in range(1, api.page_count(site) + 1))
    pages = sum(1 for path in paths if (path == "" or path.endswith("/")) and path != urls.SEARCH)
    sitemaps = -(-pages // feeds.SITEMAP_LIMIT)
    paths.add(urls.SITEMAP)
    if sitemaps > 1:
        paths.update(f"sitemaps/sitemap-{number}.xml" for number in range(1, sitemaps + 1))
    paths.update(static_files)
    return paths
