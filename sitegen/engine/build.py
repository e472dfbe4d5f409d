"""The build, top to bottom: load → plan → compare → render → commit.

    content/ ──load──▶ model ──plan──▶ tasks ──compare──▶ stale tasks
             ──render (worker processes)──▶ staging ──commit──▶ output/

Nothing is written to output/ until every page has rendered; a content or template
error stops the build with output/ exactly as it was. Between builds `.sitegen/` keeps
parsed entries, rendered texts, the manifest and a snapshot of the model and the plan,
so a rebuild parses, renders and writes only what an edit affects. `sitegen serve` runs
the same stages with the state it keeps from one build to the next (state.Warm).
"""

from __future__ import annotations

import gc
import pickle
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

from sitegen.atomic import atomic_write
from sitegen.config import Config, find_theme
from sitegen.content.load import ParsedFiles, load_content
from sitegen.content.model import Paper, Site
from sitegen.engine import search_job, snapshot, stamp, uptodate
from sitegen.engine.background import in_background
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.lock import BuildLock
from sitegen.engine.parsecache import ParseCache
from sitegen.engine.processes import default_jobs, parse_map
from sitegen.engine.progress import COMPARING, LOADING, PLANNING, RENDERING, TEXTS, WRITING, Progress
from sitegen.engine.report import BuildReport
from sitegen.engine.shared_fragments import SharedFragments
from sitegen.engine.state import Fresh, Warm
from sitegen.engine.texts import Texts
from sitegen.engine.workers import RenderJob, RenderProcess, render
from sitegen.formats import search
from sitegen.pages.kinds import KINDS
from sitegen.pages.links import content_link_problems, site_paths
from sitegen.pages.plan import Plan, plan, render_order
from sitegen.pages.task import Task
from sitegen.pages.theme import Theme
from sitegen.problems import WARNING, ContentError, Problem, WriteProblem
from sitegen.write.commit import check_output_location, commit, is_empty
from sitegen.write.manifest import Manifest, Record
from sitegen.write.staging import Staging

FRAGMENTS_PER_PAPER = 4  # expected in one process's shared index: cards of a few kinds, a feed item, a BibTeX entry


def build(config: Config, *, jobs: int | None = None, explain: bool = False, warm: Warm | None = None,
          verdict: uptodate.Verdict | None = None, progress: Progress | None = None) -> BuildReport:
    """Build the site. `warm`: what `sitegen serve` keeps between its builds. `verdict`:
    what uptodate.check found just before, if the caller asked it. `progress`: told of
    each stage as it begins and of the pages handed out to render (engine/progress.py).
    A file that cannot be read or written (a full disk, a folder without permission)
    stops the build with a WriteProblem naming it."""
    state = warm if warm is not None else Fresh()
    with _collector_for_builds() as rendering_collector:
        try:
            return _Build(config, state, jobs, explain, rendering_collector, progress).run(verdict)
        except (OSError, sqlite3.Error) as error:
            raise WriteProblem.of(error) from error


