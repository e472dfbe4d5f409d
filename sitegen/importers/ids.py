"""Paper ids as importers compare them: an arXiv id in any of its spellings is one
paper, whatever its version, and an entry id is made safe for a file name."""

from __future__ import annotations

import re

NEW_STYLE = re.compile(r"^(\d{4}\.\d{4,5})(v\d+)?$")
OLD_STYLE = re.compile(r"^([a-z-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$")
# An old-style id as an entry id spells it ('math/0601001' → 'math-0601001', safe_id).
OLD_STYLE_AS_ENTRY_ID = re.compile(r"^([a-z-]+(?:\.[A-Z]{2})?)-(\d{7})(?:v\d+)?$")
_NOT_ID = re.compile(r"[^A-Za-z0-9._-]+")


def normalise_id(raw: str) -> str | None:
    """'arXiv:2203.00555v2', 'https://arxiv.org/abs/2203.00555' → '2203.00555'; None if not an arXiv id."""
    text = raw.strip()
    text = re.sub(r"^(?:https?://(?:export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)", "", text, flags=re.I)
    text = text.removesuffix(".pdf")
    for pattern in (NEW_STYLE, OLD_STYLE):
        match = pattern.match(text)
        if match:
            return match.group(1)
    return None


def safe_id(text: str) -> str:
    """An entry id from anything: 'math/0601001' → 'math-0601001'."""
    return _NOT_ID.sub("-", text).strip("-._") or "paper"


def paper_key(text: str) -> str:
    """What two ids of the same paper share: an arXiv id without its version, as an
    entry id spells it ('2203.00555v2', 'arXiv:2203.00555', 'math-0601001v1' and
    'math/0601001' all name one paper each); any other id is its own key."""
    arxiv_id = normalise_id(text)
    if arxiv_id is None:
        old = OLD_STYLE_AS_ENTRY_ID.match(text.strip())
        if old is None:
            return text.strip()
        arxiv_id = f"{old.group(1)}/{old.group(2)}"
    return safe_id(arxiv_id)
