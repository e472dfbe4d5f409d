"""Problems are values: every stage returns them instead of raising, so one run
reports everything that is wrong, each with its file, line and field."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import sqlite3

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int | None
    field: str | None
    message: str
    hint: str | None = None
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def description(self) -> str:
        """What is wrong, without where: 'autors: unknown field (did you mean ...)'."""
        text = f"{self.field}: {self.message}" if self.field else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.severity == WARNING:
            where += ": warning"
        return f"{where}: {self.description}"


class ContentError(Exception):
    """Raised by the build when content has errors; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems, key=_reading_order)
        errors = [p for p in self.problems if p.is_error]
        super().__init__(f"{len(errors)} problem(s) in content")

    def report(self) -> str:
        lines = [str(p) for p in self.problems]
        errors = sum(p.is_error for p in self.problems)
        lines.append(f"{errors} error(s); nothing was written.")
        return "\n".join(lines)


class TemplateProblem(Exception):
    """A theme template failed while rendering one output file."""

    def __init__(self, output_path: str, template: str | None, line: int | None, message: str):
        self.output_path = output_path
        self.template = template
        self.line = line
        self.message = message
        where = template or "template"
        if line:
            where += f":{line}"
        super().__init__(f"Error building page '{output_path}': {where}: {message}")

    def __reduce__(self):  # raised in worker processes, so it must pickle
        return (TemplateProblem, (self.output_path, self.template, self.line, self.message))


class WriteProblem(Exception):
    """A build could not read or write a file: a full disk, a folder it may not write to.
    Said in a line that names the file, not as a traceback."""

    def __init__(self, message: str):
        super().__init__(message)

    @classmethod
    def of(cls, error: "OSError | sqlite3.Error", committing: bool = False) -> "WriteProblem":
        """`committing`: the error came while files moved into the output folder, which
        may then hold some of this build's files beside the last one's."""
        if isinstance(error, OSError):
            what = error.strerror or str(error)
            where = f"{error.filename}: " if error.filename else ""
        else:  # SQLite, writing a cache in .sitegen/ ("database or disk is full")
            what, where = str(error), ".sitegen/ (the build's cache): "
        after = ("the output folder may hold part of this build; build again once this is fixed" if committing
                 else "nothing was written to the output folder")
        return cls(f"{where}{what}; {after}.")


def _reading_order(p: Problem):
    return (p.path, p.line or 0, p.field or "", p.message)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def display_path(path: Path, root: Path) -> str:
    """Paths in messages are relative to the site folder, as users typed them."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
