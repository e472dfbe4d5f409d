"""A build's progress: what the engine reports (engine/progress.py), how `sitegen build`
shows it (commands/progress.py), on a terminal and off one, and that it changes no byte
of the site."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys

import pytest

import sitegen.commands.progress as display_module
from sitegen.commands.cli import main
from sitegen.commands.progress import ProgressDisplay
from sitegen.config import load_config
from sitegen.engine import progress as stages
from sitegen.engine.build import build
from sitegen.engine.processes import START_METHOD
from sitegen.engine.workers import CHUNK

from sitekit import PAPER, generated_listing, output_tree

STAGES = [stages.LOADING, stages.PLANNING, stages.COMPARING, stages.TEXTS, stages.RENDERING, stages.WRITING]


@pytest.fixture(scope="module")
def listing(tmp_path_factory):
    """80 papers: about 1,050 pages to render, 17 chunks."""
    return generated_listing(tmp_path_factory.mktemp("listing"), 80)


def _copy(site, tmp_path, name):
    return shutil.copytree(site, tmp_path / name, ignore=shutil.ignore_patterns("output", ".sitegen"))


# --- what the engine reports -------------------------------------------------------------

@pytest.mark.parametrize("jobs, method", [(1, None), (2, None), (2, "spawn")])
def test_the_build_reports_each_stage_in_order_and_pages_up_to_the_total(listing, tmp_path, monkeypatch, jobs,
                                                                         method):
    """Spawned render processes are given the job pickled: a closure (which pickle
    refuses) proves the progress callable is not part of it."""
    if method is not None:
        monkeypatch.setenv(START_METHOD, method)
    site = _copy(listing, tmp_path, "site")
    calls = []

    def progress(stage, done, total):
        calls.append((stage, done, total))

    config, _ = load_config(site)
    report = build(config, jobs=jobs, progress=progress)

    order = [stage for k, (stage, _, _) in enumerate(calls) if k == 0 or calls[k - 1][0] != stage]
    assert order == STAGES
    assert all((done, total) == (0, 0) for stage, done, total in calls
               if stage not in (stages.RENDERING, stages.LOADING))
    files = len([path for path in (site / "content").rglob("*.yaml") if path.name != "authors.yaml"])
    assert [(done, total) for stage, done, total in calls if stage == stages.LOADING] \
        == [(0, 0)] + [(k, files) for k in range(1, files + 1)]  # each content file parsed
    rendering = [(done, total) for stage, done, total in calls if stage == stages.RENDERING]
    assert {total for _, total in rendering} == {report.rendered}
    assert report.rendered > 8 * CHUNK
    counts = [done for done, _ in rendering]
    assert counts == sorted(counts) and counts[0] == 0 and counts[-1] == report.rendered
    assert len(set(counts)) >= 3  # reported as chunks are taken, not only at both ends
    assert len(calls) < 2 * report.rendered // CHUNK + len(STAGES) + 2 + files  # once per chunk at most, not per page


def test_a_rebuild_reports_the_pages_it_renders_of_those_it_renders(listing, tmp_path):
    site = _copy(listing, tmp_path, "site")
    config, _ = load_config(site)
    build(config, jobs=1)
    (site / "content" / "extra.yaml").write_text(PAPER, encoding="utf-8")
    calls = []
    report = build(config, jobs=1, progress=lambda *call: calls.append(call))
    rendering = [(done, total) for stage, done, total in calls if stage == stages.RENDERING]
    assert rendering[0] == (0, report.rendered) and rendering[-1] == (report.rendered, report.rendered)
    assert stages.TEXTS in [stage for stage, _, _ in calls]  # the new paper's texts
    assert calls[-1] == (stages.WRITING, 0, 0)


# --- the display, with a fake clock --------------------------------------------------------

class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_plain_lines_wait_for_the_delay_come_at_each_stage_and_at_most_every_few_seconds():
    clock, stream = Clock(), io.StringIO()
    show = ProgressDisplay(stream, clock=clock, delay=2.0)
    for t, call in [(0.0, (stages.LOADING, 0, 0)), (1.0, (stages.PLANNING, 0, 0)),
                    (1.9, (stages.RENDERING, 0, 48_000))]:
        clock.now = 100 + t
        show(*call)
    assert stream.getvalue() == ""  # a short build prints nothing more
    for t, done in [(2.0, 640), (2.5, 1280), (6.9, 6400), (7.0, 12_000), (8.0, 12_800)]:
        clock.now = 100 + t
        show(stages.RENDERING, done, 48_000)
    clock.now = 108.1
    show(stages.WRITING, 0, 0)
    show.close()
    assert stream.getvalue() == ("rendering: 640 of 48,000 pages\n"
                                 "rendering: 12,000 of 48,000 pages\n"
                                 "writing\n")
    assert "\r" not in stream.getvalue()


def test_on_a_terminal_a_bar_with_the_stage_and_count_is_drawn_after_the_delay_and_cleared():
    clock, stream = Clock(), Terminal()
    show = ProgressDisplay(stream, clock=clock, delay=2.0)
    show(stages.RENDERING, 64, 1000)
    clock.now = 101.99
    show(stages.RENDERING, 128, 1000)
    assert stream.getvalue() == ""
    clock.now = 102.0
    show(stages.RENDERING, 192, 1000)
    drawn = stream.getvalue()
    assert "rendering" in drawn and "192/1000" in drawn and "[" in drawn
    clock.now = 102.05
    show(stages.RENDERING, 256, 1000)  # within a tenth of a second: not drawn again
    assert stream.getvalue() == drawn
    clock.now = 102.2
    show(stages.RENDERING, 320, 1000)
    assert "320/1000" in stream.getvalue()[len(drawn):]
    show(stages.RENDERING, 1000, 1000)  # the end of the count is drawn at once
    assert "1000/1000" in stream.getvalue()
    show(stages.WRITING, 0, 0)  # a new stage is drawn at once
    assert stream.getvalue().rstrip().endswith("writing")
    before_close = len(stream.getvalue())
    show.close()
    cleared = stream.getvalue()[before_close:]
    assert cleared.startswith("\r") and cleared.strip(" \r") == "\033[?25h"  # blanked, the cursor shown again
    clock.now = 200
    show(stages.WRITING, 0, 0)
    assert len(stream.getvalue()) == before_close + len(cleared)  # nothing after close


def test_a_display_whose_stream_went_away_lets_the_build_go_on():
    class Closed(io.StringIO):
        def write(self, text):
            raise BrokenPipeError

    show = ProgressDisplay(Closed(), delay=0)
    show(stages.RENDERING, 64, 1000)
    show(stages.WRITING, 0, 0)
    show.close()


# --- `sitegen build` -------------------------------------------------------------------------

def test_build_shows_plain_progress_off_a_terminal_nothing_with_quiet_and_the_same_bytes(
        listing, tmp_path, runner, monkeypatch):
    plain, quiet, late = (_copy(listing, tmp_path, name) for name in ("plain", "quiet", "late"))
    waited = runner.invoke(main, ["build", "--site", str(late), "--jobs", "2"])
    assert waited.exit_code == 0 and waited.stderr == ""  # a build shorter than the delay: as before
    monkeypatch.setattr(display_module, "DELAY", 0)
    monkeypatch.setattr(display_module, "LINE_INTERVAL", 0)

    shown = runner.invoke(main, ["build", "--site", str(plain), "--jobs", "2"])
    silent = runner.invoke(main, ["build", "--site", str(quiet), "--jobs", "2", "--quiet"])

    assert shown.exit_code == silent.exit_code == 0, shown.output + silent.output
    assert silent.stdout == silent.stderr == ""
    lines = shown.stderr.splitlines()
    assert "\r" not in shown.stderr
    assert [line for line in lines if ":" not in line] == [s for s in STAGES if s != stages.RENDERING]
    total = int(re.search(r"(\d+) rendered", shown.stdout)[1])
    counts = [line for line in lines if line.startswith("rendering: ")]
    assert counts[0] == f"rendering: 0 of {total:,} pages" and counts[-1] == f"rendering: {total:,} of {total:,} pages"
    assert len(counts) >= 3
    assert shown.stdout.startswith(f"Built {plain / 'output'}: ")
    assert output_tree(plain / "output") == output_tree(quiet / "output") == output_tree(late / "output")


def test_a_failed_build_reports_its_problems_after_the_progress_lines(make_site, runner, monkeypatch):
    monkeypatch.setattr(display_module, "DELAY", 0)
    site = make_site({"content/a.yaml": PAPER.replace("published: 2022-03-01", "published: soon")})
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 1
    first, *rest = result.stderr.splitlines()
    assert first == stages.LOADING and any(line.startswith("content/a.yaml:") and "published" in line
                                           for line in rest)


# --- on a real terminal --------------------------------------------------------------------

def _on_a_terminal(site) -> str:
    """`sitegen build` run under a pseudo-terminal, the delay 0: all it wrote."""
    import pty

    code = ("import sys, sitegen.commands.progress as p; p.DELAY = p.BAR_INTERVAL = 0\n"
            "from sitegen.commands.cli import entry\n"
            f"sys.argv = ['sitegen', 'build', '--site', {str(site)!r}, '--jobs', '2']; entry()")
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-c", code], stdin=follower, stdout=follower, stderr=follower,
                               close_fds=True)
    os.close(follower)
    out = b""
    try:
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the terminal closed: the program has ended
                break
            if not data:
                break
            out += data
    finally:
        os.close(leader)
        process.wait(timeout=120)
    return out.decode()


@pytest.mark.skipif(not sys.platform.startswith(("linux", "darwin")), reason="pseudo-terminals of POSIX")
def test_on_a_terminal_build_draws_a_bar_and_clears_it_before_the_summary(listing, tmp_path, make_site):
    site = _copy(listing, tmp_path, "site")
    out = _on_a_terminal(site)
    assert "rendering  [" in out and "\x1b[?25l" in out  # click's bar, the cursor hidden while it is drawn
    bar, _, after = out.rpartition("\x1b[?25h")  # cleared, the cursor shown again
    summary = after.strip(" \r\n")
    assert summary.startswith(f"Built {site / 'output'}: ") and "\r" not in summary and "[" not in summary
    total = int(re.search(r"(\d+) rendered", summary)[1])
    counts = [int(done) for done in re.findall(rf"(\d+)/{total}\b", bar)]
    assert counts == sorted(counts) and counts[-1] == total and len(set(counts)) >= 3  # counted as it went

    broken = make_site({"content/a.yaml": PAPER.replace("published: 2022-03-01", "published: soon")})
    out = _on_a_terminal(broken)
    drawn, _, report = out.rpartition("\x1b[?25h")
    assert stages.LOADING in drawn
    assert report.lstrip("\r").startswith("content/a.yaml:")  # on a line of its own, not after the bar


def test_loading_counts_content_files_and_rendering_pages():
    clock, stream = Clock(), io.StringIO()
    show = ProgressDisplay(stream, clock=clock, delay=0.0)
    show(stages.LOADING, 1_200, 3_000)
    show(stages.RENDERING, 640, 48_000)
    assert stream.getvalue().splitlines() == ["loading content: 1,200 of 3,000 files",
                                              "rendering: 640 of 48,000 pages"]
