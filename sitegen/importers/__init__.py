"""Bring papers in: entries written into content/ from arXiv (by id, or an API search
query), BibTeX, a Daily Papers JSON export or the Daily Papers API; `sources.py` runs
them as `sitegen update` does. Importers write content; they never touch output/."""

from __future__ import annotations


class ImportFailure(Exception):
    """A source as a whole could not be read: a file, or an API that did not answer as
    it should. Its text is the one line the user sees: the source (the file, or the API,
    its URL and what was asked), then what went wrong and, where it helps, what to do.
    An import that meets one writes nothing."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")
