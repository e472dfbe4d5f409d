"""The theme's Jinja environment (fast_jinja.py): escaping as markupsafe does it, without its
wrappers, and Jinja's own output from cheaper code."""

import shutil
import traceback

import jinja2
import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitegen.pages import fast_jinja, theme
from sitegen.pages.fragments import CacheExtension
from sitekit import REPO, build_dir, output_tree

SAMPLE = REPO / "content"


class _Html:
    def __init__(self, text):
        self.text = text

    def __html__(self):
        return self.text


_VALUES = st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
                    st.text().map(markupsafe.Markup), st.text().map(_Html), st.lists(st.text(), max_size=3))


@given(_VALUES)
def test_escape_writes_what_markupsafe_writes(value):
    assert fast_jinja._escape(value) == str(markupsafe.escape(value))


def _environment(tmp_path, source: str) -> jinja2.Environment:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "t.html").write_text(source)
    return theme.Theme((tmp_path / "templates",), ()).environment


def test_templates_escape_with_it_and_undefined_values_still_fail(tmp_path):
    env = _environment(tmp_path, "{{ a }}|{{ b }}|{{ c }}|{% set d %}<i>{{ a }}</i>{% endset %}{{ d }}")
    assert env.get_template("t.html").root_render_func.__globals__["escape"] is fast_jinja._escape
    html = env.get_template("t.html").render(a="<x & 'y'>", b=markupsafe.Markup("<b>ok</b>"), c=3)
    assert html == "&lt;x &amp; &#39;y&#39;&gt;|<b>ok</b>|3|<i>&lt;x &amp; &#39;y&#39;&gt;</i>"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("t.html").render(a="x", b="y")


_TEMPLATES = {
    "base.html": "<title>{% block title %}{{ site }}{% endblock %}</title>\n{% block main %}{% endblock %}\n"
                 "<footer>{{ site }} · {{ n }}</footer>\n",
    "page.html": "{% extends 'base.html' %}{% from 'm.html' import item, box, opt, rest %}"
                 "{% block title %}{{ title }} - {{ super() }}{% endblock %}"
                 "{% block main %}<ul>{% for x in xs %}<li class=\"{{ loop.cycle('a', 'b') }}\">{{ item(x) }}"
                 "{% if loop.last %} (last of {{ loop.length }}){% endif %}</li>{% else %}<li>none</li>{% endfor %}</ul>"
                 "{% set block_set %}<b>{{ title }}</b>{% endset %}{{ block_set }}{% filter upper %}up {{ title }}{% endfilter %}"
                 "{% call box('called') %}inner {{ title }}{% endcall %}"
                 "{{ opt(1) }}{{ opt(1, 3) }}{{ opt(1, c=title) }}{{ opt(a=title, b=none) }}{{ opt(1, 2, 3) }}{{ rest(1, k=2) }}"
                 "{% for x in xs + xs %}{% cache x, 'b' %}<b>{{ x }}{{ item(x) }}</b>{% endcache %}{% endfor %}"
                 "{% for x in xs + xs %}{% cache x, 'c' if x != 'c' %}<s>{{ x }}{{ loop.index }}</s>{% endcache %}{% endfor %}"
                 "{% include 'inc.html' %}{{ raw }}{% endblock %}",
    "m.html": "{% macro item(x) %}<i>{{ x }}</i>{% for i in range(2) %}{{ i }}{% endfor %}{% endmacro %}{% macro box(x) %}<div>{{ x }}: {{ caller() }}</div>{% endmacro %}"
              "{% macro opt(a, b=2, c='<c>') %}[{{ a }} {{ b }} {{ c }}]{% endmacro %}"
              "{% macro rest() %}{{ varargs|length }} {{ kwargs|length }}{% endmacro %}",
    "inc.html": "<p>{{ title }} {{ xs|length }} {{ d.title }} {{ d.items()|list|length }} {{ d.keys is defined }}"
                "{{ d.nope is defined }} {{ d.get('title') }} {{ d['title'] }} {{ d.__class__.__name__ }}</p>"
                "{% set ns = namespace(k=title) %}{{ ns.k }}{{ lipsum is defined }}",
    "maybe.html": "{% if parent %}{% extends 'base.html' %}{% endif %}before {{ title }} after"
                  "{% block main %}main {{ title }}{% endblock %}",
}


