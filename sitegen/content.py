"""The content stage: files under content/ → validated papers → the Site model.

Every file is read and every entry validated before anything stops, so one run
reports every problem.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

from sitegen.config import Config
from sitegen.model import Paper, Profile, Site, build_site
from sitegen.model_update import update_site
from sitegen.parsecache import ParseCache, Stamp, content_digest
from sitegen.problems import WARNING, Problem, display_path
from sitegen.sources import AUTHORS_FILE, find_content_files, parse_yaml, read_source, read_text
from sitegen.validate import check_duplicate_ids, validate_entry, validate_profiles

PARALLEL_FILES = 32  # fewer content files to parse than this: not worth starting processes


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


HELPER_NICENESS = 5


def run_as_helper() -> None:
    """Lower the priority of a process that works beside the build process (parsing
    entries, rendering texts), whose own work then runs first. The build process has a
    chain of steps only it can do (storing what is parsed, the model, the plan) while
    its helpers have work that can wait, and with an equal share of the cores, the
    helpers finished first and left one idle while it went on alone."""
    try:
        os.nice(HELPER_NICENESS)
    except (OSError, AttributeError):  # not permitted, or no such call here
        pass


@dataclass
class Content:
    site: Site | None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def load_papers(config: Config, cache: ParseCache | None = None,
                jobs: int | None = None) -> tuple[list[Paper], list[Problem], int]:
    """Every content file's papers and problems; what was parsed is stored in `cache`,
    for the caller to commit."""
    content_dir = config.content_dir
    problems: list[Problem] = []
    if not content_dir.is_dir():
        shown = display_path(content_dir, config.root)
        return [], [Problem(shown, None, None, "content folder not found",
                            "create it, or pass --content DIR")], 0
    shown_dir = display_path(content_dir, config.root)
    prefix = "" if shown_dir == "." else shown_dir + "/"
    files = [(prefix + inside, path) for inside, path in find_content_files(content_dir)]
    cache = cache or ParseCache(None)
    cache.start()
    entries = {name: cache.lookup(name, path) for name, path in files}
    unparsed = [(name, path) for name, path in files if entries[name] is None]
    for (name, path), (stamp, data) in zip(unparsed, _parse_files([path for _, path in unparsed], config, jobs)):
        entries[name] = pickle.loads(data)
        cache.store(name, path, *entries[name], pickled=data, stamp=stamp)
    papers: list[Paper] = []
    for name, _ in files:
        papers += entries[name][0]
        problems += entries[name][1]
    problems += check_duplicate_ids(papers)
    if not files:
        problems.append(Problem(display_path(content_dir, config.root), None, None,
                                "no entries found (*.yaml, *.yml or *.md)", severity=WARNING))
    return papers, problems, len(files)


def _parse_files(paths: list[Path], config: Config, jobs: int | None) -> Iterator[tuple[Stamp | None, bytes]]:
    """Each file's stamp and entries, pickled (as the parse cache keeps them), in order.
    Many files are parsed in worker processes: YAML and validation take about half a
    millisecond per entry."""
    jobs = jobs or default_jobs()
    if jobs <= 1 or len(paths) < PARALLEL_FILES:
        yield from (_parse_file(path, config) for path in paths)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(paths)), mp_context=context, initializer=run_as_helper) as pool:
        yield from pool.map(partial(_parse_file, config=config), paths, chunksize=max(1, len(paths) // (jobs * 8)))


def _parse_file(path: Path, config: Config) -> tuple[Stamp | None, bytes]:
    """The file's stamp for the parse cache, of the very bytes its entries come from: a
    stamp taken after the parse, from the file again, described a save made meanwhile
    (`sitegen serve` builds while the editor saves), and the cache then kept the older
    entries as the newer file's. None if the file cannot be read (read_entries says why)."""
    try:
        stat = os.stat(path)
        data = path.read_bytes()
    except OSError:
        return None, pickle.dumps(read_entries(path, config), protocol=pickle.HIGHEST_PROTOCOL)
    stamp = (stat.st_size, stat.st_mtime_ns, content_digest(data))
    return stamp, pickle.dumps(read_entries(path, config, data), protocol=pickle.HIGHEST_PROTOCOL)


def read_entries(path, config: Config, data: bytes | None = None) -> tuple[list[Paper], list[Problem]]:
    """One file's valid papers and its problems; `data`: its bytes, if read already."""
    source = read_source(path, config.root, data)
    problems = list(source.problems)
    papers = []
    for raw in source.entries:
        paper, entry_problems = validate_entry(raw)
        problems += entry_problems
        if paper is not None:
            papers.append(paper)
    return papers, problems


def load_profiles(config: Config) -> tuple[list[Profile], list[Problem]]:
    path = config.content_dir / AUTHORS_FILE
    if not path.is_file():
        return [], []
    shown = display_path(path, config.root)
    text, problems = read_text(path, shown)
    if text is None:
        return [], problems
    data, problems = parse_yaml(text, shown)
    profiles, more = validate_profiles(data, shown)
    return profiles, problems + more


def load_content(config: Config, cache: ParseCache | None = None, previous: Site | None = None,
                 jobs: int | None = None, papers_read: Callable[[list[Paper]], None] | None = None) -> Content:
    """The model of the content; made from `previous` (the last build's, in this process)
    when only a few papers changed. `papers_read` is given the papers the model will hold
    before it is made, if the content has no error."""
    papers, problems, files = load_papers(config, cache, jobs)
    profiles, profile_problems = load_profiles(config)
    problems += profile_problems
    if not config.drafts:
        papers = [p for p in papers if not p.draft]
    if any(p.is_error for p in problems):
        if cache is not None:
            cache.commit()
        return Content(None, problems, files)
    if papers_read is not None:
        papers_read(papers)
    if cache is not None:
        # After the texts start rendering aside: committing a large listing's parsed
        # entries took 0.1 s of one core at 10,000 papers, with the other idle.
        cache.commit()
    site = (update_site(previous, papers, profiles) if previous is not None else None) or build_site(papers, profiles)
    return Content(site, problems + unknown_profile_problems(config, profiles, site), files)


def unknown_profile_problems(config: Config, profiles: list[Profile], site: Site) -> list[Problem]:
    """A profile no paper credits is probably a typo in a name."""
    credited = {a.name for a in site.authors.values()}
    return [Problem(f"{config.content}/{AUTHORS_FILE}", None, "name",
                    f"profile '{p.name}' matches no author of any paper", severity=WARNING)
            for p in profiles if p.name not in credited]

