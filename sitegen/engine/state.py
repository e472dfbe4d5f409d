"""What a build keeps, and for how long: `Fresh` for the one build of a `sitegen build`
process, `Warm` for the builds of `sitegen serve`, which keeps the model, the plan, the
caches and the open stores from one build to the next.

The build (build.py) runs the same stages for both; where they differ, it asks the
state: whether a snapshot is taken up and written, where texts are rendered, whether
render processes share fragments, and what waits until browsers have reloaded.
"""

from __future__ import annotations

import gc
from concurrent.futures import Executor, Future, wait as futures_wait
from typing import Callable

from sitegen.config import Config
from sitegen.content.model import Site
from sitegen.engine import processes, snapshot, uptodate
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.parsecache import ParseCache
from sitegen.engine.report import BuildReport
from sitegen.engine.textstore import StoredTexts, TextStore
from sitegen.engine.workers import start_warm_up
from sitegen.formats import search
from sitegen.lru import LRUCache
from sitegen.pages.fragments import PaperFragments
from sitegen.pages.plan import Plan
from sitegen.pages.render import API_CACHE, BIB_CACHE
from sitegen.pages.task import Task
from sitegen.pages.theme import Theme
from sitegen.write.manifest import Manifest

KEPT_FRAGMENTS = 131072  # papers' fragments `sitegen serve` keeps: all of 30,000 papers', ~3 KB each as UTF-8
# Render orders this long share their processes' fragments through files (shared_fragments.py);
# an edit's few pages would only pay for making the folder and index.
SHARED_FROM = 2048
TEXTS_READ_AT_ONCE = 20_000  # papers up to which each render process of a full build holds every text (~6 KB each)


class Fresh:
    """The state of a process's only build: it starts from the snapshot the last builds
    left in .sitegen/ (if any), writes a new one when that one lags, and leaves nothing
    for after it."""

    def __init__(self):
        self.parse_cache: ParseCache | None = None
        self.site: Site | None = None
        self.theme: Theme | None = None  # its Jinja environment keeps compiled templates (reloaded when edited)
        self.config: Config | None = None  # of the last build
        self.plan: Plan | None = None  # the last plan, which the next one keeps what it can of
        self.committed: tuple | None = None  # (manifest, its stamp) the last plan's build committed to
        self.manifest: Manifest | None = None  # reused while the file on disk is the one it saved
        self.text_store: TextStore | None = None  # an open store knows its keys, not read again each build
        self.index_state: search.IndexState | None = None  # the last one saved, not read back from .sitegen/ again
        self.bib_entries = LRUCache(BIB_CACHE)  # (fingerprint, cite key, with abstract) → entry
        self.api_records = LRUCache(API_CACHE)  # a paper's JSON, by what it shows
        self.restored: snapshot.Snapshot | None = None

    # --- before the build: what is known already -------------------------------------

    def verdict(self, config: Config, cache: CacheDir) -> uptodate.Verdict:
        return uptodate.check(config, cache, self.manifest)

    def finish(self) -> None:
        """Nothing is left for after a one-build process's build."""

    def nothing_to_do(self, verdict: uptodate.Verdict) -> BuildReport:
        return verdict.report

    def restore(self, cache: CacheDir) -> None:
        """Take up the warm state the snapshot kept, if there is one."""
        kept = self.restored = snapshot.load(cache.snapshot)
        if kept is not None:
            # Its million objects live as long as this build, and the collector would only
            # walk them: at once, as the load left it a million allocations behind (0.14 s
            # at 10,000 papers). The build's end unfreezes them (build._collector_for_builds).
            gc.freeze()
            self.site, self.plan = kept.site, kept.plan
            self.parse_cache.seed(kept.parsed)

    # --- texts ---------------------------------------------------------------------

    def open_text_store(self, path) -> TextStore:
        return TextStore(path)

    def close_text_store(self, store: TextStore) -> None:
        store.close()

    def renders_few_texts_here(self, renderers_loaded: bool) -> bool:
        """A few texts render in this process once it has Markdown and latex2mathml loaded;
        otherwise one worker loads them while this process plans."""
        return renderers_loaded

    def shares_texts(self, papers: int) -> bool:
        """Up to TEXTS_READ_AT_ONCE papers, each render process reads every text from the
        store at once; beyond, it reads those the text processes rendered from them,
        where processes fork (they share memory the build process mapped before)."""
        return papers > TEXTS_READ_AT_ONCE and processes.forks()

    def stored_texts(self, site: Site, path, order: list[Task], shared) -> StoredTexts:
        return StoredTexts(site.papers, path, None, shared=shared,
                           read_all=len(order) >= SHARED_FROM and len(site.papers) <= TEXTS_READ_AT_ONCE)

    # --- rendering -----------------------------------------------------------------

    def snapshot_worth_saving(self, site: Site) -> bool:
        return snapshot.worth_saving(self.restored, self.plan, site)

    def kept_fragments(self, plan: Plan) -> PaperFragments | None:
        """Papers' fragments kept from earlier builds, for the render processes to find."""
        return None

    def take_fragments(self, made: list) -> None:
        """Papers' fragments the render processes made, to keep for later builds."""

    def shares_fragments(self, order: list[Task], jobs: int) -> bool:
        """Render processes share the fragments they make (a card, a feed item, a BibTeX
        entry) through files: for an edit's few pages that costs more than it saves, and
        one process shares with none. Only forked processes share: their index is memory
        the build process mapped before they started (shared_fragments.py)."""
        return len(order) >= SHARED_FROM and jobs > 1 and processes.forks()

    # --- after the commit ------------------------------------------------------------

    def after_reload(self, work: Callable[[], None]) -> None:
        """Work the build's result does not wait for: done now, in a one-build process."""
        work()

    def check_output_for_next_build(self, manifest: Manifest) -> None:
        """No next build in this process."""

    def take_warm_up(self) -> None:
        """No warm-up in a one-build process."""


