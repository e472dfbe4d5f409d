"""How `sitegen build` shows its progress: a build's stages and the pages rendered of
the total, once the build has run for a couple of seconds.

On a terminal it is click's progress bar on stderr, cleared before anything else is
printed (the summary, a warning, a content error's report); elsewhere (a CI log, a
file) a plain line at each stage and at most every few seconds, with no carriage
returns. A build shorter than the delay prints exactly what it would without it.

The engine may call a display as often as it likes (engine/progress.py): the display
reads a monotonic clock and returns unless there is something new to show.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import Callable, TextIO

import click

from sitegen.engine.progress import LOADING

DELAY = 2.0  # seconds of a build before anything is shown
BAR_INTERVAL = 0.1  # seconds between redraws of the bar
LINE_INTERVAL = 5.0  # seconds between plain lines of the same stage
UNITS = {LOADING: "files"}  # what a stage counts, where it is not pages
_SHOW_CURSOR = "\033[?25h"  # click hides the cursor while its bar is drawn


class ProgressDisplay:
    """Called with (stage, done, total) by the build (total 0: a stage without a count);
    `close` once the build is over, whichever way it ended."""

    def __init__(self, stream: TextIO | None = None, *, clock: Callable[[], float] = time.monotonic,
                 delay: float | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.tty = self.stream.isatty()
        self.shows_from = clock() + (DELAY if delay is None else delay)
        self.next_at = self.shows_from  # nothing is shown before
        self.stage: str | None = None  # the stage last shown
        self.bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if now < self.shows_from:
            return
        if stage == self.stage and now < self.next_at and not self._completes(done, total):
            return
        try:
            if self.tty:
                self._draw(stage, done, total)
                self.next_at = now + BAR_INTERVAL
            else:
                self._line(stage, done, total)
                self.next_at = now + LINE_INTERVAL
        except OSError:  # stderr went away (`sitegen build 2>&1 | head -1`): the build goes on
            self.bar = None
            self.next_at = self.shows_from = float("inf")
        self.stage = stage

    def _completes(self, done: int, total: int) -> bool:
        """The bar reaches its end: drawn whatever the time, not left short of it."""
        return self.tty and total > 0 and done >= total and self.bar is not None and self.bar.pos < total

    def close(self) -> None:
        """Clear the bar, if one is drawn, so that what is printed next starts a clean line."""
        if self.bar is not None:
            self.stream.write("\r" + " " * _drawn_width(self.bar) + "\r" + _SHOW_CURSOR)
            self.stream.flush()
            self.bar = None
        self.stage = None
        self.next_at = self.shows_from = float("inf")  # nothing after the build

    def _draw(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage or self.bar is None or self.bar.length != max(total, 1):
            self._new_bar(stage, total)
        bar = self.bar
        if done > bar.pos:
            bar.update(done - bar.pos)  # redraws it
        else:
            bar.render_progress()

    def _new_bar(self, stage: str, total: int) -> None:
        """A bar per stage; a stage without a count shows only its name."""
        if self.bar is not None:  # a shorter line must not leave the end of the last one
            self.stream.write("\r" + " " * _drawn_width(self.bar))
        template = "%(label)s  [%(bar)s]  %(info)s" if total else "%(label)s"
        # Narrower than click's 30 columns where the line would not fit: a line that
        # wraps cannot be drawn over. The info is at most "100000/100000  100%  00:00:00".
        width = max(10, min(30, shutil.get_terminal_size().columns - len(stage) - 2 * len(str(total)) - 24))
        self.bar = click.progressbar(length=max(total, 1), label=stage, file=self.stream, show_pos=bool(total),
                                     show_percent=bool(total), show_eta=bool(total), bar_template=template,
                                     width=width)

    def _line(self, stage: str, done: int, total: int) -> None:
        text = f"{stage}: {done:,} of {total:,} {UNITS.get(stage, 'pages')}" if total else stage
        click.echo(text, file=self.stream)


def _drawn_width(bar) -> int:
    """How wide the bar's line is on the terminal: click pads a line to the bar's width."""
    return max(bar.max_width or 0, bar.width)