class _Build:
    """One build: `run` calls the stages in order; each stage leaves what the next needs."""

    def __init__(self, config: Config, state: Fresh, jobs: int | None, explain: bool, rendering_collector: tuple,
                 progress: Progress | None = None):
        self.config, self.state, self.jobs, self.explain = config, state, jobs, explain
        self.rendering_collector, self.progress = rendering_collector, progress
        self.cache = CacheDir(config.root)
        self.started, self.clock = time.perf_counter(), _Clock()
        self.warnings: list[Problem] = []
        self.reasons: list[tuple[str, str]] = []

    def run(self, verdict: uptodate.Verdict | None) -> BuildReport:
        state = self.state
        state.finish()  # what the last build left for after it, if nothing did it since
        verdict = verdict if verdict is not None else state.verdict(self.config, self.cache)
        if verdict.manifest is not None:  # with its check, for the build that follows
            state.manifest = verdict.manifest
        if verdict.report is not None:
            return state.nothing_to_do(verdict)
        self.open_caches()
        with BuildLock(self.cache.lock), Texts(self.cache, state, self.jobs) as texts:
            self.cache.remove_leftovers()
            self.stage(LOADING)
            site, theme = self.load(texts)
            try:
                self.stage(PLANNING)
                tasks = self.plan(site, theme, texts)
                self.stage(COMPARING)
                stale, order = self.compare(site, tasks)
                if texts.missing:
                    self.stage(TEXTS)
                texts.finish()
                self.clock.lap("texts")
                written, removed = self.render_and_commit(site, theme, tasks, order, texts)
            finally:
                self.warnings += texts.warnings(site)
                texts.prune(site)
        if verdict.inputs is not None:
            stamp.write(self.cache.stamp(self.config.output_dir), verdict.inputs, self.warnings)
        return BuildReport(
            pages=len(state.manifest.records), rendered=len(stale), written=len(written), deleted=len(removed),
            parsed=self.parsed, texts=len(texts.missing), seconds=time.perf_counter() - self.started,
            warnings=self.warnings, reasons=self.reasons, rendered_files=[t.file for t in stale],
            timings=self.clock.laps, output_dir=self.config.output_dir)

    def stage(self, name: str, done: int = 0, total: int = 0) -> None:
        if self.progress is not None:
            self.progress(name, done, total)

    def open_caches(self) -> None:
        """The manifest, checked against output/ in the background while content loads;
        the parse cache; and, for a fresh process, the snapshot the last builds left."""
        state, cache = self.state, self.cache
        # The one uptodate.check read, with its check, if any; loaded again under the lock
        # (compare): if another build saved one meanwhile, that one is read.
        state.manifest = self._manifest()
        state.manifest.check_in_background()
        if state.parse_cache is None or not state.parse_cache.is_current(cache.parsed):
            state.parse_cache = ParseCache(cache.parsed)
        state.restore(cache)

    def load(self, texts: Texts) -> tuple[Site, Theme]:
        """Content files → the model. Texts the store lacks start rendering in worker
        processes as soon as the papers are read, while this process makes the model."""
        state, config = self.state, self.config
        site, theme, self.warnings = prepare(config, state.parse_cache, previous=state.site, jobs=self.jobs,
                                             cache_dir=self.cache, papers_read=texts.start, progress=self.progress)
        if theme == state.theme:
            theme = state.theme
            theme.reload_changed()
        state.site, state.theme, state.config = site, theme, config
        state.take_warm_up()
        self.clock.lap("load")
        check_output_location(config.output_dir, config.root, {
            "content": config.content_dir, "theme": theme.template_dirs[-1].parent,
            **{f"static ({d})": d for d in theme.static_dirs}, "cache": self.cache.path,
        })
        if config.site_url is None:
            self.warnings.append(Problem(
                "sitegen.yaml", None, "base_url",
                f"'{config.base_url}' has no host, so feeds and the sitemap carry paths, not full URLs",
                "set base_url: https://you.github.io/repo/", severity=WARNING))
        return site, theme

    def plan(self, site: Site, theme: Theme, texts: Texts) -> list[Task]:
        """Every output file with the digest of what it shows, keeping what the last plan
        made of the records that show the same."""
        state, config = self.state, self.config
        last = state.plan
        # The model the search index in output/ was made for, which may hold the papers an
        # edit changed as the index shows them (search_job.prepare).
        self.searched = last.site if last is not None and last.search_digests is not None else None
        new = plan(site, config, theme, last)
        # The last plan's build committed to this manifest: compare reads it.
        self.base = state.committed if new.changed_since is not None else None
        state.plan, state.committed = new, None
        self.warnings += content_link_problems(site, config, lambda: (task.path for task in new.tasks))
        self.clock.lap("plan")
        self.parsed = state.parse_cache.misses
        state.parse_cache.save()
        self.keep_snapshot = None
        if state.snapshot_worth_saving(site):
            self.keep_snapshot = partial(_keep_snapshot, self.cache.snapshot, site, new, state.parse_cache.loaded())
            if texts.aside:
                # Written while the texts render, before any render process exists:
                # pickling touches every object, so beside one it makes both copy the
                # whole model (abstracts included). Before the comparison with output/,
                # which needs no text: the texts were often done by the time it was.
                self.keep_snapshot()
                self.keep_snapshot = None
        self.clock.lap("snapshot")
        return new.tasks

    def compare(self, site: Site, tasks: list[Task]) -> tuple[list[Task], list[Task]]:
        """The tasks to render, and in which order: those whose inputs changed since their
        file was written, and those whose file in output/ is not as written. After an
        edit in `sitegen serve`, only the tasks the plan made anew are compared."""
        state = self.state
        manifest = state.manifest = self._manifest()
        self.relative = self.base is not None and self.base[0] is manifest and self.base[1] == manifest.stamp
        reasons = _stale(state.plan.fresh if self.relative and not manifest.damaged() else tasks, manifest,
                         _folders())
        stale = [task for task, _ in reasons]
        if self.explain:
            self.reasons = [(task.file, why) for task, why in reasons]
        order = render_order(site, self.config, stale)
        self.clock.lap("compare")
        return stale, order

    def render_and_commit(self, site: Site, theme: Theme, tasks: list[Task], order: list[Task],
                          texts: Texts) -> tuple[list[str], list[str]]:
        """Render the stale tasks in worker processes into a staging folder, then move what
        changed into output/. The search index and the snapshot are made by the render
        processes too, each by one of them before its pages: made after the pages in this
        process, they left a core idle, and made beside them by a third process they
        slowed rendering by more than they took alone."""
        state, config, cache, manifest = self.state, self.config, self.cache, self.state.manifest
        staging = Staging(Path(tempfile.mkdtemp(dir=cache.made(), prefix=CacheDir.STAGING)),
                          flat=not is_empty(config.output_dir))
        index_job = None
        if any(task.kind == "search_index" for task in order):
            index_job = search_job.prepare(site, manifest, state.plan.search_digests, cache.search_state,
                                           state.index_state, texts.store.path, self.searched)
        side = (partial(_side, self.keep_snapshot),) if self.keep_snapshot is not None else ()
        jobs = self.jobs or default_jobs()
        shared = SharedFragments(cache.path, jobs, FRAGMENTS_PER_PAPER * len(site.papers)) \
            if state.shares_fragments(order, jobs) else None
        of_this_model = state.plan if state.plan.site is site else None
        job = RenderJob(
            site, config, theme, state.stored_texts(site, cache.texts, order, texts.shared), staging.dir,
            staging.flat, order, _previous_digests(order, manifest), cache.api_spans, state.bib_entries,
            state.api_records, of_this_model.paper_digests if of_this_model else None,
            state.kept_fragments(of_this_model) if of_this_model else None, shared, side,
            partial(search_job.run, index_job) if index_job is not None else None, self.rendering_collector)
        changed: dict[str, Record] = {}  # the new records of the files this build renders
        try:
            self.stage(RENDERING, 0, len(order))
            written, files = render(job, self.jobs, manifest.records, changed,
                                    state.take_fragments if job.fragments is not None else None, self.progress)
            self.stage(RENDERING, len(order), len(order))
            self.clock.lap("render")
            index = next((result for result in files if isinstance(result, search_job.SearchResult)), None)
            if index is not None:
                written += index.written
                changed.update(index.records)
                if self.explain:
                    self.reasons += [(name, "search index changed") for name in index.written]
            self.stage(WRITING)
            removed = commit(staging, written, self._removed(tasks, index), manifest, changed)
            state.committed = (manifest, manifest.stamp)
            if index is not None and index.state is not None:  # after the commit: it describes the index in output/
                state.index_state = index.state
                # In `sitegen serve`, once browsers are told to reload: should the server stop
                # first, the index's inputs are not the state's and the next build makes it whole.
                state.after_reload(partial(_save_index_state, cache.search_state, index.state))
            state.check_output_for_next_build(manifest)
            self.clock.lap("write")
        except BaseException:
            staging.discard()
            raise
        finally:
            if shared is not None:
                shared.remove()
        return written, removed

    def _removed(self, tasks: list[Task], index: search_job.SearchResult | None) -> list[str]:
        """Files of the last build that this one does not make. With a plan made against
        this manifest, the files of the last plan's tasks it did not keep that no new task
        makes; otherwise by set difference with every output file (not a Python loop over
        them: this runs on every edit in `sitegen serve`)."""
        manifest, new = self.state.manifest, self.state.plan
        if self.relative:
            gone = new.dropped - {t.file for t in new.fresh}
        else:
            gone = manifest.records.keys() - {t.file for t in tasks}
            if self.config.search:  # the index's files are not tasks: those the index dropped go
                prefix = search.FOLDER + "/"
                gone = {name for name in gone if not name.startswith(prefix)}
        if index is not None:
            gone.update(index.removed)
        return sorted(gone)

    def _manifest(self) -> Manifest:
        config = self.config
        return Manifest.load(self.cache.manifest(config.output_dir), config.output_dir, self.state.manifest,
                             config.keep_files, in_background)


