"""The warm state of a build, kept in `.sitegen/` so a new `sitegen build` process
starts where a long-running one (`sitegen serve`) would be.

An edit's rebuild in a fresh process would otherwise read every parsed entry back,
build the whole model and digest every page again — about 2 of its 2.6 seconds at
10,000 papers. With the snapshot it loads the last model and plan (its digests, the
search index's among them, and its tasks), and takes the warm path: the model is updated with the files
that changed, and only their papers' tasks are planned again.

A snapshot need not be the last build's. Everything in it comes from one build and
describes that build's content; the next build compares the content with it as `sitegen
serve` compares with its previous build (by parse-cache stamps, then by value), so any
snapshot gives the output a clean build gives. Writing one costs about as much as
loading it, so it is written only when it is missing or lags the content by many papers.
"""

from __future__ import annotations

import copyreg
import gc
import os
import pickle
import tempfile
from dataclasses import replace
from pathlib import Path

from sitegen import __version__
from sitegen.content.model import Paper, Site
from sitegen.pages.plan import Plan

LAYOUT = 6  # 3: authors' co-authors and topics are `Ranked`; 4: papers restored as pickled; 5: cite digests;
# 6: the plan is a pages.plan.Plan, with the search digests
# Papers that may differ from the snapshot's before it is written again.
LAG = 64
LAG_SHARE = 32


class Snapshot:
    def __init__(self, site: Site, plan: Plan, parsed: dict):
        self.site, self.plan, self.parsed = site, plan, parsed


def load(path: Path) -> Snapshot | None:
    try:
        with open(path, "rb") as handle, _no_collection():
            data = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
            IndexError, KeyError):
        return None
    if not isinstance(data, tuple) or len(data) != 3 or data[:2] != (LAYOUT, __version__):
        return None
    snapshot = data[2]
    if not isinstance(snapshot, Snapshot) or snapshot.plan.site is not snapshot.site:
        return None
    return snapshot


def worth_saving(loaded: Snapshot | None, plan: Plan, site: Site) -> bool:
    """No snapshot, or one the plan could not reuse, or one many papers away from `site`."""
    if loaded is None or plan.changed_since is not loaded.site:
        return True
    return len(plan.changed_papers) > max(LAG, len(site.papers) // LAG_SHARE)


def write(path: Path, site: Site, plan: Plan, parsed: dict) -> None:
    """Written as it is pickled (no second copy in memory), then renamed into place."""
    memo = plan.for_snapshot()
    # A plan makes its static files' tasks anew (kinds.py): kept without their absolute
    # source, the snapshot stays valid for the site folder renamed or moved.
    memo.loose = [replace(task, source=None) if task.source is not None else task for task in memo.loose]
    snapshot = Snapshot(site, memo, parsed)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            pickler = pickle.Pickler(handle, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = {**copyreg.dispatch_table, Paper: _paper_as_pickled}
            pickler.dump((LAYOUT, __version__, snapshot))
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _paper_as_pickled(paper: Paper):
    """A paper restored without the model's sharing tables: in one pickle its credits,
    dates and topics are already the objects its neighbours have (the pickle's memo
    keeps what was shared when it was dumped), and looking each credit up again was a
    fifth of the load."""
    return copyreg.__newobj__, (Paper,), paper.__getstate__(), None, None, _restore_paper


def _restore_paper(paper: Paper, state: tuple) -> None:
    Paper._setstate_as_pickled(paper, state)


class _no_collection:
    """Unpickling makes a million objects and no cycles: a collection while it runs
    only walks them (a quarter of the load here). The build then freezes what it keeps
    (build._restore), or the first allocation after the load would walk them all."""

    def __enter__(self):
        self.enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.enabled:
            gc.enable()