@pytest.mark.parametrize("name,parent", [("page.html", False), ("maybe.html", True), ("maybe.html", False)])
def test_joined_output_renders_what_jinja_s_own_code_renders(tmp_path, name, parent):
    for file, source in _TEMPLATES.items():
        (tmp_path / file).write_text(source)
    options = dict(loader=jinja2.FileSystemLoader(str(tmp_path)), autoescape=True, trim_blocks=True,
                   lstrip_blocks=True, undefined=jinja2.StrictUndefined, extensions=[CacheExtension])
    values = dict(site="S&co", n=3, title="<T>", xs=["a", "<b>", "c"], raw=markupsafe.Markup("<hr>"), parent=parent,
                  d={"title": "<d>", "keys": "a key", "items": 1})  # a key named as a method of dicts loses to it
    ours = fast_jinja.FastEnvironment(**options).get_template(name)
    stock = jinja2.Environment(**options).get_template(name)
    assert ours.render(**values) == stock.render(**values)
    assert len(list(ours.generate(**values))) < len(list(stock.generate(**values)))
    if name == "page.html":  # each made once, then found; 'c' made in place each time
        assert ours.environment.fragment_cache.misses == 5 and ours.environment.fragment_cache.hits == 15


@pytest.mark.parametrize("call", ["opt(1, 2, 3, 4)", "opt(1, d=4)", "opt(1, a=2)", "opt(b=2)"])
def test_a_macro_called_wrongly_fails_as_with_jinja_s_own_call(tmp_path, call):
    (tmp_path / "m.html").write_text(_TEMPLATES["m.html"])
    (tmp_path / "t.html").write_text("{% from 'm.html' import opt %}{{ " + call + " }}")
    options = dict(loader=jinja2.FileSystemLoader(str(tmp_path)), autoescape=True, undefined=jinja2.StrictUndefined)
    outcomes = []
    for environment in (fast_jinja.FastEnvironment(**options), jinja2.Environment(**options)):
        try:
            outcomes.append(environment.get_template("t.html").render())
        except (TypeError, jinja2.UndefinedError) as error:
            outcomes.append((type(error), str(error)))
    assert outcomes[0] == outcomes[1]


def test_a_template_error_still_names_its_line(tmp_path):
    env = _environment(tmp_path, "<p>{{ a }}</p>\n<p>{{ a }} {{ b.c.d }}</p>\n")
    with pytest.raises(jinja2.UndefinedError) as caught:
        env.get_template("t.html").render(a=1, b={})
    lines = [frame.lineno for frame in traceback.extract_tb(caught.value.__traceback__)
             if frame.filename.endswith("t.html")]
    assert lines == [2]


def test_the_sample_site_is_the_same_with_plain_jinja(tmp_path, monkeypatch):
    for name in ("content", "sitegen.yaml"):
        source = SAMPLE.parent / name
        for variant in ("fast", "markupsafe"):
            (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / variant / name)
    build_dir(tmp_path / "fast")
    monkeypatch.setenv(theme.FAST_JINJA, "0")  # markupsafe's own escape, and Jinja's own code
    build_dir(tmp_path / "markupsafe")
    fast, stock = output_tree(tmp_path / "fast" / "output"), output_tree(tmp_path / "markupsafe" / "output")
    assert fast.keys() == stock.keys()
    assert [name for name in fast if fast[name] != stock[name]] == []


def test_the_default_theme_writes_characters_beyond_latin_1_as_references():
    """A card's ▲ written as itself made every page showing the card a 2-byte-a-character
    str in the render process (4 with a character beyond the BMP): slower to join, encode
    and decode than the same page held at one byte a character."""
    templates = REPO / "themes" / "default" / "templates"
    wide = {(path.name, n): [c for c in line if ord(c) > 0xFF]
            for path in templates.glob("*.html") for n, line in enumerate(path.read_text().splitlines(), 1)}
    assert {where: chars for where, chars in wide.items() if chars} == {}
