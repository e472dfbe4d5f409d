"""The build, top to bottom: content → model → plan → render what changed → commit.

Nothing is written to output/ until every page has rendered; a content or template
error stops the build with output/ exactly as it was. Between builds `.sitegen/`
keeps parsed entries, rendered texts and the manifest, so a rebuild parses,
renders and writes only what an edit affects.
"""

from __future__ import annotations

import gc
import os
import pickle
import sqlite3
import time
import traceback
from concurrent.futures import Executor, Future, ProcessPoolExecutor, wait as futures_wait
from contextlib import ExitStack, contextmanager, nullcontext
from functools import partial
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable, Iterator

import jinja2

from sitegen.formats import search
from sitegen.engine import search_job
from sitegen.engine import snapshot
from sitegen.engine import stamp
from sitegen.engine import uptodate
from sitegen.atomic import atomic_write
from sitegen.config import Config, find_theme
from sitegen.content.load import load_content
from sitegen.engine.processes import default_jobs, die_with_parent, fork_context, parse_map, return_free_memory, run_as_helper
from sitegen.pages.links import content_link_problems, site_paths
from sitegen.content.model import Paper, Site
from sitegen.write.output import (BuildLock, Manifest, Record, Staging, check_output_location, commit,
                            content_digest, is_empty)
from sitegen.engine.parsecache import ParseCache
from sitegen.problems import WARNING, ContentError, Problem, TemplateProblem, WriteProblem
from sitegen.engine.report import BuildReport
from sitegen.lru import LRUCache
from sitegen.pages.fragments import PaperFragments
from sitegen.formats.markup import renderers_loaded
from sitegen.engine.segments import Segments
from sitegen.engine.shared_fragments import SharedFragments, SharedPart, remove_leftovers
from sitegen.pages.plan import API_CACHE, BIB_CACHE, PlanMemo, Renderer, Task, plan, render_order
from sitegen.engine.textstore import StoredTexts, TextStore, render_text, text_record
from sitegen.pages.theme import Theme
from sitegen.engine.uptodate import CACHE_DIR
from sitegen.pages.views import Views

CHUNK = 64  # tasks per message to a worker
# Render orders this long share their processes' fragments through files (shared_fragments.py);
# an edit's few pages would only pay for making the folder and index.
SHARED_FROM = 2048
FRAGMENTS_PER_PAPER = 4  # expected in one process's index: cards of a few kinds, a feed item, a BibTeX entry
# Texts no paper has any more that the store may hold before a build removes them: an
# edit's build then does not compare every paper's text with the store.
PRUNE_SPARE = 64
KEPT_FRAGMENTS = 131072  # papers' fragments `sitegen serve` keeps: all of 30,000 papers', ~3 KB each as UTF-8
TEXT_CHUNK = 32  # fewer texts to render than this: one worker renders them, or this process (_rendering_texts)
TEXT_BATCH = 1024  # rendered texts per write to the text store
# ... until fewer than TEXT_BATCH are left to hand out: then this many, so that no process
# ends with a long write while the others wait (the last 1,000-row batch took 0.1 s).
TEXT_LAST_BATCH = 64
TEXT_SHARE = 16  # texts a process takes from those left at a time: about 5 ms of work
TEXTS_READ_AT_ONCE = 20_000  # papers up to which each render process of a full build holds every text (~6 KB each)


