"""Whether a build has anything to do, told without loading what a build needs.

A rebuild with nothing changed needs only the stamp of its inputs (stamp.py) and a
check of every output file against the manifest: not the model, Jinja, Markdown or
the search index, whose imports were a third of its time. `sitegen build` asks here
before it imports the build; the build asks here too, and takes over what was read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sitegen.engine import stamp
from sitegen.config import Config, find_theme
from sitegen.engine.background import in_background
from sitegen.engine.cachedir import CacheDir
from sitegen.engine.lock import BuildLock
from sitegen.write.manifest import Manifest
from sitegen.engine.report import BuildReport

@dataclass
class Verdict:
    inputs: str | None  # the stamp of the inputs now; None without a theme (the build reports that)
    manifest: Manifest | None = None  # read and checked, when the stamp was the last build's
    report: BuildReport | None = None  # when there is nothing to do


def inputs_stamp(config: Config) -> str | None:
    theme_dir, _ = find_theme(config)
    if theme_dir is None:
        return None
    site_folders = [d for d in (config.root / "templates", config.root / "static") if d.is_dir()]
    return stamp.inputs_stamp(config, [config.content_dir, theme_dir, *site_folders])


def check(config: Config, cache: CacheDir | None = None, previous: Manifest | None = None) -> Verdict:
    """A report when the inputs' stamp is the last successful build's, every output
    file is as it wrote it and output/ holds nothing else (but what keep_files keeps).
    `previous`: a manifest kept by `sitegen serve`, reused if it is still the one on disk."""
    started = time.perf_counter()
    cache = cache or CacheDir(config.root)
    inputs = inputs_stamp(config)
    last = stamp.read(cache.stamp(config.output_dir)) if inputs is not None else None
    if last is None or last[0] != inputs:
        return Verdict(inputs)
    with BuildLock(cache.lock):
        manifest = Manifest.load(cache.manifest(config.output_dir), config.output_dir, previous, config.keep_files,
                                 in_background)
        manifest.check_now()  # or the one `sitegen serve` made while it waited
        if not manifest.records or manifest.damaged() or manifest.strays().names:
            return Verdict(inputs, manifest)
    seconds = time.perf_counter() - started
    return Verdict(inputs, manifest, BuildReport(pages=len(manifest.records), warnings=last[1], seconds=seconds,
                                                 timings={"check": seconds}, output_dir=config.output_dir))
