"""What a build says of its progress, to whoever shows it (commands/progress.py).

The engine calls a `Progress` given by its caller, if any, at the start of each stage,
while content loads, once per content file parsed, and, while pages render, once per
chunk of pages the build process takes: never per page,
and from no thread of its own (processes.py starts processes by fork only while this
process has no other thread). It knows nothing of terminals: the caller decides what to
show, and when.
"""

from __future__ import annotations

from typing import Protocol

# The stages of a build, in order, as a user reads them.
LOADING = "loading content"
PLANNING = "planning"
COMPARING = "comparing with output"
TEXTS = "rendering titles and abstracts"  # only when the text store lacks some
RENDERING = "rendering"
WRITING = "writing"


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int) -> None:
        """`stage` has begun, or goes on: `done` of `total` content files parsed, or
        pages handed out to render (total 0: a stage without a count)."""
