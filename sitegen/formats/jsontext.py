"""JSON as the site's files and caches hold it: compact, UTF-8, keys in insertion order.

Made by orjson: a 10,000-paper build encodes some 40,000 JSON documents (the API's
records, each paper page's JSON-LD, the search index and every paper's terms), which
took the standard library about 1 CPU-second and orjson a sixth of that. The bytes
are those of `json.dumps(data, ensure_ascii=False, separators=(",", ":"))`
(test_jsontext.py compares the two), floats aside (1e16 for 1e+16; a build writes
none); what orjson refuses (a lone surrogate, an int
beyond 64 bits) goes through the standard library, as before.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(data: Any, sort_keys: bool = False) -> bytes:
    """Copied into bytes of their own size: orjson's keep the buffer they were written in
    (about 8 KB for a 2.5 KB API record), and the build keeps thousands of them (the API
    records: 117 MB more at 10,000 papers, 350 MB at 100,000)."""
    try:
        return bytes(memoryview(orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else 0)))
    except TypeError:  # orjson's JSONEncodeError is one
        # A lone surrogate is left in the text by json and written as its JSON escape.
        return dumps_text(data, sort_keys).encode("utf-8", "backslashreplace")


def dumps_text(data: Any, sort_keys: bool = False) -> str:
    """The same JSON as a str, for text that goes into a page."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode()
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


def loads(data: str | bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # its error, or what orjson refuses and json reads (a lone surrogate)
