"""A task: one output file of the site, with the digest of everything it shows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from sitegen import urls


@dataclass(frozen=True)
class Task:
    path: str  # site path: 'papers/x/' (a page) or 'feed.xml' (a file)
    kind: str  # its kind in the table of page kinds (kinds.py)
    key: tuple = ()  # which page of its kind: a paper's id, an author's slug and page number...
    inputs: str = ""  # digest of everything the output shows: the same inputs, the same bytes
    source: str | None = None  # a static file copied as is

    @cached_property
    def file(self) -> str:
        return urls.output_file(self.path)


def digest(*parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def joined_digest(digests: list[str]) -> str:
    """One digest of many: joined rather than repr'd, as a page lists up to hundreds."""
    return hashlib.blake2b("".join(digests).encode(), digest_size=16).hexdigest()
