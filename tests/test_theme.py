"""The theme's Jinja environment: escaping as markupsafe does it, without its wrappers."""

import shutil
from pathlib import Path

import jinja2
import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen import theme
from sitekit import build_dir, output_tree

SAMPLE = Path(__file__).resolve().parent.parent / "content"


class _Html:
    def __init__(self, text):
        self.text = text

    def __html__(self):
        return self.text


_VALUES = st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
                    st.text().map(markupsafe.Markup), st.text().map(_Html), st.lists(st.text(), max_size=3))


@given(_VALUES)
def test_escape_writes_what_markupsafe_writes(value):
    assert theme._escape(value) == str(markupsafe.escape(value))


def _environment(tmp_path, source: str) -> jinja2.Environment:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "t.html").write_text(source)
    return theme.Theme((tmp_path / "templates",), ()).environment


def test_templates_escape_with_it_and_undefined_values_still_fail(tmp_path):
    env = _environment(tmp_path, "{{ a }}|{{ b }}|{{ c }}|{% set d %}<i>{{ a }}</i>{% endset %}{{ d }}")
    assert env.get_template("t.html").root_render_func.__globals__["escape"] is theme._escape
    html = env.get_template("t.html").render(a="<x & 'y'>", b=markupsafe.Markup("<b>ok</b>"), c=3)
    assert html == "&lt;x &amp; &#39;y&#39;&gt;|<b>ok</b>|3|<i>&lt;x &amp; &#39;y&#39;&gt;</i>"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("t.html").render(a="x", b="y")


def test_the_sample_site_is_the_same_with_markupsafe_s_own_escape(tmp_path, monkeypatch):
    for name in ("content", "sitegen.yaml"):
        source = SAMPLE.parent / name
        for variant in ("fast", "markupsafe"):
            (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / variant / name)
    build_dir(tmp_path / "fast")
    monkeypatch.setattr(theme, "_escape_inner", None)
    build_dir(tmp_path / "markupsafe")
    fast, stock = output_tree(tmp_path / "fast" / "output"), output_tree(tmp_path / "markupsafe" / "output")
    assert fast.keys() == stock.keys()
    assert [name for name in fast if fast[name] != stock[name]] == []


def test_the_default_theme_writes_characters_beyond_latin_1_as_references():
    """A card's ▲ written as itself made every page showing the card a 2-byte-a-character
    str in the render process (4 with a character beyond the BMP): slower to join, encode
    and decode than the same page held at one byte a character."""
    templates = Path(__file__).resolve().parent.parent / "themes" / "default" / "templates"
    wide = {(path.name, n): [c for c in line if ord(c) > 0xFF]
            for path in templates.glob("*.html") for n, line in enumerate(path.read_text().splitlines(), 1)}
    assert {where: chars for where, chars in wide.items() if chars} == {}
