"""Render processes: each renders its own run of the render order into the staging
folder, while this process renders one too.

The processes get the model, the theme and the order once, when they start (`RenderJob`:
inherited where they fork, pickled where they are spawned), not once per task; each
works through a contiguous run of the order (segments.py), so that a paper's pages come
to one process while its fragments are kept, and sends back only each page's digest and
staged size and mtime. The build process renders beside them rather than waiting: each
process copies the parts of the model it touches (reference counts are writes), so one
process fewer is one copy of the model fewer, 0.8 GB at 100,000 papers.
"""

from __future__ import annotations

import gc
import os
import traceback
from concurrent.futures import Executor, Future
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import Callable, Mapping

import jinja2

from sitegen.config import Config
from sitegen.content.model import Site
from sitegen.engine import processes
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.processes import die_with_parent, process_count, return_free_memory
from sitegen.engine.progress import RENDERING, Progress
from sitegen.engine.segments import Segments
from sitegen.engine.shared_fragments import SharedFragments, SharedPart
from sitegen.engine.textstore import StoredTexts
from sitegen.lru import LRUCache
from sitegen.pages.fragments import PaperFragments
from sitegen.pages.kinds import KINDS, render_page
from sitegen.pages.plan import render_order
from sitegen.pages.render import API_CACHE, BIB_CACHE, Renderer
from sitegen.pages.task import Task
from sitegen.pages.theme import Theme
from sitegen.pages.views import Views
from sitegen.problems import TemplateProblem
from sitegen.write.manifest import Record, content_digest
from sitegen.write.staging import Staging

CHUNK = 64  # tasks a process takes at a time


@dataclass
class RenderJob:
    """What every render process of a build is given, once."""

    site: Site
    config: Config
    theme: Theme
    texts: StoredTexts
    staging: Path  # the staging folder
    flat: bool  # staged flat (a rebuild) or as the output tree (a first build)
    order: list[Task]  # the tasks to render, in render order
    previous: dict[str, str]  # output file → its bytes' digest, where output/ holds it as recorded
    api_spans: Path
    bib_entries: LRUCache  # BibTeX entries, API records and papers' fragments: kept by `sitegen serve`
    api_records: LRUCache
    paper_digests: Mapping[str, str] | None = None  # the plan's, when it was made for this model
    fragments: PaperFragments | None = None
    shared: SharedFragments | None = None  # where the processes share what they make
    # Work a process does before its pages (the snapshot), each given the process;
    # every `workers`-th from its number on.
    side: tuple[Callable[["RenderProcess"], object], ...] = ()
    # Makes the search index's files and stages them (search_job.run), given the model
    # and the staging folder: the index is patched, not rendered whole.
    search_index: Callable | None = None
    collector: tuple = (700, 10, 10)  # the collector's thresholds while rendering


class RenderProcess:
    """A process's part in rendering: its renderer and its view of the staging folder.
    `apart`: a render process of its own, whose results go back to the build process."""

    def __init__(self, job: RenderJob, segments: Segments, apart: bool):
        self.job, self.segments, self.apart = job, segments, apart
        self.renderer = Renderer(job.site, job.config, job.theme, Views(job.site, job.config, job.texts),
                                 job.bib_entries, job.api_records, job.paper_digests, job.fragments,
                                 api_spans=job.api_spans)
        self.staging = Staging(job.staging, job.flat)
        if job.search_index is not None:
            self.renderer.search_index = partial(_stage_index, job.search_index, self.staging)


_process: RenderProcess | None = None  # this process's, while it renders


def render(job: RenderJob, jobs: int | None, records: dict[str, Record], changed: dict[str, Record],
           keep_fragments: Callable[[list], None] | None = None,
           progress: Progress | None = None) -> tuple[list[str], list]:
    """Render every task of `job.order`, in worker processes and in this one, and stage
    the files whose bytes changed. Puts the new record of every rendered file in
    `changed` (`records`: the last build's). Returns the names staged, in render order,
    and what the tasks that write many files (the search index) and the side jobs
    returned. `keep_fragments`: given the papers' fragments the render processes made
    (`sitegen serve` keeps them). `progress`: told by this process, after each chunk it
    renders, how many pages all processes have taken; it goes to no other process (a
    spawned one would be given it pickled)."""
    pool, segments = _pool(job, jobs)
    workers = segments.workers
    try:
        with pool, _collector_for_rendering(job.collector) if workers > 1 else nullcontext():
            runs = [pool.submit(_render_run, worker) for worker in range(1, workers)]
            runs.append(_in_this_process(_render_run, 0, progress))  # once the others have started
            # Its caches go before the other processes' results come: at 100,000 papers
            # the build's memory peaked as they did.
            _release()
            if workers > 1:
                return_free_memory()
            return _gathered(runs, job.order, records, changed, keep_fragments)
    finally:
        segments.close()


