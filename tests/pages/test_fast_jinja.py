"""fast_jinja.py, the one user of Jinja's internals: pinned to the releases it was written
for, switched off by SITEGEN_FAST_JINJA=0 or by a Jinja it cannot trust, and building the
same bytes as plain Jinja either way."""

import shutil
from importlib.metadata import version
from pathlib import Path

import jinja2
import markupsafe
import pytest
from jinja2.compiler import CodeGenerator
from packaging.requirements import Requirement

from sitegen.config import load_config
from sitegen.engine.build import build
from sitegen.pages import fast_jinja, theme
from sitekit import REPO, generated_listing, output_tree

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

COMPILED_FAST = f"__jinja2_{fast_jinja.COMPILED_AS}_"
COMPILED_PLAIN = "__jinja2_plain_"


def _built(site: Path, fast: bool, monkeypatch, **overrides) -> dict[str, bytes]:
    """Every output file of a full build of `site`, with the fast templates or without."""
    monkeypatch.setenv(theme.FAST_JINJA, "1" if fast else "0")
    config, problems = load_config(site, **overrides)
    assert not [p for p in problems if p.is_error], problems
    report = build(config, jobs=1)
    assert report.warnings == []
    compiled = {path.name[:len(COMPILED_FAST if fast else COMPILED_PLAIN)]
                for path in (site / ".sitegen" / "templates").iterdir()}
    assert compiled == {COMPILED_FAST if fast else COMPILED_PLAIN}  # the templates it says it used
    return output_tree(site / "output")


def _sample(root: Path) -> Path:
    shutil.copytree(REPO / "content", root / "content")
    shutil.copy(REPO / "sitegen.yaml", root / "sitegen.yaml")
    return root


def _differing(fast: dict[str, bytes], plain: dict[str, bytes]) -> list[str]:
    assert fast.keys() == plain.keys()
    return [name for name in fast if fast[name] != plain[name]]


def test_the_sample_site_under_a_base_path_is_the_same_with_plain_jinja(tmp_path, monkeypatch):
    base = "https://example.github.io/repo/"
    fast = _built(_sample(tmp_path / "fast"), True, monkeypatch, base_url=base)
    plain = _built(_sample(tmp_path / "plain"), False, monkeypatch, base_url=base)
    assert len(fast) > 100 and b"/repo/" in fast["index.html"]
    assert _differing(fast, plain) == []


def test_a_generated_listing_is_the_same_with_plain_jinja(tmp_path, monkeypatch):
    fast = _built(generated_listing(tmp_path / "fast", 200), True, monkeypatch)
    plain = _built(generated_listing(tmp_path / "plain", 200), False, monkeypatch)
    assert len(fast) > 500
    assert _differing(fast, plain) == []


def _pinned() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {Requirement(line).name.lower(): Requirement(line) for line in project["dependencies"]}


@pytest.mark.parametrize("declared", [fast_jinja.JINJA, fast_jinja.MARKUPSAFE])
def test_the_installed_jinja_and_markupsafe_are_those_fast_jinja_was_written_for(declared):
    """When this fails, a Jinja2 or MarkupSafe release fast_jinja.py was not written for is
    installed: sitegen renders with plain Jinja (slower, same pages) until fast_jinja.py is
    checked against it (tests/pages/test_theme.py and this file) and its range widened."""
    requirement = Requirement(declared)
    assert version(requirement.name) in requirement.specifier, \
        f"{requirement.name} {version(requirement.name)} is installed; fast_jinja.py was written for {declared}"
    assert _pinned()[requirement.name] == requirement  # and pyproject.toml allows exactly that
    assert fast_jinja.unavailable() is None


def _theme(tmp_path: Path, bytecode_dir: Path | None = None) -> theme.Theme:
    (tmp_path / "templates").mkdir(exist_ok=True)
    (tmp_path / "templates" / "t.html").write_text("{% for x in xs %}<b>{{ x }}</b>{% endfor %}")
    return theme.Theme((tmp_path / "templates",), (), bytecode_dir)


@pytest.mark.parametrize("installed", ["3.2.0", "3.2.0rc1", "4.0", "3.0.3", None])
def test_a_jinja_release_outside_the_range_renders_with_plain_jinja_and_says_so(tmp_path, monkeypatch, installed):
    if installed is None:
        monkeypatch.delattr(jinja2, "__version__")
    else:
        monkeypatch.setattr(jinja2, "__version__", installed)
    site_theme = _theme(tmp_path)
    assert type(site_theme.environment) is jinja2.Environment
    assert site_theme.environment.get_template("t.html").render(xs=["<a>", "b"]) == "<b>&lt;a&gt;</b><b>b</b>"
    [warning] = site_theme.problems()
    assert not warning.is_error
    assert f"Jinja2 {installed or '(unknown version)'} is installed" in warning.message
    assert fast_jinja.JINJA in warning.message and theme.FAST_JINJA in warning.hint