@dataclass
class Warm:
    """What a long-running process (`sitegen serve`) keeps from one build to the next:
    parsed entries, the model (an edit updates it) and the plan's digests and tasks."""

    parse_cache: ParseCache | None = None
    site: Site | None = None
    theme: Theme | None = None  # its Jinja environment keeps compiled templates (reloaded when edited)
    plan: PlanMemo = field(default_factory=PlanMemo)
    texts: dict = field(default_factory=dict)  # text key → rendered title and abstract
    bib_entries: LRUCache = field(default_factory=lambda: LRUCache(BIB_CACHE))  # (fingerprint, cite key, with abstract) → entry
    api_records: LRUCache = field(default_factory=lambda: LRUCache(API_CACHE))  # a paper's JSON, by what it shows
    # Papers' cards and feed items (PaperFragments): about four per paper, a few KB each.
    fragments: LRUCache = field(default_factory=lambda: LRUCache(KEPT_FRAGMENTS))
    manifest: Manifest | None = None  # reused while the file on disk is the one it saved
    text_store: TextStore | None = None  # an open store knows its keys, not read again each build
    search_digests: tuple[Site, dict[str, str]] | None = None  # the model they were computed for, and them
    index_state: search.IndexState | None = None  # the last one saved, not read back from .sitegen/ again

    config: Config | None = None  # of the last build
    tasks: list[Task] = field(default_factory=list)  # the last plan's
    warm_up: tuple[Executor, Future] | None = None  # a render process making papers' fragments
    warmed: tuple = ()  # the plan context the last warm-up was for
    deferred: list[Callable[[], None]] = field(default_factory=list)  # for idle(), in this order

    def idle(self) -> None:
        """Between builds (`sitegen serve`, once browsers are told to reload).

        Collects the garbage the last build left, such as the model it replaced, now,
        while nobody waits: left to the collector, a full collection came in the middle
        or at the end of the next build (0.1-0.2 s of an edit's rebuild at 10,000
        papers). Then does what the last build left for now (`finish`). And once per
        theme and settings, warms up: a render process renders every listing page, feed,
        works.bib and API page and hands back the papers' cards, feed items, BibTeX
        entries and JSON records it made, so that an edit anywhere in the listing finds
        them (`PaperFragments`).
        """
        gc.collect()  # before finish() forks the check: collected after, every page it walks is copied
        self.finish()
        self._take_warm_up()
        if self.warm_up is None and self.config is not None and self.plan.site is self.site \
                and self.site is not None and self.warmed != self.plan.context:
            self.warm_up = _start_warm_up(self)
            self.warmed = self.plan.context

    def finish(self) -> None:
        """What the last build left for after it: writing the search index's state and
        starting the check of output/ for the next build."""
        while self.deferred:
            self.deferred.pop(0)()

    def close(self) -> None:
        """Stop a warm-up under way (the server is stopping): without this, the
        interpreter's exit would wait for it to finish, minutes at 100,000 papers."""
        if self.warm_up is None:
            return
        pool, _ = self.warm_up
        self.warm_up = None
        processes = list(getattr(pool, "_processes", {}).values())  # no public way to stop a running task
        for process in processes:
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def wait_for_warm_up(self) -> None:
        if self.warm_up is not None:
            futures_wait([self.warm_up[1]])
        self._take_warm_up()

    def _take_warm_up(self) -> None:
        """Keep what a finished warm-up made (in this thread: the fragment cache is not
        shared with the executor's); a warm-up that failed only leaves the cache colder."""
        if self.warm_up is None or not self.warm_up[1].done():
            return
        pool, future = self.warm_up
        self.warm_up = None
        pool.shutdown(wait=False)
        if future.exception() is None:
            fragments, bib_entries, api_records = future.result()
            self.fragments.update(fragments)
            self.bib_entries.update(bib_entries)
            self.api_records.update(api_records)


def prepare(config: Config, cache: ParseCache | None = None, *, check_templates: bool = False,
            previous: Site | None = None, jobs: int | None = None,
            cache_dir: Path | None = None,
            papers_read: Callable[[list[Paper]], None] | None = None) -> tuple[Site, Theme, list[Problem]]:
    """Load and check everything a build needs; raise ContentError listing every problem.

    A build finds template errors when it renders with them (with file and line);
    `check` parses every template up front. `papers_read`: see load_content.
    """
    content = load_content(config, cache, previous, parse_map(jobs), papers_read)
    problems = list(content.problems)
    theme_dir, theme_problems = find_theme(config)
    problems += theme_problems
    theme = None
    if theme_dir is not None:
        theme = Theme.for_site(config, theme_dir, cache_dir / "templates" if cache_dir else None)
        if check_templates:
            problems += theme.check()
    if any(p.is_error for p in problems):
        raise ContentError(problems)
    return content.site, theme, problems


def build(config: Config, *, jobs: int | None = None, explain: bool = False, warm: Warm | None = None,
          verdict: uptodate.Verdict | None = None) -> BuildReport:
    """`verdict`: what uptodate.check found just before, if the caller asked it. A file
    that cannot be read or written (a full disk, a folder without permission) stops the
    build with a WriteProblem naming it."""
    with _collector_for_builds():
        try:
            return _build(config, jobs=jobs, explain=explain, warm=warm, verdict=verdict)
        except (OSError, sqlite3.Error) as error:
            raise WriteProblem.of(error) from error


