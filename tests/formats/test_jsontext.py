"""jsontext writes the bytes the standard library's compact, UTF-8 JSON would, for any
document a build makes: hostile text (quotes, backslashes, control characters, line
separators, any Unicode), nesting, integers, None and booleans. (A build writes no
floats; orjson writes 1e16 where json writes 1e+16, the same number.)"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitegen.formats import jsontext

_TEXT = st.text(alphabet=st.one_of(st.sampled_from(list("\"\\/<>&\n\r\t\b\f\x00\x1f\x7f") + ["\u2028", "\u2029", "\ufeff"]),
                                   st.characters(exclude_categories=("Cs",))), max_size=20)
_DOCUMENTS = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2 ** 63), max_value=2 ** 64 - 1) | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=12)


def _reference(data, sort_keys=False) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)


@settings(max_examples=400, deadline=None)
@given(_DOCUMENTS, st.booleans())
def test_the_bytes_are_the_standard_librarys(data, sort_keys):
    assert jsontext.dumps(data, sort_keys) == _reference(data, sort_keys).encode()
    assert jsontext.dumps_text(data, sort_keys) == _reference(data, sort_keys)
    assert jsontext.loads(jsontext.dumps(data, sort_keys)) == json.loads(_reference(data, sort_keys))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_is_the_same_number(value):
    assert jsontext.loads(jsontext.dumps([value])) == [value]


def test_what_orjson_refuses_goes_through_the_standard_library():
    data = {"big": 2 ** 70, "text": "a\ud800b"}
    assert jsontext.dumps_text(data) == _reference(data)
    written = jsontext.dumps(data)
    assert written == b'{"big":1180591620717411303424,"text":"a\\ud800b"}'  # valid UTF-8, valid JSON
    assert json.loads(written) == data
    assert jsontext.loads('{"text":"a\\ud800b"}') == {"text": "a\ud800b"}


def test_a_broken_document_is_an_error():
    with pytest.raises(ValueError):
        jsontext.loads(b'{"a":')
    with pytest.raises(TypeError):
        jsontext.dumps({"when": object()})


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads resident memory from Linux /proc/self/statm")
def test_the_bytes_kept_are_their_own_size():
    record = {"abstract": "x" * 2400, "tags": ["a", "b"]}
    before = _resident()
    kept = [jsontext.dumps(record) for _ in range(20_000)]
    assert (_resident() - before) / len(kept) < 4096  # orjson's own: about 8 KB each
    assert kept[0] == _reference(record).encode()


def _resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096
