"""The content stage: files under content/ → validated papers → the Site model.

Every file is read and every entry validated before anything stops, so one run
reports every problem. What the engine keeps between builds (the entries parsed
before) and how it spreads work over processes come in as parameters: a `ParsedFiles`
and a `map`.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Protocol

from sitegen.config import Config
from sitegen.content.model import Paper, Profile, Site, build_site
from sitegen.content.sources import AUTHORS_FILE, FileStamp, file_digest, find_content_files, read_source
from sitegen.content.update import update_site
from sitegen.content.validate import check_duplicate_ids, validate_entry, validate_profiles
from sitegen.problems import WARNING, Problem, display_path
from sitegen.yamlfile import parse_yaml, read_text

Map = Callable[[Callable, list], Iterable]  # `map`, or one that spreads the calls over processes


class ParsedFiles(Protocol):
    """The entries of each content file as parsed before, found by the file's stamp
    (the engine's parse cache); what this stage parses is stored back in it."""

    def start(self) -> None: ...

    def lookup(self, name: str, path: Path) -> tuple[list[Paper], list[Problem]] | None: ...

    def store(self, name: str, path: Path, papers: list[Paper], problems: list[Problem],
              pickled: bytes | None = None, stamp: FileStamp | None = None) -> None: ...

    def commit(self) -> None: ...


class _Unkept:
    """No entries kept: every file is parsed."""

    def start(self) -> None:
        pass

    def lookup(self, name: str, path: Path) -> None:
        return None

    def store(self, *args, **kwargs) -> None:
        pass

    def commit(self) -> None:
        pass


@dataclass
class Content:
    site: Site | None
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


def load_papers(config: Config, cache: ParsedFiles | None = None,
                parse_map: Map = map) -> tuple[list[Paper], list[Problem], int]:
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
    cache = cache or _Unkept()
    cache.start()
    entries = {name: cache.lookup(name, path) for name, path in files}
    unparsed = [(name, path) for name, path in files if entries[name] is None]
    parsed = parse_map(partial(_parse_file, config=config), [path for _, path in unparsed])
    for (name, path), (stamp, data) in zip(unparsed, parsed):
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


def _parse_file(path: Path, config: Config) -> tuple[FileStamp | None, bytes]:
    """The file's stamp for the parse cache, of the very bytes its entries come from: a
    stamp taken after the parse, from the file again, described a save made meanwhile
    (`sitegen serve` builds while the editor saves), and the cache then kept the older
    entries as the newer file's. None if the file cannot be read (read_entries says why)."""
    try:
        stat = os.stat(path)
        data = path.read_bytes()
    except OSError:
        return None, pickle.dumps(read_entries(path, config), protocol=pickle.HIGHEST_PROTOCOL)
    stamp = (stat.st_size, stat.st_mtime_ns, file_digest(data))
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


def load_content(config: Config, cache: ParsedFiles | None = None, previous: Site | None = None,
                 parse_map: Map = map, papers_read: Callable[[list[Paper]], None] | None = None) -> Content:
    """The model of the content; made from `previous` (the last build's, in this process)
    when only a few papers changed. `papers_read` is given the papers the model will hold
    before it is made, if the content has no error."""
    papers, problems, files = load_papers(config, cache, parse_map)
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