@contextmanager
def _collector_for_builds():
    """A build makes hundreds of thousands of objects that live until it ends (the
    model, the plan), and hardly any reference cycles. With the default thresholds the
    cycle collector scans them again and again: a fifth of an edit's rebuild here."""
    _worker["collector"] = before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _build(config: Config, *, jobs: int | None, explain: bool, warm: Warm | None,
           verdict: uptodate.Verdict | None) -> BuildReport:
    started = time.perf_counter()
    clock = _Clock()
    cache_dir = config.root / CACHE_DIR
    stamp_path = stamp.stamp_file(cache_dir, config.output_dir)
    serving, warm = warm is not None, warm or Warm()
    warm.finish()  # if idle() did not run since the last build
    if verdict is None:
        # A warm process's first build goes all the way, to have the model for the next one.
        verdict = uptodate.check(config, warm.manifest) if not serving or warm.site \
            else uptodate.Verdict(uptodate.inputs_stamp(config))
    inputs = verdict.inputs
    if verdict.manifest is not None:  # with its check, for the build that follows
        warm.manifest = verdict.manifest
    if verdict.report is not None:
        if serving:  # for the next save: this check's answer is used
            warm.manifest.check_in_background(again=True)
        return verdict.report
    cache_path = cache_dir / "content.sqlite"
    # The one uptodate.check read, with its check, if any; checked again under the lock: if
    # another build saved one meanwhile, that one is read.
    warm.manifest = Manifest.load(cache_dir, config.output_dir, warm.manifest, config.keep_files)
    warm.manifest.check_in_background()
    if warm.parse_cache is None or not warm.parse_cache.is_current(cache_path):
        warm.parse_cache = ParseCache(cache_path)
    parse_cache = warm.parse_cache
    restored = None if serving else _restore(cache_dir, warm)
    with BuildLock(cache_dir), _Texts(cache_dir, warm, jobs, serving) as texts:
        # Texts the store lacks render in worker processes from the moment the papers are
        # read, while this process builds the model and plans.
        site, theme, warnings = prepare(config, parse_cache, previous=warm.site, jobs=jobs, cache_dir=cache_dir,
                                        papers_read=texts.start)
        if theme == warm.theme:
            theme = warm.theme
            theme.reload_changed()
        warm.site, warm.theme, warm.config = site, theme, config
        warm._take_warm_up()
        clock.lap("load")
        output_dir = config.output_dir
        check_output_location(output_dir, config.root, {
            "content": config.content_dir, "theme": theme.template_dirs[-1].parent,
            **{f"static ({d})": d for d in theme.static_dirs}, "cache": cache_dir,
        })
        if config.site_url is None:
            warnings.append(Problem("sitegen.yaml", None, "base_url",
                                    f"'{config.base_url}' has no host, so feeds and the sitemap carry paths, not full URLs",
                                    "set base_url: https://you.github.io/repo/", severity=WARNING))
        store = texts.store
        try:
            tasks = warm.tasks = plan(site, config, theme, warm.plan)
            warnings += content_link_problems(site, config, lambda: (task.path for task in tasks))
            report = BuildReport(pages=len(tasks), output_dir=output_dir, timings=clock.laps, texts=len(texts.missing))
            clock.lap("plan")
            report.parsed = parse_cache.misses
            parse_cache.save()
            search_digests = None
            last = warm.search_digests[0] if warm.search_digests is not None else None
            if config.search:
                search_digests = search.paper_digests(site, _unchanged_search_digests(warm))
                warm.search_digests = (site, search_digests)
            keep = None
            if not serving and snapshot.worth_saving(restored, warm.plan, site):
                keep = partial(_keep_snapshot, cache_dir, site, warm.plan, parse_cache.loaded(), search_digests)
                if texts.aside:
                    # Written while the texts render, before any render process
                    # exists: pickling touches every object, so beside one it
                    # makes both copy the whole model (abstracts included). Before
                    # the comparison with output/, which needs no text: the texts
                    # were often done by the time it was, and a core idle.
                    keep()
                    keep = None
            clock.lap("search")
            manifest = warm.manifest = Manifest.load(cache_dir, output_dir, warm.manifest, config.keep_files)
            relative = _planned_against(warm.plan, manifest)
            reasons = _stale(warm.plan.fresh if relative and not manifest.damaged() else tasks, manifest)
            stale = [task for task, _ in reasons]
            report.reasons = [(task.file, why) for task, why in reasons] if explain else []
            order = render_order(site, config, stale)
            previous = {t.file: manifest.records[t.file].digest for t in stale
                        if t.file in manifest.records and manifest.is_intact(t.file)}
            clock.lap("compare")
            texts.finish()
            clock.lap("texts")
            written, removed = _render_and_commit(config, site, theme, store, manifest, tasks, order, previous,
                                                  jobs, warm, serving, explain, report, clock, keep, relative,
                                                  search_digests, last, texts.shared)
        finally:
            warnings += _text_warnings(site, store)
            store.prune(site.papers.values(), spare=max(PRUNE_SPARE, len(site.papers) // 8))
    if inputs is not None:
        stamp.write(stamp_path, inputs, warnings)
    report.warnings = warnings
    report.pages = len(manifest.records)
    report.rendered = len(stale)
    report.rendered_files = [t.file for t in stale]
    report.written = len(written)
    report.deleted = len(removed)  # files of the last build and strays (output.commit)
    report.seconds = time.perf_counter() - started
    return report


def _render_and_commit(config: Config, site: Site, theme: Theme, store: TextStore, manifest: Manifest,
                       tasks: list[Task], order: list[Task], previous: dict[str, str], jobs: int | None,
                       warm: Warm, serving: bool, explain: bool, report: BuildReport,
                       clock: "_Clock", keep: Callable | None = None,
                       relative: bool = False, digests: dict[str, str] | None = None,
                       searched: Site | None = None,
                       shared_texts: SharedFragments | None = None) -> tuple[list[str], list[str]]:
    """Render the stale tasks in worker processes and move what changed into output/.
    Returns the files written and those removed from output/. The search index (from
    `digests`, the papers' search digests) and, if `keep` is given, the snapshot are
    made by the render processes too, each by one of them before its pages: made after
    the pages in this process, they left a core idle, and made beside them by a third
    process they slowed rendering by more than they took alone. `searched`: the model of the last search
    digests, which may hold the changed papers as the index in output/ shows them.
    `shared_texts`: the texts the text processes rendered, shared for the render processes
    of a build too large for each of them to hold every text."""
    cache_dir = config.root / CACHE_DIR
    staging = Staging(cache_dir, flat=not is_empty(config.output_dir))
    texts = StoredTexts(site.papers, store.path, warm.texts if serving else None,
                        read_all=not serving and len(order) >= SHARED_FROM and len(site.papers) <= TEXTS_READ_AT_ONCE,
                        shared=shared_texts)
    index_state_path = cache_dir / "search-state.pickle"
    changed: dict[str, Record] = {}  # the new records of the files this build renders
    side: list[Callable] = []
    if digests is not None:
        job = search_job.prepare(site, manifest, digests, index_state_path, warm.index_state, store.path, searched)
        if job is not None:
            side.append(partial(_search_side_job, job))
    if keep is not None:
        side.append(keep)
    clock.lap("search")
    digests_of_plan = warm.plan.paper_digests if warm.plan.site is site else None
    fragments = None
    if serving and digests_of_plan is not None:
        fragments = PaperFragments(warm.fragments, digests_of_plan, warm.plan.context)
    shared = None
    if not serving and len(order) >= SHARED_FROM and (jobs or default_jobs()) > 1:  # one process shares with none
        shared = SharedFragments(cache_dir, jobs or default_jobs(), FRAGMENTS_PER_PAPER * len(site.papers))
    state = (site, config, theme, texts, str(staging.dir), staging.flat, warm.bib_entries,
             warm.api_records, digests_of_plan, fragments, order, previous, side, shared)
    try:
        pool, workers = _workers(jobs, len(order), state)
        with pool, _collector_for_rendering() if workers > 1 else nullcontext():
            runs = [pool.submit(_render_run, worker) for worker in range(1, workers)]
            runs.append(_in_this_process(_render_run, 0))  # once the others have started
            # Its caches go before the other processes' results come: at 100,000 papers
            # the build's memory peaked as they did.
            _release_renderer()
            if workers > 1:
                return_free_memory()
            written, done = _rendered(runs, order, manifest.records, changed,
                                      warm.fragments if fragments is not None else None)
        clock.lap("render")
        index_state, index_removed = None, []
        for result in done:
            if isinstance(result, search_job.SearchResult):
                written += result.written
                changed.update(result.records)
                index_removed = result.removed
                index_state = result.state
                if explain:
                    report.reasons += [(name, "search index changed") for name in result.written]
        removed = commit(staging, written, _removed(manifest, tasks, config.search, index_removed,
                                                    warm.plan if relative else None), manifest, changed)
        warm.plan.committed = (manifest, manifest.stamp)
        if index_state is not None:  # after the commit: it describes the index in output/
            warm.index_state = index_state
            save_state = partial(_save_index_state, index_state_path, index_state)
            if serving:  # written once browsers are told to reload; should the server stop
                # first, the index's inputs are not the state's and the next build makes it whole
                warm.deferred.append(save_state)
            else:
                save_state()
        if serving:
            warm.deferred.append(manifest.check_in_background)
        clock.lap("write")
    except BaseException:
        staging.discard()
        raise
    finally:
        if shared is not None:
            shared.remove()
    return written, removed


def _removed(manifest: Manifest, tasks: list[Task], searchable: bool, index_removed: list[str],
             memo: PlanMemo | None = None) -> list[str]:
    """Files of the last build that this one does not make. With a `memo` planned against
    this manifest, the files of the last plan's tasks the plan did not reuse that no new
    task makes; otherwise by set difference with every output file (not a Python loop
    over them: this runs on every edit in `sitegen serve`)."""
    if memo is not None:
        gone = memo.dropped - {t.file for t in memo.fresh}
    else:
        gone = manifest.records.keys() - {t.file for t in tasks}
        if searchable:  # the index's files are not tasks: those the index dropped go
            prefix = search.FOLDER + "/"
            gone = {name for name in gone if not name.startswith(prefix)}
    gone.update(index_removed)
    return sorted(gone)


def _planned_against(memo: PlanMemo, manifest: Manifest) -> bool:
    """The plan's `fresh` and `dropped` are relative to this manifest: the last plan's
    build committed to it, and no other build has written it since."""
    base = memo.base
    return base is not None and base[0] is manifest and base[1] == manifest.stamp


def _save_index_state(path: Path, state: search.IndexState) -> None:
    atomic_write(path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))


def _search_side_job(job: search_job.SearchJob) -> search_job.SearchResult:
    return search_job.run(job, _worker["renderer"].site, _worker["staging"])


def _keep_snapshot(cache_dir: Path, site: Site, plan: PlanMemo, parsed: dict, search_digests) -> None:
    """The snapshot is a cache: one that cannot be written only makes the next build do more."""
    try:
        snapshot.write(cache_dir, site, plan, search_digests, parsed)
    except OSError:
        pass


def _restore(cache_dir: Path, warm: Warm) -> snapshot.Snapshot | None:
    """A fresh process takes up the warm state the snapshot kept, if there is one."""
    kept = snapshot.load(cache_dir)
    if kept is not None:
        # Its million objects live as long as this build, and the collector would only
        # walk them: at once, as the load left it a million allocations behind (0.14 s
        # at 10,000 papers). The build's end unfreezes them (_collector_for_builds).
        gc.freeze()
        warm.site, warm.plan = kept.site, kept.plan
        warm.search_digests = (kept.site, kept.search) if kept.search is not None else None
        warm.parse_cache.seed(kept.parsed)
    return kept


class _Clock:
    """Seconds spent in each stage, for --explain and the benchmarks."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps[stage] = self.laps.get(stage, 0.0) + now - self._last
        self._last = now


def _stale(tasks: list[Task], manifest: Manifest) -> list[tuple[Task, str]]:
    """The tasks to render, and why: one pass over every output file of the site."""
    get, damaged = manifest.records.get, manifest.damaged()
    out = []
    for task in tasks:
        record = get(task.file)
        if record is None:
            out.append((task, "new"))
        elif record.inputs != task.inputs:
            out.append((task, "inputs changed"))
        elif damaged and task.file in damaged:
            out.append((task, "output file changed or missing"))
    return out


@contextmanager
def _collector_for_rendering():
    """While this process renders beside a pool: the model frozen, so that the collector
    does not walk it (nor, before the fork, copy it), and the default thresholds back,
    since rendering makes short-lived cycles (Jinja's contexts) that held 100 MB at
    10,000 papers under the build's thresholds. An edit's few pages keep the build's."""
    build = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*_worker["collector"])
    try:
        yield
    finally:
        gc.set_threshold(*build)
        gc.unfreeze()


def _in_this_process(fn, /, *args) -> Future:
    future: Future = Future()
    try:
        future.set_result(fn(*args))
    except BaseException as exc:
        future.set_exception(exc)
    return future


class _InProcess(Executor):
    """jobs=1: the same code path as the pool, without processes."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return _in_this_process(fn, *args)


def _workers(jobs: int | None, work: int, state: tuple) -> tuple[Executor, int]:
    """A pool whose processes get the model and the render order once (by fork), not
    once per task, and how many processes share the rendering: the pool's and this one,
    which would otherwise wait. Each process copies the parts of the model it touches
    (reference counts are writes), so one process fewer is one copy of the model fewer:
    at 100,000 papers, 0.8 GB."""
    jobs = jobs or default_jobs()
    if jobs <= 1 or work <= CHUNK:
        _init_worker(*state, Segments(work, 1, CHUNK, shared=False))
        return _InProcess(), 1
    segments = Segments(work, jobs, CHUNK)
    _init_worker(*state, segments)
    return ProcessPoolExecutor(max_workers=jobs - 1, mp_context=fork_context(),
                               initializer=_init_worker, initargs=(*state, segments, os.getpid())), jobs


# Pages that show papers' cards or feed items: what a warm-up renders (Warm.idle).
WARM_UP_KINDS = frozenset({"index", "day", "week", "month", "author", "tag", "author_feed", "tag_feed", "feed",
                           "author_bib", "api_papers"})


def _start_warm_up(warm: Warm) -> tuple[Executor, Future]:
    site, config = warm.site, warm.config
    # Oldest first: the newest papers' fragments, the likeliest to be edited, are the
    # most recently used, kept if there are more than the cache holds.
    order = render_order(site, config, [t for t in warm.tasks if t.kind in WARM_UP_KINDS])[::-1]
    texts = StoredTexts(site.papers, config.root / CACHE_DIR / "texts.sqlite", warm.texts)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=fork_context(),
                               initializer=_init_warm_up,
                               initargs=(site, config, warm.theme, texts, warm.plan.paper_digests,
                                         warm.plan.context, os.getpid()))
    return pool, pool.submit(_warm_up_run, order)


def _init_warm_up(site, config, theme, texts, paper_digests, context, parent: int) -> None:
    die_with_parent(parent)
    gc.freeze()
    fragments = PaperFragments(LRUCache(KEPT_FRAGMENTS), paper_digests, context)
    _worker["renderer"] = Renderer(site, config, theme, Views(site, config, texts), paper_digests=paper_digests,
                                   fragments=fragments, api_spans=config.root / CACHE_DIR / "api")


def _warm_up_run(order: list[Task]) -> tuple[list, list, list]:
    """Render (and drop) the pages; what they made of each paper is the result: its
    fragments, BibTeX entry and JSON record."""
    renderer: Renderer = _worker["renderer"]
    for task in order:
        renderer.render(task)
    return renderer.fragments.kept.items(), renderer.bib_cache.items(), renderer.api_cache.items()


class _Texts:
    """The text store of a build, and the texts it lacks rendering aside (`_rendering_texts`)
    from `start`, given the papers as soon as they are read, to `finish`. Rendered from
    the moment the papers are read, they no longer waited for the model: at 10,000
    papers, building it took 0.6 s of one core while the other was idle. `sitegen
    serve` keeps its store open from one build to the next."""

    def __init__(self, cache_dir: Path, warm: Warm, jobs: int | None, serving: bool):
        self.cache_dir, self.warm, self.jobs, self.serving = cache_dir, warm, jobs, serving
        self.store: TextStore | None = None
        self.missing: list = []
        self.aside = False
        self.shared: SharedFragments | None = None  # the texts rendered aside, for render processes to read
        self._rendering = ExitStack()

    def start(self, papers: list) -> None:
        remove_leftovers(self.cache_dir)
        Staging.remove_leftovers(self.cache_dir)
        path = self.cache_dir / "texts.sqlite"
        warm = self.warm
        self.store = warm.text_store if warm.text_store and warm.text_store.is_current(path) else TextStore(path)
        self.missing = self.store.missing(papers)
        # Up to TEXTS_READ_AT_ONCE papers, each render process reads every text from the
        # store at once; beyond, it reads those the text processes rendered from them.
        share = not self.serving and len(papers) > TEXTS_READ_AT_ONCE
        self.aside, self.shared = self._rendering.enter_context(
            _rendering_texts(self.missing, self.store, self.jobs, self.serving, share))

    def finish(self) -> None:
        """Render texts beside the text processes until none is left, then wait for them;
        or render those left for this process."""
        self._rendering.close()

    def __enter__(self) -> "_Texts":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._rendering.__exit__(*exc)  # on an error, stops the text processes
        finally:
            if self.shared is not None:
                self.shared.remove()
            store, warm = self.store, self.warm
            if store is None:
                return
            if self.serving and store is not warm.text_store:
                if warm.text_store is not None:
                    warm.text_store.close()
                warm.text_store = store
            elif not self.serving:
                store.close()


@contextmanager
def _rendering_texts(papers: list, store: TextStore, jobs: int | None, serving: bool = False, share: bool = False):
    """Render and store the texts of `papers` while the body of the `with` runs, which
    is told whether they render in other processes (or here, after it) and, if they do
    and `share`, where those processes share them (removed by the caller).

    Worker processes take the papers a chunk at a time (segments.py) and write their rows
    to the store themselves, a batch at a time: nothing comes back through a pipe, and at
    most a batch per worker is held in memory (all of them would be about 8 KB per
    paper, 800 MB at 100,000 papers). Once the body is done, this process takes chunks
    too: it used to wait for the workers while a core idled, its own work (the model,
    the plan, the snapshot) done before theirs. A few texts render here, after the body,
    when `serving` (the warm process loads Markdown and latex2mathml once, and forking it
    would cost more than the texts) or once this process has rendered texts before;
    otherwise in one worker, which loads them while this process plans.
    """
    jobs = jobs or default_jobs()
    few = len(papers) <= TEXT_CHUNK
    if jobs <= 1 or not papers or (few and (serving or renderers_loaded())):
        yield False, None
        _store_texts(papers, [(0, len(papers))], store)
        return
    workers = 1 if few else jobs
    joining = 0 if few else 1  # this process, numbered after the workers
    shared = SharedFragments(store.path.parent, workers + joining, len(papers) // workers + 1) if share else None
    segments = Segments(len(papers), workers, TEXT_SHARE, joining=joining)
    stop = fork_context().RawValue("b", 0)
    with ProcessPoolExecutor(max_workers=workers, mp_context=fork_context(),
                             initializer=_init_text_worker,
                             initargs=(papers, str(store.path), stop, shared, segments, os.getpid())) as pool:
        runs = [pool.submit(_text_run, k) for k in range(workers)]
        try:
            yield True, shared
            if joining:
                _store_texts(papers, _pieces(segments, workers), store, shared=shared, worker=workers,
                             left=segments.left)
            for run in runs:
                run.result()
        except BaseException:
            stop.value = 1
            raise


_text_job: dict = {}


def _init_text_worker(papers: list, store_path: str, stop, shared: SharedFragments | None, segments: Segments,
                      parent: int) -> None:
    die_with_parent(parent)
    run_as_helper()
    _text_job.update(papers=papers, store_path=Path(store_path), stop=stop, shared=shared, segments=segments)


def _text_run(worker: int) -> None:
    store = TextStore(_text_job["store_path"], bulk=True)
    try:
        _store_texts(_text_job["papers"], _pieces(_text_job["segments"], worker), store, _text_job["stop"],
                     _text_job["shared"], worker, _text_job["segments"].left)
    finally:
        store.close()


def _pieces(segments: Segments, worker: int) -> Iterator[tuple[int, int]]:
    return iter(partial(segments.take, worker), None)


def _store_texts(papers: list, pieces: Iterable[tuple[int, int]], store: TextStore, stop=None,
                 shared: SharedFragments | None = None, worker: int = 0,
                 left: Callable[[], int] | None = None) -> None:
    """Render the texts of `papers[start:stop]` for each piece into `store` and, if given,
    into `worker`'s part of `shared`, for the render processes. `left`: how many texts
    are not handed out yet, to any process (Segments.left)."""
    if shared is not None:
        shared.attach(worker)
    try:
        batch: list = []
        for start, end in pieces:
            for paper in papers[start:end]:
                if stop is not None and stop.value:
                    return
                batch.append(render_text(paper))
                if shared is not None:
                    key, row = batch[-1]
                    shared.put(("text", key), text_record(row))
            if len(batch) >= TEXT_BATCH or (len(batch) >= TEXT_LAST_BATCH and left is not None
                                            and left() < TEXT_BATCH):
                store.add(batch)
                batch = []
        store.add(batch)
    finally:
        if shared is not None:
            shared.close_files()


def _unchanged_search_digests(warm: Warm) -> dict[str, str] | None:
    """The last build's search digests of the papers this build's plan found unchanged,
    if that build's model is the one the plan compared with."""
    if warm.search_digests is None or warm.search_digests[0] is not warm.plan.changed_since:
        return None
    changed = warm.plan.changed_papers
    return {i: d for i, d in warm.search_digests[1].items() if i not in changed}


def _text_warnings(site: Site, store: TextStore) -> list[Problem]:
    stored = store.warnings()
    if not stored:
        return []
    return [Problem(paper.source, paper.line, field, message, severity=WARNING)
            for paper in site.papers.values() if paper.text_key in stored for field, message in stored[paper.text_key]]


def _rendered(runs: list[Future], order: list[Task], records: dict[str, Record],
              changed: dict[str, Record], kept: LRUCache | None = None) -> tuple[list[str], list]:
    """Wait for the render runs (each worker's own run of the render order, segments.py);
    put the new record of every rendered file in `changed` (`records`: the last build's).
    Returns the names of those staged, in render order, and what the side jobs returned.
    `kept`: where papers' fragments that render processes made are kept (serve).

    This process's own run is the last and is done when this is called: its records are
    made first, while the other processes finish theirs, rather than all of them after
    the last result came (a loop over every file: tens of ms at 10,000 papers, with the
    cores otherwise idle)."""
    side = []
    staged_from: list[tuple[int, list[str]]] = []  # (start in the render order, names staged from there)
    for run in reversed(runs):
        side_results, pieces, fragments = run.result()
        side += side_results
        if kept is not None and fragments:
            kept.update(fragments)
        for start, results in pieces:
            names = []
            for task, (digest, staged) in zip(order[start:start + len(results)], results):
                name = task.file
                if staged is None:  # the same bytes as the file in output/
                    old = records.get(name)
                    changed[name] = Record(task.inputs, digest, old.size if old else 0, old.mtime_ns if old else 0)
                else:
                    changed[name] = Record(task.inputs, digest, *staged)
                    names.append(name)
            staged_from.append((start, names))
    staged_from.sort(key=itemgetter(0))
    return [name for _, names in staged_from for name in names], side


_worker: dict = {}


def _init_worker(site, config, theme, texts, staging_dir, flat, bib_entries, api_records, paper_digests, fragments,
                 order, previous, side, shared, segments, parent: int | None = None) -> None:
    if parent is not None:
        die_with_parent(parent)
        # The model came with the fork and lives as long as the process: frozen, the
        # collector never walks it (each walk would also copy every page it touches).
        gc.freeze()
        gc.set_threshold(*_worker["collector"])  # rendering makes short-lived cycles (Jinja's contexts)
    _worker["renderer"] = Renderer(site, config, theme, Views(site, config, texts), bib_entries,
                                  api_records, paper_digests, fragments, api_spans=config.root / CACHE_DIR / "api")
    _worker["staging"] = Staging.attach(Path(staging_dir), flat)
    _worker.update(order=order, previous=previous, side=side, segments=segments, forked=parent is not None,
                   shared=shared)


def _release_renderer() -> None:
    """This process's renderer and its caches, once its share is done: a server keeps
    only what `Warm` keeps."""
    for name in ("renderer", "staging", "order", "previous", "side", "segments", "shared"):
        _worker.pop(name, None)


def _render_run(worker: int) -> tuple[list, list[tuple[int, list[tuple[str, tuple[int, int] | None]]]], list]:
    """A worker's side jobs (every `workers`-th, from its number on), then its pages, as
    (start in the render order, [(digest, staged size and mtime or None)] from there):
    the build process knows each page's name and inputs, so they are not sent back. And,
    from a render process of `sitegen serve`, the papers' fragments it made, which the
    server keeps for the rebuilds that follow (about 0.1 s at 10,000 papers)."""
    segments: Segments = _worker["segments"]
    order: list[Task] = _worker["order"]
    renderer: Renderer = _worker["renderer"]
    shared: SharedFragments | None = _worker["shared"]
    if shared is not None:
        shared.attach(worker)
        renderer.share(SharedPart(shared, "page"), SharedPart(shared, "bib"))
    out = []
    try:
        side = [job() for job in _worker["side"][worker::segments.workers]]
        while (piece := segments.take(worker)) is not None:
            out.append((piece[0], _render_chunk(order[piece[0]:piece[1]])))
    except BaseException:
        segments.cancel()
        raise
    finally:
        if shared is not None:
            renderer.share(None, None)
            shared.close_files()
    fragments = renderer.fragments
    made = fragments.made if _worker["forked"] and isinstance(fragments, PaperFragments) else []
    if _worker["forked"]:
        renderer.clear()  # before the results are pickled
        return_free_memory()
    return side, out, made


def _render_chunk(chunk: list[Task]) -> list[tuple[str, tuple[int, int] | None]]:
    """A chunk's pages are rendered, then written, not each written as it is rendered:
    going back and forth between Jinja and the kernel's file creation, each pushed the
    other's code and data out of the processor's caches. Rendering and writing 10,000
    papers' pages in one process took 9.1-9.5 CPU-s page by page, 7.3-8.1 by 64 pages."""
    renderer: Renderer = _worker["renderer"]
    staging: Staging = _worker["staging"]
    previous: dict[str, str] = _worker["previous"]
    pages = []
    for task in chunk:
        try:
            pages.append(renderer.render(task))
        except Exception as exc:
            raise _template_problem(task, exc) from None
    out = []
    for task, data in zip(chunk, pages):
        digest = content_digest(data)
        staged = staging.write(task.file, data) if previous.get(task.file) != digest else None
        out.append((digest, staged))
    return out


def _template_problem(task: Task, exc: Exception) -> TemplateProblem:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateProblem(task.file, exc.filename or exc.name, exc.lineno, exc.message or str(exc))
    template, line = None, None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2")):
            template, line = frame.filename, frame.lineno
    return TemplateProblem(task.file, template, line, f"{type(exc).__name__}: {exc}")


def check(config: Config) -> list[Problem]:
    """Validate content, settings and templates without writing anything."""
    cache = ParseCache(config.root / CACHE_DIR / "content.sqlite", write=False)
    try:
        site, theme, problems = prepare(config, cache, check_templates=True)
    except ContentError as error:
        return error.problems
    return problems + content_link_problems(site, config, lambda: site_paths(site, config, theme.static_files()))
