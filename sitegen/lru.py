"""A bounded map that forgets the least recently used value first, and makes a missing
value once: what every render process keeps of what it made."""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Hashable, Protocol

LIMIT = 32768  # values kept: a process's fragments are about 3 KB each as UTF-8 (100-120 MB in all)


class SharedStore(Protocol):
    """Where values made by other processes of the build are found (bytes only)."""

    def get(self, key: Hashable) -> bytes | None: ...

    def put(self, key: Hashable, value: bytes) -> None: ...


class LRUCache:
    """A bounded map that forgets the least recently used value first: a render
    process's fragments (pages/fragments.py), paper views, BibTeX entries, API records.

    An OrderedDict, not a dict: evicting a dict's first key scans the slots that earlier
    evictions left empty, so at 100,000 papers eviction alone took 6% of a build."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self.hits = 0
        self.misses = 0
        # Where a miss looks before making the value, and what it makes goes: the
        # build's other render processes' values, which the engine shares among them
        # (engine/shared_fragments.py). Bytes only.
        self.shared: SharedStore | None = None

    def get_or_make(self, key: Hashable, make: Callable[[], object]):
        items = self._items
        value = items.get(key)
        if value is None:
            self.misses += 1
            shared = self.shared
            if shared is None:
                value = make()
            else:
                value = shared.get(key)
                if value is None:
                    value = make()
                    shared.put(key, value)
            items[key] = value
            if len(items) > self.limit:
                items.popitem(last=False)
        else:
            self.hits += 1
            items.move_to_end(key)
        return value

    def text(self, key: tuple, make: Callable[[], str]) -> str:
        """A `{% cache %}` tag's fragment. Kept as UTF-8 and decoded on each use: a card
        is mostly ASCII, but one character outside Latin-1 (a name, a MathML symbol) makes
        a str take 2-4 bytes a character, and at 100,000 papers the caches are what a
        render process holds most of."""
        return self.get_or_make(key, lambda: make().encode()).decode()

    def items(self) -> list[tuple[Hashable, object]]:
        return list(self._items.items())

    def update(self, items: list[tuple[Hashable, object]]) -> None:
        """Add fragments made elsewhere (a render process), as the most recently used."""
        mine = self._items
        for key, value in items:
            mine[key] = value
            mine.move_to_end(key)
            if len(mine) > self.limit:
                mine.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()

    def peek(self, key: Hashable):
        """The value kept under `key`, or None, without counting it as used."""
        return self._items.get(key)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)
