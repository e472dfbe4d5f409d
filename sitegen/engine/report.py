"""What a build did, for the command line, --explain and the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sitegen.problems import Problem


@dataclass
class BuildReport:
    pages: int = 0  # output files planned
    rendered: int = 0
    written: int = 0
    deleted: int = 0
    parsed: int = 0  # content files read again (not from the cache)
    texts: int = 0  # titles and abstracts rendered again
    seconds: float = 0.0
    warnings: list[Problem] = field(default_factory=list)
    reasons: list[tuple[str, str]] = field(default_factory=list)  # (file, why it was rendered)
    rendered_files: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    output_dir: Path | None = None

    def summary(self) -> str:
        return (f"{self.pages} files: {self.rendered} rendered, {self.written} written, "
                f"{self.deleted} removed in {self.seconds:.2f} s")
