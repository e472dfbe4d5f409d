"""The command line: `sitegen build | check | new | serve`."""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click

from sitegen import __version__
from sitegen.engine import uptodate
from sitegen.config import Config, find_theme, load_config
from sitegen.commands.deploy import deploy_command
from sitegen.commands.imports import import_group
from sitegen.commands.update import update_command
from sitegen.commands.check import check_links
from sitegen.commands.progress import ProgressDisplay
from sitegen.write.commit import OutputLocationError
from sitegen.problems import ContentError, Problem, TemplateProblem, WriteProblem
from sitegen.commands.init import init_command
from sitegen.urls import UnsafePath

site_option = click.option("--site", "-s", "site_dir", type=click.Path(file_okay=False, path_type=Path),
                           default=".", show_default=True, help="The site folder (holding sitegen.yaml).")


def _config(site_dir: Path, **overrides) -> Config:
    config, problems = load_config(site_dir, **overrides)
    errors = [p for p in problems if p.is_error]
    _print_problems([p for p in problems if not p.is_error])
    if errors:
        raise ContentError(errors)
    return config


def _print_problems(problems: list[Problem], fmt: str = "text") -> None:
    for problem in problems:
        if fmt == "github":
            kind = "error" if problem.is_error else "warning"
            line = f",line={problem.line}" if problem.line else ""
            title = f",title={problem.field}" if problem.field else ""
            message = problem.description.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            click.echo(f"::{kind} file={problem.path}{line}{title}::{message}")
        else:
            click.echo(str(problem), err=True)


def _fail(error: Exception) -> None:
    if isinstance(error, ContentError):
        click.echo(error.report(), err=True)
    else:
        click.echo(f"Error: {error}", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sitegen")
def main() -> None:
    """sitegen turns paper entries (YAML or Markdown) into a static site:
    a page per paper, author, listing day and topic, with RSS feeds, BibTeX
    and a sitemap.

    Run the commands in your site's folder (the one holding content/ and
    sitegen.yaml), or point at it with --site.
    """


@main.command()
@site_option
@click.option("--content", type=click.Path(path_type=Path), help="Folder of paper entries. [default: content]")
@click.option("--output", type=click.Path(path_type=Path), help="Folder to build into. [default: output]")
@click.option("--theme", help="Theme name (under themes/) or folder. [default: default]")
@click.option("--base-url", help="Where the site is published, e.g. https://user.github.io/repo/")
@click.option("--drafts", is_flag=True, default=None, help="Include entries marked draft: true.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes. [default: number of cores]")
@click.option("--explain", is_flag=True, help="Say why each page was re-rendered.")
@click.option("--quiet", "-q", is_flag=True, help="Print only problems.")
def build(site_dir, content, output, theme, base_url, drafts, jobs, explain, quiet) -> None:
    """Build the site from content/ into output/.

    Only pages whose content, template or settings changed are rendered again.
    On any error nothing is written and the previous output/ stays as it was.
    """
    try:
        config = _config(site_dir, content=_str(content), output=_str(output), theme=theme,
                         base_url=base_url, drafts=drafts)
    except ContentError as error:
        _fail(error)
        return
    global _leave_heap
    _leave_heap = True
    report = run_build_or_exit(config, jobs=jobs, explain=explain, verdict=uptodate.check(config),
                               progress=None if quiet else ProgressDisplay())
    for name, reason in report.reasons:
        click.echo(f"{name}: {reason}")
    if explain:
        click.echo("Stages: " + ", ".join(f"{stage} {seconds:.2f} s" for stage, seconds in report.timings.items()))
    if not quiet:
        click.echo(f"Built {report.output_dir}: {report.summary()}")


_leave_heap = False  # set by commands that load a whole site into memory


def entry() -> None:
    """The `sitegen` program. A build leaves millions of objects in memory; freeing them
    one by one at exit took 0.4 s, a third of an edit's rebuild at 10,000 papers. After
    such a command the process ends without that (its files are written and closed,
    its databases committed); `main` itself, as tests call it, returns as usual."""
    try:
        _main_exiting_130_on_interrupt()
    except SystemExit as done:
        if not _leave_heap:
            raise
        code = done.code
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code or 0)


