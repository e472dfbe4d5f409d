"""The build, top to bottom: content → model → plan → render what changed → commit.

Nothing is written to output/ until every page has rendered; a content or template
error stops the build with output/ exactly as it was.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from sitegen.config import Config
from sitegen.content import load_content
from sitegen.model import Site
from sitegen.output import (BuildLock, Manifest, Record, Staging, check_output_location, commit,
                            content_digest)
from sitegen.problems import WARNING, ContentError, Problem, TemplateProblem
from sitegen.tasks import Renderer, Task, page_paths, plan
from sitegen.theme import Theme, find_theme
from sitegen.views import PaperText, Views, render_paper_text, text_problems

CACHE_DIR = ".sitegen"
CHUNK = 64  # tasks per message to a worker


@dataclass
class BuildReport:
    pages: int = 0  # output files planned
    rendered: int = 0
    written: int = 0
    deleted: int = 0
    seconds: float = 0.0
    warnings: list[Problem] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (file, why it was rendered)
    output_dir: Path | None = None

    def summary(self) -> str:
        return (f"{self.pages} files: {self.rendered} rendered, {self.written} written, "
                f"{self.deleted} removed in {self.seconds:.2f} s")


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def prepare(config: Config) -> tuple[Site, Theme, list[Problem]]:
    """Load and check everything a build needs; raise ContentError listing every problem."""
    content = load_content(config)
    problems = list(content.problems)
    theme_dir, theme_problems = find_theme(config)
    problems += theme_problems
    theme = None
    if theme_dir is not None:
        theme = Theme.for_site(config, theme_dir)
        problems += theme.check()
    if any(p.is_error for p in problems):
        raise ContentError(problems)
    return content.site, theme, problems


def render_texts(site: Site) -> tuple[dict[str, PaperText], list[Problem]]:
    texts: dict[str, PaperText] = {}
    problems: list[Problem] = []
    for paper_id, paper in site.papers.items():
        text = texts[paper_id] = render_paper_text(paper)
        problems += text_problems(paper, text)
    return texts, problems


def build(config: Config, *, jobs: int | None = None, explain: bool = False) -> BuildReport:
    started = time.perf_counter()
    site, theme, warnings = prepare(config)
    output_dir = config.output_dir
    cache_dir = config.root / CACHE_DIR
    check_output_location(output_dir, config.root, {
        "content": config.content_dir, "theme": theme.template_dirs[-1].parent,
        **{f"static ({d})": d for d in theme.static_dirs}, "cache": cache_dir,
    })
    texts, text_warnings = render_texts(site)
    if config.site_url is None:
        warnings.append(Problem("sitegen.yaml", None, "base_url",
                                f"'{config.base_url}' has no host, so feeds and the sitemap carry paths, not full URLs",
                                "set base_url: https://you.github.io/repo/", severity=WARNING))
    tasks = plan(site, config, theme)
    report = BuildReport(pages=len(tasks), warnings=warnings + text_warnings, output_dir=output_dir)

    with BuildLock(cache_dir):
        manifest = Manifest.load(cache_dir, output_dir)
        stale = [t for t in tasks if _why(t, manifest)]
        if explain:
            report.reasons = [(t.file, _why(t, manifest)) for t in stale]
        staging = Staging(cache_dir)
        try:
            records = {t.file: manifest.records.get(t.file) for t in tasks}
            written = _render(site, config, theme, texts, tasks, stale, manifest, staging, records, jobs)
            planned = {t.file for t in tasks}
            removed = sorted(name for name in manifest.records if name not in planned)
            commit(staging, written, removed, manifest, records)
        except BaseException:
            staging.discard()
            raise
    report.rendered = len(stale)
    report.written = len(written)
    report.deleted = len(removed)
    report.seconds = time.perf_counter() - started
    return report


def _why(task: Task, manifest: Manifest) -> str | None:
    record = manifest.records.get(task.file)
    if record is None:
        return "new"
    if record.inputs != task.inputs:
        return "inputs changed"
    if not manifest.is_intact(task.file):
        return "output file changed or missing"
    return None


def _render(site, config, theme, texts, tasks, stale, manifest, staging, records, jobs) -> list[str]:
    """Render stale tasks (in worker processes when jobs > 1); stage files whose bytes changed."""
    pages = page_paths(tasks)
    previous = {t.file: manifest.records[t.file].digest for t in stale if t.file in manifest.records
                and manifest.is_intact(t.file)}
    jobs = jobs or default_jobs()
    chunks = [stale[i:i + CHUNK] for i in range(0, len(stale), CHUNK)]
    state = (site, config, theme, texts, pages, str(staging.dir))
    if jobs <= 1 or len(chunks) <= 1:
        _init_worker(*state)
        results = [_render_chunk(chunk, previous) for chunk in chunks]
    else:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context,
                                 initializer=_init_worker, initargs=state) as pool:
            results = list(pool.map(_render_chunk, chunks, [previous] * len(chunks)))
    written = []
    for chunk_result in results:
        for name, inputs, digest, changed in chunk_result:
            old = records.get(name)
            records[name] = Record(inputs, digest, old.size if old else 0, old.mtime_ns if old else 0)
            if changed:
                written.append(name)
    return written


_worker: dict = {}


def _init_worker(site, config, theme, texts, pages, staging_dir) -> None:
    """Each process gets the model once; tasks then travel as small records."""
    _worker["renderer"] = Renderer(site, config, theme, Views(site, config, texts), pages)
    _worker["staging"] = Staging.attach(Path(staging_dir))


def _render_chunk(chunk: list[Task], previous: dict[str, str]) -> list[tuple[str, str, str, bool]]:
    renderer: Renderer = _worker["renderer"]
    staging = _worker["staging"]
    out = []
    for task in chunk:
        try:
            data = renderer.render(task)
        except Exception as exc:
            raise _template_problem(task, exc) from None
        digest = content_digest(data)
        changed = previous.get(task.file) != digest
        if changed:
            staging.write(task.file, data)
        out.append((task.file, task.inputs, digest, changed))
    return out


def _template_problem(task: Task, exc: Exception) -> TemplateProblem:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return TemplateProblem(task.file, exc.filename or exc.name, exc.lineno, exc.message or str(exc))
    template, line = None, None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith((".html", ".xml", ".txt", ".j2")):
            template, line = frame.filename, frame.lineno
    message = f"{type(exc).__name__}: {exc}"
    return TemplateProblem(task.file, template, line, message)


def check(config: Config) -> list[Problem]:
    """Validate content, settings and templates without writing anything."""
    try:
        _, _, problems = prepare(config)
    except ContentError as error:
        return error.problems
    return problems
