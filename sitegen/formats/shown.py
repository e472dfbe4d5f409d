"""What the formats need of a paper as pages show it: `pages.views.PaperView` is one.

Formats sit below pages: a feed item or a paper's metadata is made from whatever has
these attributes, and caches are whatever has `get_or_make`."""

from __future__ import annotations

from datetime import date
from typing import Callable, Hashable, Protocol, Sequence

from sitegen.content.model import Paper


class Named(Protocol):
    name: str
    url: str


class ShownPaper(Protocol):
    id: str
    record: Paper
    url: str  # a link in the site (under its base path)
    day: date
    thumbnail: str | None
    title_text: str
    abstract: str  # sanitised HTML
    abstract_text: str
    authors: Sequence[Named]
    tags: Sequence[Named]


class Memo(Protocol):
    """A cache that makes a missing value once (`sitegen.lru.LRUCache`)."""

    def get_or_make(self, key: Hashable, make: Callable[[], object]): ...


class ApiTexts(Protocol):
    def api_texts(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """paper id → (plain title, abstract source)."""
