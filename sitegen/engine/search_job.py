"""The search index as one job of a build.

What the index needs is decided in the build process (`prepare`: nothing, a patch of
the papers an edit changed, or the whole index), from the manifest and the state kept
with the last index. The index itself is made by `run`, which needs only the model,
the text store and the staging folder: a render process takes it on before its pages,
so the index is made beside the pages rather than after them.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

from sitegen.formats import search
from sitegen.content.model import Paper, Site
from sitegen.write.manifest import Manifest, Record, content_digest
from sitegen.write.staging import Staging
from sitegen.engine.textstore import TextStore


@dataclass(frozen=True)
class SearchJob:
    inputs: str  # the index's inputs digest (meta.json's manifest inputs)
    digests: dict[str, str]  # per paper, what the index shows of it
    previous: dict[str, Record]  # the index's files in the last build
    intact: frozenset[str]  # those of them still as written
    state: search.IndexState | None  # the last index's state, if it can be patched
    changed: set[str] | None  # papers to patch; None: make the index whole
    # Changed papers as the index shows them (the paper then, and the names it was found
    # by), where the last model still has them and no paper moved: see patched_files.
    before: dict[str, tuple[Paper, list[str]]]
    output_dir: Path
    store_path: Path


@dataclass(frozen=True)
class SearchResult:
    written: list[str]  # files staged
    records: dict[str, Record]  # the new index's files that are new or changed
    removed: list[str]  # the last index's files the new one does not have
    state: search.IndexState | None  # to keep beside the index once it is in output/


def prepare(site: Site, manifest: Manifest, digests: dict[str, str], state_path: Path,
            kept: search.IndexState | None, store_path: Path, last: Site | None = None) -> SearchJob | None:
    """The job to do, or None if the index in output/ is already this model's.

    Nothing is computed when no paper changed; an edit patches the shards and buckets
    of the papers it changed, read back from output/; anything else (first build, a
    quarter of the papers changed, output/ files touched by hand) makes the index whole.
    `kept`: the state a long-running process kept from its last build. `last`: an
    earlier model (the last build's, or the snapshot's), which may hold the changed
    papers as the index in output/ shows them.
    """
    inputs = search.inputs_digest(site, digests)
    previous = dict(manifest.under(search.FOLDER))
    intact = frozenset(name for name in previous if manifest.is_intact(name))
    meta = previous.get(search.META)
    whole_and_intact = meta is not None and len(intact) == len(previous)
    if whole_and_intact and meta.inputs == inputs:
        return None
    state = None
    if whole_and_intact:
        state = kept if kept is not None and kept.inputs == meta.inputs else read_state(state_path, meta.inputs)
    changed = search.changed_papers(site, digests, state)
    before = _as_indexed(changed, state, site, last) if changed else {}
    return SearchJob(inputs, digests, previous, intact, state, changed, before, manifest.output_dir, store_path)


def _as_indexed(changed: set[str], state: search.IndexState, site: Site,
                last: Site | None) -> dict[str, tuple[Paper, list[str]]]:
    """The changed papers of `last` whose search digest is the one the index has: then
    they are what the index shows (fields, texts and names). Only when no paper moved in
    the listing, so that every unchanged posting of theirs stays where it is."""
    if last is None or state.order != site.newest:
        return {}
    out = {}
    for paper_id in changed:
        indexed = state.papers.get(paper_id)
        if indexed is not None and paper_id in last.papers and search.paper_digest(last, paper_id) == indexed[0]:
            out[paper_id] = (last.papers[paper_id], search.indexed_names(last, paper_id))
    return out


def run(job: SearchJob, site: Site, staging: Staging) -> SearchResult:
    """Make the index (or patch it) and stage the files whose bytes changed."""
    store = TextStore(job.store_path)
    try:
        records: dict[str, Record] = {}
        removed: list[str] = []
        if job.changed is None:
            files, state = search.index_files(site, store.search_texts_in_order(site.newest, site.papers), job.digests)
        else:
            texts = store.search_texts(site.papers[i] for i in job.changed if i in site.papers)
            read = lambda name: (job.output_dir / name).read_bytes() if name in job.previous else None
            then = store.search_texts(paper for paper, _ in job.before.values())  # may have been pruned
            before = {i: search.weighted_terms(then[i].terms, names) for i, (_, names) in job.before.items()
                      if i in then}
            patched, state = search.patched_files(site, texts, job.digests, job.state, job.changed, read, before)
            files = patched.items()
        written = []
        for name, data in files:
            if data is None:
                removed.append(name)
                continue
            digest = content_digest(data)
            old = job.previous.get(name)
            size, mtime_ns = (old.size, old.mtime_ns) if old else (0, 0)
            if old is None or old.digest != digest or name not in job.intact:
                size, mtime_ns = staging.write(name, data)
                written.append(name)
            records[name] = Record(job.inputs if name == search.META else digest, digest, size, mtime_ns)
    finally:
        store.close()
    if job.changed is None:
        removed = [name for name in job.previous if name not in records]
    return SearchResult(written, records, [name for name in removed if name in job.previous], state)


def read_state(path: Path, inputs: str) -> search.IndexState | None:
    """The state kept with the index now in output/, or None if it is not that one's."""
    try:
        state = pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(state, search.IndexState) or getattr(state, "layout", None) != search.STATE_LAYOUT:
        return None
    return state if state.inputs == inputs else None