class Warm(Fresh):
    """What a long-running process (`sitegen serve`) keeps from one build to the next:
    parsed entries, the model (an edit updates it), the plan, the open text store,
    rendered texts, and papers' fragments, BibTeX entries and API records."""

    def __init__(self):
        super().__init__()
        self.texts: dict = {}  # text key → rendered title and abstract
        # Papers' cards and feed items (PaperFragments): about four per paper, a few KB each.
        self.fragments = LRUCache(KEPT_FRAGMENTS)
        self.warm_up: tuple[Executor, Future] | None = None  # a render process making papers' fragments
        self.warmed: tuple = ()  # the plan context the last warm-up was for
        self.deferred: list[Callable[[], None]] = []  # for idle(), in this order

    def verdict(self, config: Config, cache: CacheDir) -> uptodate.Verdict:
        """The first build goes all the way, to have the model for the next one."""
        if self.site is None:
            return uptodate.Verdict(uptodate.inputs_stamp(config))
        return super().verdict(config, cache)

    def nothing_to_do(self, verdict: uptodate.Verdict) -> BuildReport:
        self.manifest.check_in_background(again=True)  # for the next save: this check's answer is used
        return verdict.report

    def restore(self, cache: CacheDir) -> None:
        """The model and plan are this process's own: no snapshot is taken up."""

    def open_text_store(self, path) -> TextStore:
        store = self.text_store
        return store if store is not None and store.is_current(path) else TextStore(path)

    def close_text_store(self, store: TextStore) -> None:
        """Kept open for the next build."""
        if store is not self.text_store:
            if self.text_store is not None:
                self.text_store.close()
            self.text_store = store

    def renders_few_texts_here(self, renderers_loaded: bool) -> bool:
        """This process loads Markdown and latex2mathml once; forking it would cost more
        than an edit's texts."""
        return True

    def shares_texts(self, papers: int) -> bool:
        return False

    def stored_texts(self, site: Site, path, order: list[Task], shared) -> StoredTexts:
        return StoredTexts(site.papers, path, self.texts, shared=shared)

    def snapshot_worth_saving(self, site: Site) -> bool:
        return False

    def kept_fragments(self, plan: Plan) -> PaperFragments | None:
        if plan.site is not self.site:
            return None
        return PaperFragments(self.fragments, plan.paper_digests, plan.context)

    def take_fragments(self, made: list) -> None:
        self.fragments.update(made)

    def shares_fragments(self, order: list[Task], jobs: int) -> bool:
        return False

    def after_reload(self, work: Callable[[], None]) -> None:
        """Done once browsers are told to reload (idle)."""
        self.deferred.append(work)

    def check_output_for_next_build(self, manifest: Manifest) -> None:
        self.deferred.append(manifest.check_in_background)

    # --- between builds ----------------------------------------------------------------

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
        self.take_warm_up()
        plan = self.plan
        if self.warm_up is None and self.config is not None and plan is not None and plan.site is self.site \
                and self.site is not None and self.warmed != plan.context:
            self.warm_up = start_warm_up(self, CacheDir(self.config.root))
            self.warmed = plan.context

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
        self.take_warm_up()

    def take_warm_up(self) -> None:
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
