"""Titles and abstracts rendered aside: the texts the store lacks render in worker
processes from the moment the papers are read, while the build process makes the model
and the plan. Rendered only once the model was made, they waited for it: at 10,000
papers building it took 0.6 s of one core while the other was idle."""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator

from sitegen.content.model import Site
from sitegen.engine import processes, textstore
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.processes import die_with_parent, process_count, run_as_helper
from sitegen.engine.segments import Segments
from sitegen.engine.shared_fragments import SharedFragments
from sitegen.engine.state import Fresh
from sitegen.engine.textstore import TextStore, text_record
from sitegen.formats.markup import renderers_loaded
from sitegen.problems import WARNING, Problem

TEXT_CHUNK = 32  # fewer texts to render than this: one worker renders them, or this process
TEXT_BATCH = 1024  # rendered texts per write to the text store
# ... until fewer than TEXT_BATCH are left to hand out: then this many, so that no process
# ends with a long write while the others wait (the last 1,000-row batch took 0.1 s).
TEXT_LAST_BATCH = 64
TEXT_SHARE = 16  # texts a process takes from those left at a time: about 5 ms of work
# Texts no paper has any more that the store may hold before a build removes them: an
# edit's build then does not compare every paper's text with the store.
PRUNE_SPARE = 64


class Texts:
    """The text store of a build, and the texts it lacks rendering aside from `start`,
    given the papers as soon as they are read, to `finish`."""

    def __init__(self, cache: CacheDir, state: Fresh, jobs: int | None):
        self.cache, self.state, self.jobs = cache, state, jobs
        self.store: TextStore | None = None
        self.missing: list = []
        self.aside = False  # they render in other processes
        self.shared: SharedFragments | None = None  # the texts rendered aside, for render processes to read
        self._rendering = ExitStack()

    def start(self, papers: list) -> None:
        self.store = self.state.open_text_store(self.cache.texts)
        self.missing = self.store.missing(papers)
        here = self.state.renders_few_texts_here(renderers_loaded())
        share = self.state.shares_texts(len(papers))
        self.aside, self.shared = self._rendering.enter_context(
            _rendering_texts(self.missing, self.store, self.jobs, here, share))

    def finish(self) -> None:
        """Render texts beside the text processes until none is left, then wait for them;
        or render those left for this process."""
        self._rendering.close()

    def warnings(self, site: Site) -> list[Problem]:
        """What rendering the texts of the model's papers found, by the file and line of
        each paper: kept with each text, so that a build that renders none still says it."""
        stored = self.store.warnings()
        if not stored:
            return []
        return [Problem(paper.source, paper.line, field, message, severity=WARNING)
                for paper in site.papers.values() if paper.text_key in stored
                for field, message in stored[paper.text_key]]

    def prune(self, site: Site) -> None:
        self.store.prune(site.papers.values(), spare=max(PRUNE_SPARE, len(site.papers) // 8))

    def __enter__(self) -> "Texts":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._rendering.__exit__(*exc)  # on an error, stops the text processes
        finally:
            if self.shared is not None:
                self.shared.remove()
            if self.store is not None:
                self.state.close_text_store(self.store)


@contextmanager
def _rendering_texts(papers: list, store: TextStore, jobs: int | None, few_here: bool, share: bool):
    """Render and store the texts of `papers` while the body of the `with` runs, which
    is told whether they render in other processes (or here, after it) and, if they do
    and `share`, where those processes share them (removed by the caller).

    Worker processes take the papers a chunk at a time (segments.py) and write their rows
    to the store themselves, a batch at a time: nothing comes back through a pipe, and at
    most a batch per worker is held in memory (all of them would be about 8 KB per
    paper, 800 MB at 100,000 papers). Once the body is done, this process takes chunks
    too: it used to wait for the workers while a core idled, its own work (the model,
    the plan, the snapshot) done before theirs. A few texts render here, after the body,
    when `few_here` or where processes are spawned (a fresh interpreter takes longer to
    start than they take to render); otherwise in one worker.
    """
    jobs = process_count(jobs)
    few = len(papers) <= TEXT_CHUNK
    if jobs <= 1 or not papers or (few and (few_here or not processes.forks())):
        yield False, None
        _store_texts(papers, [(0, len(papers))], store)
        return
    workers = 1 if few else jobs
    joining = 0 if few else 1  # this process, numbered after the workers
    shared = SharedFragments(store.path.parent, workers + joining, len(papers) // workers + 1) if share else None
    segments = Segments(len(papers), workers, TEXT_SHARE, joining=joining)
    stop = processes.context().RawValue("b", 0)
    job = _TextJob(papers, store.path, stop, shared, segments)
    try:
        with processes.pool(workers, _start_text_process, (job, os.getpid())) as pool:
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
    finally:
        segments.close()


@dataclass
class _TextJob:
    """What each text process is given once: the papers, the store, a flag that stops it
    when the build fails, the shared texts (if shared) and the hand-out of chunks."""

    papers: list
    store_path: Path
    stop: object
    shared: SharedFragments | None
    segments: Segments


_job: _TextJob | None = None  # this text process's


def _start_text_process(job: _TextJob, parent: int) -> None:
    global _job
    die_with_parent(parent)
    run_as_helper()
    _job = job


def _text_run(worker: int) -> None:
    store = TextStore(_job.store_path, bulk=True)
    try:
        _store_texts(_job.papers, _pieces(_job.segments, worker), store, _job.stop, _job.shared, worker,
                     _job.segments.left)
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
                batch.append(textstore.row(paper))
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