def _main_exiting_130_on_interrupt() -> None:
    """`main` as click runs it, except that Ctrl-C ends with status 130 (128 + SIGINT),
    as shells and make expect of an interrupted command, rather than click's 1."""
    try:
        main.main(standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Aborted!", err=True)
        sys.exit(130)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except EOFError:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except BrokenPipeError:  # `sitegen check | head`: the reader left; what is left to flush goes nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    sys.exit(0)


def run_build_or_exit(config: Config, verdict: uptodate.Verdict | None = None,
                      progress: ProgressDisplay | None = None, **options):
    """Build, print warnings; on any error print every problem and exit 1. With a
    `verdict` saying there is nothing to do, the build is not even imported. `progress`
    is shown while the build runs and cleared before anything else is printed."""
    if verdict is not None and verdict.report is not None:
        report = verdict.report
    else:
        from sitegen.engine.build import build as run_build

        try:
            try:
                report = run_build(config, verdict=verdict, progress=progress, **options)
            finally:
                if progress is not None:
                    progress.close()
        except (ContentError, TemplateProblem, OutputLocationError, UnsafePath, WriteProblem) as error:
            _fail(error)
    _print_problems(report.warnings)
    return report


@main.command()
@site_option
@click.option("--content", type=click.Path(path_type=Path), help="Folder of paper entries. [default: content]")
@click.option("--theme", help="Theme name or folder. [default: default]")
@click.option("--drafts", is_flag=True, default=None, help="Also check entries marked draft: true.")
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text", show_default=True,
              help="'github' prints GitHub Actions annotations.")
@click.option("--links", is_flag=True, help="Also check every internal link and image of the built output/.")
def check(site_dir, content, theme, drafts, fmt, links) -> None:
    """Validate every entry, authors.yaml, settings and templates; write nothing.

    Every problem is listed with its file, line and field. Exits 1 if any is an error.
    """
    global _leave_heap
    _leave_heap = True
    try:
        config = _config(site_dir, content=_str(content), theme=theme, drafts=True if drafts is None else drafts)
    except ContentError as error:
        _print_problems(error.problems, fmt)
        sys.exit(1)
    from sitegen.engine.build import check as run_check

    problems = run_check(config)
    if links:
        if config.output_dir.is_dir():
            problems += check_links(config.output_dir, config.base_path)
        else:
            problems.append(Problem(config.output, None, None, "no built site to check", "run 'sitegen build' first"))
    _print_problems(problems, fmt)
    errors = sum(p.is_error for p in problems)
    if errors:
        click.echo(f"{errors} error(s).", err=True)
        sys.exit(1)
    click.echo("No problems found." if not problems else f"No errors ({len(problems)} warning(s)).", err=True)


@main.command()
@site_option
@click.option("--title", help="The paper's title.")
@click.option("--author", "authors", multiple=True, help="An author; repeat in order.")
@click.option("--arxiv", "arxiv_id", help="Fill the entry from the arXiv API instead, e.g. --arxiv 2203.00555.")
@click.option("--id", "paper_id", help="Unique id, e.g. an arXiv id. [default: from the title]")
@click.option("--published", type=click.DateTime(["%Y-%m-%d"]), help="Date of publication. [default: today]")
@click.option("--day", type=click.DateTime(["%Y-%m-%d"]), help="Listing day. [default: the publication date]")
@click.option("--tags", help="Comma-separated topics, e.g. 'state space models, efficiency'.")
@click.option("--abstract", default="", help="The abstract (Markdown). You can also edit the file afterwards.")
@click.option("--format", "fmt", type=click.Choice(["md", "yaml"]), default="md", show_default=True)
def new(site_dir, title, authors, arxiv_id, paper_id, published, day, tags, abstract, fmt) -> None:
    """Write a new paper entry into content/ (never overwriting a file).

    Give --title and one --author per author, or --arxiv ID to fill it from arXiv.
    """
    from sitegen.content.entry import EntryError, write_entry

    try:
        config = _config(site_dir)
    except ContentError as error:
        _fail(error)
        return
    if arxiv_id:
        _new_from_arxiv(config, arxiv_id, day, fmt)
        return
    if not title or not authors:
        raise click.UsageError("give --title and at least one --author, or --arxiv ID")
    try:
        path = write_entry(config, title=title, authors=list(authors), paper_id=paper_id,
                           published=published.date() if published else date.today(),
                           day=day.date() if day else None,
                           tags=[t.strip() for t in (tags or "").split(",") if t.strip()],
                           abstract=abstract, fmt=fmt)
    except EntryError as error:
        _fail(error)
        return
    click.echo(f"Wrote {path}")