@pytest.mark.parametrize("installed", ["3.1.0", "3.1.6", "3.1.9"])
def test_a_jinja_release_inside_the_range_renders_with_the_fast_templates(tmp_path, monkeypatch, installed):
    monkeypatch.setattr(jinja2, "__version__", installed)
    site_theme = _theme(tmp_path)
    assert type(site_theme.environment) is fast_jinja.FastEnvironment
    assert site_theme.problems() == []


@pytest.mark.parametrize("gone", ["escape_inner", "macro_body", "macro_func", "from_namespace"])
def test_a_private_name_that_is_gone_turns_the_fast_templates_off(tmp_path, monkeypatch, gone):
    named = {"escape_inner": "markupsafe._escape_inner", "macro_body": "CodeGenerator.macro_body",
             "macro_func": "Macro._func", "from_namespace": "jinja2.Template._from_namespace"}[gone]
    if gone == "escape_inner":
        monkeypatch.setattr(fast_jinja, "_escape_inner", None)
    elif gone == "macro_body":
        monkeypatch.delattr(CodeGenerator, "macro_body")
    elif gone == "macro_func":  # a Macro that keeps its function under another name
        monkeypatch.setattr(fast_jinja, "_assigned", lambda cls: tuple(
            name for name in cls.__init__.__code__.co_names if not (cls is jinja2.runtime.Macro and name == "_func")))
    else:
        monkeypatch.delattr(jinja2.Template, "_from_namespace")
    assert named in fast_jinja.unavailable()
    site_theme = _theme(tmp_path)
    assert type(site_theme.environment) is jinja2.Environment
    assert named in site_theme.problems()[0].message


def test_a_markupsafe_that_escapes_otherwise_turns_the_fast_templates_off(monkeypatch):
    monkeypatch.setattr(fast_jinja, "_escape_inner", lambda text: text.replace("<", "&lt;"))
    assert "escape" in fast_jinja.unavailable()


@pytest.mark.parametrize("value,fast", [("0", False), ("false", False), ("Off", False), ("no", False),
                                        ("1", True), ("", True), (None, True)])
def test_the_switch(tmp_path, monkeypatch, value, fast):
    if value is None:
        monkeypatch.delenv(theme.FAST_JINJA, raising=False)
    else:
        monkeypatch.setenv(theme.FAST_JINJA, value)
    site_theme = _theme(tmp_path)
    assert type(site_theme.environment) is (fast_jinja.FastEnvironment if fast else jinja2.Environment)
    assert site_theme.problems() == []  # switched off on purpose: nothing to warn about


def test_compiled_templates_of_the_two_code_generators_never_meet(tmp_path, monkeypatch):
    """Both kept in one .sitegen/templates: each environment loads the code its own
    generator wrote (the fast one escapes with fast_jinja._escape), under its own name."""
    bytecode = tmp_path / "compiled"
    escapes = []
    for value in ("1", "0", "1", "0"):  # the second time each loads what the first kept
        monkeypatch.setenv(theme.FAST_JINJA, value)
        template = _theme(tmp_path, bytecode).environment.get_template("t.html")
        escapes.append(template.root_render_func.__globals__["escape"])
        assert template.render(xs=["<a>"]) == "<b>&lt;a&gt;</b>"
    assert escapes == [fast_jinja._escape, markupsafe.escape] * 2
    assert sorted(path.name.split("_")[3] for path in bytecode.iterdir()) == sorted([fast_jinja.COMPILED_AS, "plain"])



def test_a_build_and_check_say_when_templates_fell_back_to_plain_jinja(tmp_path, monkeypatch):
    """The warning reaches the user: in the build's warnings (kept for a no-change
    rebuild too) and in `sitegen check`; not when the fast templates are in use."""
    from sitegen.config import load_config
    from sitegen.engine.build import build, check
    from sitekit import PAPER, write_files

    def fell_back(problems) -> list[str]:
        return [str(p) for p in problems if "plain Jinja" in p.message]

    site = write_files(tmp_path / "site", {"content/a.yaml": PAPER})
    config, _ = load_config(site)
    assert fell_back(build(config, jobs=1).warnings) == []
    monkeypatch.setattr(jinja2, "__version__", "3.2.0")
    # A build that loads the templates says it (the output is the same bytes, so a build
    # that finds nothing to do does not look at Jinja at all, whose import it avoids).
    (site / "content/a.yaml").write_text(PAPER.replace("Monarch", "Monarch mixer"))
    warned = fell_back(build(config, jobs=1).warnings)
    assert len(warned) == 1 and "Jinja2 3.2.0 is installed" in warned[0], warned
    assert fell_back(build(config, jobs=1).warnings) == warned  # nothing to do, the warning kept
    assert fell_back(check(config)) == warned