def _pool(job: RenderJob, jobs: int | None) -> tuple[Executor, Segments]:
    """A pool of render processes, and the render order's runs for the processes that
    share the rendering: the pool's and this one."""
    jobs = process_count(jobs)
    work = len(job.order)
    if jobs <= 1 or work <= CHUNK:
        segments = Segments(work, 1, CHUNK, shared=False)
        _start(job, segments)
        return _InProcess(), segments
    segments = Segments(work, jobs, CHUNK)
    _start(job, segments)
    return processes.pool(jobs - 1, _start, (job, segments, os.getpid())), segments


def _start(job: RenderJob, segments: Segments, parent: int | None = None) -> None:
    global _process
    if parent is not None:
        die_with_parent(parent)
        # The model came with the process (forked, or unpickled) and lives as long as it:
        # frozen, the collector never walks it (each walk would also copy every page a
        # forked process shares with its parent).
        gc.freeze()
        gc.set_threshold(*job.collector)  # rendering makes short-lived cycles (Jinja's contexts)
    _process = RenderProcess(job, segments, apart=parent is not None)


def _release() -> None:
    """This process's renderer and its caches, once its share is done: a server keeps
    only what its state keeps."""
    global _process
    _process = None


def _render_run(worker: int, progress: Progress | None = None) -> tuple[list, list, list]:
    """A worker's side jobs, then its pages, as (start in the render order, [(digest,
    staged size and mtime or None)] from there): the build process knows each page's
    name and inputs, so they are not sent back. And, from a render process of `sitegen
    serve`, the papers' fragments it made, which the server keeps for the rebuilds that
    follow (about 0.1 s at 10,000 papers). `progress` (the build process's own run
    only): told after each chunk how many pages are handed out."""
    process = _process
    job, segments, renderer = process.job, process.segments, process.renderer
    shared, total = job.shared, len(job.order)
    if shared is not None:
        shared.attach(worker)
        renderer.share(SharedPart(shared, "page"), SharedPart(shared, "bib"))
    out = []
    try:
        side = [work(process) for work in job.side[worker::segments.workers]]
        while (piece := segments.take(worker)) is not None:
            out.append((piece[0], _render_chunk(process, job.order[piece[0]:piece[1]])))
            if progress is not None:
                progress(RENDERING, total - segments.left(), total)
    except BaseException:
        segments.cancel()
        raise
    finally:
        if shared is not None:
            renderer.share(None, None)
            shared.close_files()
    fragments = renderer.fragments
    made = fragments.made if process.apart and isinstance(fragments, PaperFragments) else []
    if process.apart:
        renderer.clear()  # before the results are pickled
        return_free_memory()
    return side, out, made


def _render_chunk(process: RenderProcess, chunk: list[Task]) -> list[tuple[str, tuple[int, int] | None]]:
    """A chunk's pages are rendered, then written, not each written as it is rendered:
    going back and forth between Jinja and the kernel's file creation, each pushed the
    other's code and data out of the processor's caches. Rendering and writing 10,000
    papers' pages in one process took 9.1-9.5 CPU-s page by page, 7.3-8.1 by 64 pages."""
    renderer, staging, previous = process.renderer, process.staging, process.job.previous
    pages = []
    for task in chunk:
        try:
            pages.append(render_page(renderer, task))
        except OSError:  # a file that cannot be read or written (the index stages its own): not the template's
            raise
        except Exception as exc:
            raise template_problem(task, exc) from None
    out = []
    for task, data in zip(chunk, pages):
        if type(data) is not bytes:  # a task that staged its files itself: what it says of them
            out.append((None, data))
            continue
        digest = content_digest(data)
        staged = staging.write(task.file, data) if previous.get(task.file) != digest else None
        out.append((digest, staged))
    return out