def prepare(config: Config, cache: ParsedFiles | None = None, *, check_templates: bool = False,
            previous: Site | None = None, jobs: int | None = None, cache_dir: CacheDir | None = None,
            papers_read: Callable[[list[Paper]], None] | None = None,
            progress: Progress | None = None) -> tuple[Site, Theme, list[Problem]]:
    """Load and check everything a build needs; raise ContentError listing every problem.

    A build finds template errors when it renders with them (with file and line);
    `check` parses every template up front. `papers_read`: see load_content. `progress`:
    told how many of the content files to parse are parsed.
    """
    mapped = parse_map(jobs)
    if progress is not None:
        mapped = _counted(mapped, progress)
    content = load_content(config, cache, previous, mapped, papers_read)
    problems = list(content.problems)
    theme_dir, theme_problems = find_theme(config)
    problems += theme_problems
    theme = None
    if theme_dir is not None:
        theme = Theme.for_site(config, theme_dir, cache_dir.templates if cache_dir is not None else None)
        problems += theme.problems()  # templates render with plain Jinja, and why, if it fell back by itself
        if check_templates:
            problems += theme.check()
    if any(p.is_error for p in problems):
        raise ContentError(problems)
    return content.site, theme, problems


def _counted(mapped: Callable[[Callable, list], Iterator], progress: Progress) -> Callable[[Callable, list], Iterator]:
    """The parse map, telling `progress` of each file parsed (the display throttles)."""
    def counted(function: Callable, items: list) -> Iterator:
        total = len(items)
        for done, result in enumerate(mapped(function, items), 1):
            progress(LOADING, done, total)
            yield result

    return counted


