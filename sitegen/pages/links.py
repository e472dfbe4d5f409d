"""Links in the content that lead nowhere: a warning, at every build and in `sitegen
check`, for each link, thumbnail or author URL that is a path the site does not have.
(`sitegen check --links` checks the links of the built pages: commands/check.py.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable
from urllib.parse import unquote, urlsplit

from sitegen import urls
from sitegen.problems import WARNING, Problem, display_path
from sitegen.content.sources import AUTHORS_FILE

if TYPE_CHECKING:  # the command line imports this module; a build that has nothing to do, not the model
    from sitegen.config import Config
    from sitegen.content.model import Site
    from sitegen.pages.theme import Theme

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


def site_paths(site: Site, config: Config, theme: Theme) -> set[str]:
    """Every site path a build of `site` writes, from the model alone: the plan's tasks
    without the digests of what each page shows, which are nearly all of a plan's time
    (seconds at 10,000 papers). For `sitegen check`, which plans nothing else."""
    from sitegen.pages.plan import Planner

    return {task.path for task in Planner(site, config, theme, None, digests=_Undigested()).run().tasks}


class _Undigested:
    """A plan's digests, not computed: every one is empty."""

    context = ()

    def keep(self, *digests) -> None:
        pass

    def _none(self, *anything) -> str:
        return ""

    paper = papers = cite = cites = people = page = _none
    papers_digests = people_digests = cite_digests = {}