def _new_from_arxiv(config: Config, arxiv_id: str, day, fmt: str) -> None:
    from sitegen.importers.arxiv import Client, fetch
    from sitegen.commands.imports import note, one_line_on_failure
    from sitegen.importers.common import write_imported

    with one_line_on_failure():
        fetched = fetch([arxiv_id], Client(config.arxiv_api, notify=note))
        if fetched.problems:
            _fail(Exception("; ".join(fetched.problems)))
        outcome = write_imported(config, fetched.papers, folder="", update=False, fmt=fmt,
                                 day=day.date() if day else date.today())
    if not outcome.written:
        _fail(Exception("; ".join(outcome.skipped + outcome.failed)))
    click.echo(f"Wrote {outcome.written[0].split(': ', 1)[1]}")


@main.command()
@site_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Other machines can reach the server only if you bind beyond localhost.")
@click.option("--port", "-p", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--drafts", is_flag=True, default=None, help="Include entries marked draft: true.")
@click.option("--base-url", help="Override base_url (its path is where the site is served).")
def serve(site_dir, host, port, drafts, base_url) -> None:
    """Build, serve on http://127.0.0.1:8000 and rebuild on every change.

    Watches content/, the theme, templates/, static/ and sitegen.yaml. Open
    browser tabs reload after each build; a failed build shows its errors in
    the browser until the file is fixed.
    """
    from sitegen.engine.state import Warm
    from sitegen.engine.build import build as run_build
    from sitegen.commands.serve import serve as run_server

    try:
        config = _config(site_dir, drafts=drafts, base_url=base_url)
    except ContentError as error:
        _fail(error)
        return
    theme_dir, _ = find_theme(config)
    shown: set[str] = set()
    warm = Warm()  # the same engine as `sitegen build`, kept warm between rebuilds
    first_build = True  # shows its progress, as `sitegen build` does; a rebuild takes a moment

    def rebuild() -> str | None:
        nonlocal first_build
        progress, first_build = ProgressDisplay() if first_build else None, False
        try:
            try:
                report = run_build(config, warm=warm, progress=progress)
            finally:
                if progress is not None:
                    progress.close()
        except ContentError as error:
            click.echo(error.report(), err=True)
            return error.report()
        except (TemplateProblem, OutputLocationError, UnsafePath, WriteProblem) as error:
            click.echo(f"Error: {error}", err=True)
            return str(error)
        _print_problems([w for w in report.warnings if str(w) not in shown])  # each warning once
        shown.update(str(w) for w in report.warnings)
        click.echo(f"Rebuilt: {report.summary()}")
        return None

    click.echo(f"Serving {config.output_dir} at http://{host}:{port}{config.base_path} (Ctrl+C to stop)")
    try:
        run_server(config, rebuild, host=host, port=port, theme_dir=theme_dir, idle=warm.idle)
    finally:
        warm.close()


main.add_command(init_command)
main.add_command(deploy_command)
main.add_command(import_group)
main.add_command(update_command)


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None