def _gathered(runs: list[Future], order: list[Task], records: dict[str, Record], changed: dict[str, Record],
              keep_fragments: Callable[[list], None] | None) -> tuple[list[str], list]:
    """Wait for the render runs; put the new record of every rendered file in `changed`.

    This process's own run is the last and is done when this is called: its records are
    made first, while the other processes finish theirs, rather than all of them after
    the last result came (a loop over every file: tens of ms at 10,000 papers, with the
    cores otherwise idle)."""
    side = []
    staged_from: list[tuple[int, list[str]]] = []  # (start in the render order, names staged from there)
    for run in reversed(runs):
        side_results, pieces, fragments = run.result()
        side += side_results
        if keep_fragments is not None and fragments:
            keep_fragments(fragments)
        for start, results in pieces:
            names = []
            for task, (digest, staged) in zip(order[start:start + len(results)], results):
                name = task.file
                if digest is None:  # its files' records come with what it returned
                    side.append(staged)
                elif staged is None:  # the same bytes as the file in output/
                    old = records.get(name)
                    changed[name] = Record(task.inputs, digest, old.size if old else 0, old.mtime_ns if old else 0)
                else:
                    changed[name] = Record(task.inputs, digest, *staged)
                    names.append(name)
            staged_from.append((start, names))
    staged_from.sort(key=itemgetter(0))
    return [name for _, names in staged_from for name in names], side


def _stage_index(make: Callable, staging: Staging, site: Site):
    return make(site, staging)


def template_problem(task: Task, exc: Exception) -> TemplateProblem:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateProblem(task.file, exc.filename or exc.name, exc.lineno, exc.message or str(exc))
    template, line = None, None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2")):
            template, line = frame.filename, frame.lineno
    return TemplateProblem(task.file, template, line, f"{type(exc).__name__}: {exc}")


@contextmanager
def _collector_for_rendering(thresholds: tuple):
    """While this process renders beside a pool: the model frozen, so that the collector
    does not walk it (nor, before a fork, copy it), and the default thresholds back,
    since rendering makes short-lived cycles (Jinja's contexts) that held 100 MB at
    10,000 papers under the build's thresholds. An edit's few pages keep the build's."""
    build = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*thresholds)
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


# --- the warm-up of `sitegen serve` ------------------------------------------------------

def start_warm_up(state, cache: CacheDir) -> tuple[Executor, Future] | None:
    """A render process that renders (and drops) every page that shows papers' cards,
    feed items, BibTeX entries or API records (`cards` in the kind table) and hands
    back what it made of each paper. `state`: the server's (state.Warm). None where no
    process starts: an edit then makes the fragments it needs."""
    if processes.start_method() == processes.SERIAL:
        return None
    site, config, plan = state.site, state.config, state.plan
    # Oldest first: the newest papers' fragments, the likeliest to be edited, are the
    # most recently used, kept if there are more than the cache holds.
    order = render_order(site, config, [t for t in plan.tasks if KINDS[t.kind].cards])[::-1]
    texts = StoredTexts(site.papers, cache.texts, state.texts)
    job = RenderJob(site, config, state.theme, texts, cache.path, False, [], {}, cache.api_spans,
                    LRUCache(BIB_CACHE), LRUCache(API_CACHE), plan.paper_digests,
                    PaperFragments(LRUCache(state.fragments.limit), plan.paper_digests, plan.context))
    pool = processes.pool(1, _start_warm_up, (job, os.getpid()))
    return pool, pool.submit(_warm_up_run, order)


def _start_warm_up(job: RenderJob, parent: int) -> None:
    global _process
    die_with_parent(parent)
    gc.freeze()
    _process = RenderProcess(job, Segments(0, 1, CHUNK, shared=False), apart=True)


def _warm_up_run(order: list[Task]) -> tuple[list, list, list]:
    """Render (and drop) the pages; what they made of each paper is the result: its
    fragments, BibTeX entry and JSON record."""
    renderer = _process.renderer
    for task in order:
        render_page(renderer, task)
    return renderer.fragments.kept.items(), renderer.bib_cache.items(), renderer.api_cache.items()