def check(config: Config) -> list[Problem]:
    """Validate content, settings and templates without writing anything."""
    cache = ParseCache(CacheDir(config.root).parsed, write=False)
    try:
        site, theme, problems = prepare(config, cache, check_templates=True)
    except ContentError as error:
        return error.problems
    return problems + content_link_problems(site, config, lambda: site_paths(site, config, theme))


@contextmanager
def _collector_for_builds():
    """A build makes hundreds of thousands of objects that live until it ends (the
    model, the plan), and hardly any reference cycles. With the default thresholds the
    cycle collector scans them again and again: a fifth of an edit's rebuild here.
    Gives the thresholds the build found, which rendering goes back to."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield before
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _stale(tasks: list[Task], manifest: Manifest, folders: dict[str, str]) -> list[tuple[Task, str]]:
    """The tasks to render, and why: one pass over every output file of the site.
    `folders`: the kinds whose task writes a folder of files, and the folder."""
    get, damaged = manifest.records.get, manifest.damaged()
    out = []
    for task in tasks:
        record = get(task.file)
        if record is None:
            out.append((task, "new"))
        elif record.inputs != task.inputs:
            out.append((task, "inputs changed"))
        elif damaged and (task.file in damaged or task.kind in folders
                          and any(name.startswith(folders[task.kind]) for name in damaged)):
            out.append((task, "output file changed or missing"))
    return out


def _folders() -> dict[str, str]:
    return {kind.name: kind.folder for kind in KINDS.values() if kind.folder is not None}


def _previous_digests(order: list[Task], manifest: Manifest) -> dict[str, str]:
    """The digest of the bytes of each file to render, where output/ holds it as recorded:
    a page rendered to the same bytes is not written again."""
    records = manifest.records
    return {t.file: records[t.file].digest for t in order if t.file in records and manifest.is_intact(t.file)}


def _side(work: Callable[[], None], process: RenderProcess) -> None:
    work()


def _keep_snapshot(path: Path, site: Site, new: Plan, parsed: dict) -> None:
    """The snapshot is a cache: one that cannot be written only makes the next build do more."""
    try:
        snapshot.write(path, site, new, parsed)
    except OSError:
        pass


def _save_index_state(path: Path, state: search.IndexState) -> None:
    atomic_write(path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


class _Clock:
    """Seconds spent in each stage, for --explain and the benchmarks."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = self.laps.get(stage, 0.0) + now - self._last
        self._last = now
