"""`sitegen update`: run every source of `sources:` in sitegen.yaml, in order."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sitegen.commands.imports import note, quiet_option, silent, site_option
from sitegen.config import CONFIG_FILE, Config, Source, load_config
from sitegen.importers import ImportFailure


@click.command("update")
@site_option
@quiet_option
def update_command(site_dir: Path, quiet: bool) -> None:
    """Import what every source in sitegen.yaml's `sources:` gives, in order.

    Writes new entries, rewrites the entries a source wrote before where it says
    `update: true`, and prints one line per source with what it wrote, updated and
    skipped. A source that fails writes nothing and the others still run; the exit
    status is then 1. Settings with an error run no source.
    """
    config = _checked_config(site_dir)
    if not config.sources:
        click.echo(f"No sources in {CONFIG_FILE}: nothing to update (add `sources:`, e.g. `- hf: daily`).")
        return
    from sitegen.importers.common import Catalogue

    notify = silent if quiet else note
    catalogue = Catalogue(config)  # content/ is read once for all the sources
    failed = 0
    for number, source in enumerate(config.sources, 1):
        notify(f"source {number} of {len(config.sources)}: {source.describe()}")
        failed += not _run(config, source, catalogue, notify)
    if failed:
        sys.exit(1)


def _checked_config(site_dir: Path) -> Config:
    """The settings, or exit 1 after saying every error in them (with file, line and
    field): a bad `sources` entry must not run the good ones half-configured."""
    config, problems = load_config(site_dir)
    for problem in sorted(problems, key=lambda p: (p.path, p.line or 0)):
        click.echo(str(problem), err=True)
    errors = sum(problem.is_error for problem in problems)
    if errors:
        click.echo(f"{errors} error(s) in {CONFIG_FILE}; no source was run.", err=True)
        sys.exit(1)
    return config


def _run(config: Config, source: Source, catalogue, notify) -> bool:
    """Run one source and say how it went in one line; whether it ran."""
    from sitegen.importers.sources import fetch_source, write_found

    try:
        found = fetch_source(config, source, notify=notify)
        outcome = write_found(config, found, source.kind, update=source.update, catalogue=catalogue)
    except ImportFailure as failure:
        click.echo(f"{source.describe()}: failed, nothing written: {failure}", err=True)
        return False
    unusable = found.problems + outcome.failed
    for problem in unusable:
        click.echo(f"warning: {source.describe()}: {problem}", err=True)
    counts = f"{len(outcome.written)} written, {len(outcome.updated)} updated, {len(outcome.skipped)} skipped"
    if unusable:
        counts += f", {len(unusable)} could not be imported"
    if not found.papers and not unusable and not found.skipped:
        counts += f" ({found.nothing})"
    click.echo(f"{source.describe()}: {counts}")
    return True
