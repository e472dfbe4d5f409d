"""Pieces of output a render process makes once and reuses on every page that shows them.

A paper's card appears on its day, week and month pages, on each of its authors'
and topics' pages; its feed item in as many feeds. Rendering each once per process
instead of once per page is most of what makes a large build fast.

Templates opt in with a tag whose arguments say what the fragment depends on:

    {% cache paper.id, level, show_day %} ... {% endcache %}

and may say when it is worth keeping: `{% cache paper.id, level, show_day if reuse %}`
renders the body in place, as if there were no tag, when `reuse` is false. A fragment a
build shows once (a card on its day page) only costs its place in the cache, where it
pushes out fragments other pages will show again, and its write to the shared store.

The cache lives for one build in one process, where the model cannot change, so a
key made of ids and arguments is exact. Anything the fragment shows that is not
determined by those arguments (say, the page it is on) must not be inside the tag.
A fragment whose first argument is a paper's id shows that paper: `sitegen serve` keeps
it from one build to the next while the paper shows the same (`PaperFragments`).
"""

from __future__ import annotations

import hashlib
from typing import Callable, Hashable, Mapping

from jinja2 import nodes
from jinja2.ext import Extension

from sitegen.lru import LRUCache



class PaperFragments:
    """A build's fragments, with those of papers kept from earlier builds in this process.

    A fragment keyed by a paper's id (a card, a feed item) is the same in any build in
    which that paper shows the same: its record, its authors' and topics' names and its
    cite key, which the plan's digest of the paper covers, under the same templates and
    settings (`context`). Such fragments are kept in `kept` under that digest, so a
    rebuild after an edit makes only the cards of the papers the edit changed; any other
    fragment lives for this build only.
    """

    def __init__(self, kept: LRUCache, digests: Mapping[str, str], context: Hashable):
        self.kept, self.digests, self.context = kept, digests, context
        self.local = LRUCache()
        self.made: list[tuple[Hashable, object]] = []  # kept fragments made here, for a render process to hand back

    def get_or_make(self, key: tuple, make: Callable[[], object]):
        digest = self.digests.get(key[1]) if len(key) > 1 and isinstance(key[1], str) else None
        if digest is None:
            return self.local.get_or_make(key, make)
        kept_key = (self.context, key[0], digest, *key[2:])

        def made():
            value = make()
            self.made.append((kept_key, value))
            return value

        return self.kept.get_or_make(kept_key, made)

    text = LRUCache.text

    def clear(self) -> None:
        """Forget every fragment; those made here stay in `made`."""
        self.kept.clear()
        self.local.clear()


class CacheExtension(Extension):
    """`{% cache key, ... %}body{% endcache %}`: the body rendered once per key per process."""

    tags = {"cache"}

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_cache=LRUCache())

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        # A key part that is itself a conditional expression needs parentheses: a bare
        # `if` after the key starts the condition.
        args = [parser.parse_expression(with_condexpr=False)]
        while parser.stream.skip_if("comma"):
            args.append(parser.parse_expression(with_condexpr=False))
        condition = parser.parse_expression() if parser.stream.skip_if("name:if") else None
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        # Names the tag by what it is, not by when it was parsed: render processes
        # compile templates in different orders, and find each other's fragments by
        # key (engine/shared_fragments.py). Two tags with the same key are still two fragments.
        shape = hashlib.blake2b(repr((args, body)).encode(), digest_size=8).hexdigest()
        where = nodes.Const(f"{parser.name}:{lineno}:{shape}")
        call_args = [where, nodes.Tuple(args, "load")] + ([condition] if condition is not None else [])
        call = self.call_method("_fragment", call_args)
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _fragment(self, where: str, key: tuple, *condition, caller) -> str:
        """The tag as Jinja compiles a call block (`condition`: the tag's, if it has one).
        The site's environment compiles it without one (theme.py); this serves a body
        that asks for the enclosing macro's caller, and any other code generator."""
        if condition and not condition[0]:
            return caller()
        return self.environment.fragment_cache.text((where, *key), caller)
