"""The Jinja environment of a site: its own templates/ over the theme's, autoescaped.

Each template's closure (itself and everything it extends, includes or imports) is
hashed, so a page's digest changes exactly when a template it uses changes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, find_undeclared
from jinja2.runtime import Context, Macro
from jinja2.utils import missing

from sitegen.config import Config
from sitegen.pages.fragments import CacheExtension
from sitegen.problems import Problem

try:
    from markupsafe import _escape_inner  # the C half of markupsafe.escape (MarkupSafe 3)
except ImportError:  # another MarkupSafe: its own escape stays in use
    _escape_inner = None

_REFERENCE = re.compile(r"""\{%-?\s*(extends|include|import|from)\s+(?:"([^"]+)"|'([^']+)')""")
def _escape(value) -> str:
    """What `{{ value }}` writes with autoescape on: markupsafe.escape's text, as a str.

    markupsafe wraps each escaped value in a Markup object (two Python calls) only for
    the template to join it into the page; a page has hundreds of them. The escaping
    itself is markupsafe's own (test_theme.py compares the two).
    """
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _escape_inner(str(value))


class _CodeGenerator(CodeGenerator):
    """Jinja's code, cheaper where a page spends most of its time."""

    def visit_Output(self, node, frame) -> None:
        """A run of output (`<li><a href="{{ a.url }}">{{ a.name }}</a></li>`) in a page's
        body is one `yield` of the pieces joined, not one `yield` per piece: a page is made
        of hundreds of pieces, and each yield passed up through the page's template, the
        one it extends and its block. Macros already collect their output in a list."""
        if frame.buffer is not None or (frame.require_output_check and self.has_known_extends) \
                or len(node.nodes) < 2:
            return super().visit_Output(node, frame)
        pieces = frame.buffer = self.temporary_identifier()
        self.writeline(f"{pieces} = []")
        try:
            super().visit_Output(node, frame)
        finally:
            frame.buffer = None
        self.writeline(f'yield "".join({pieces})')

    def visit_CallBlock(self, node, frame) -> None:
        """`{% cache %}` (fragments.py) as a lookup with a plain function to make the
        fragment on a miss, not a call block: that made a Macro object for its body, and
        went through two calls of Jinja's, at each use of a card."""
        call = node.call
        if not (isinstance(call.node, nodes.ExtensionAttribute) and call.node.name == "_fragment"
                and call.node.identifier == CacheExtension.identifier) \
                or find_undeclared(node.body, ("caller", "kwargs", "varargs")):
            return super().visit_CallBlock(node, frame)
        where, key, *condition = call.args
        self.macro_body(node, frame)  # `def macro():` returning the body's text
        self.start_write(frame, node)
        self.write("(environment.fragment_cache.text((")
        for part in (where, *key.items):
            self.visit(part, frame)
            self.write(", ")
        self.write("), macro)")
        if condition:  # `{% cache key if reuse %}`: the body in place when not reused
            self.write(" if ")
            self.visit(condition[0], frame)
            self.write(" else macro()")
        self.write(")")
        self.end_write(frame)


class _Template(jinja2.Template):
    """Compiled templates look `escape` up in their module: it is `_escape` in ours."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        if _escape_inner is not None and namespace.get("escape") is markupsafe.escape:
            namespace["escape"] = _escape
        return super()._from_namespace(environment, namespace, globals)


class _Context(Context):
    def call(__self, __obj, *args, **kwargs):
        """A macro called as Jinja's own `call` would call it, without its two lookups
        for what the callable wants passed: a card's macros are called thousands of times.
        A plain macro's arguments are bound here (`_plain_macro_call`)."""
        if type(__obj) is Macro:
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
            if not (__obj.caller or __obj.catch_kwargs or __obj.catch_varargs or __obj._environment.is_async):
                result = _plain_macro_call(__obj, args, kwargs)
                if result is not None:
                    return result if not __self.eval_ctx.autoescape else str.__new__(markupsafe.Markup, result)
            return __obj(__self.eval_ctx, *args, **kwargs)
        return super().call(__obj, *args, **kwargs)


def _plain_macro_call(macro: Macro, args: tuple, kwargs: dict) -> str | None:
    """What Macro.__call__ does for a macro without `caller`, `varargs` or `kwargs`: the
    arguments in order, `missing` for those not given (the macro's code puts its defaults
    in). None for a call Jinja rejects, which then goes to Jinja for its error."""
    names = macro.arguments
    if len(args) > len(names):
        return None
    if kwargs:
        taken = len(args)
        args = (*args, *[kwargs.get(name, missing) for name in names[taken:]])
        if len(kwargs) != sum(1 for name in names[taken:] if name in kwargs):
            return None
    elif len(args) < len(names):
        args = (*args, *[missing] * (len(names) - len(args)))
    return macro._func(*args)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    code_generator_class = _CodeGenerator
    context_class = _Context
    template_class = _Template

    def make_globals(self, d):
        """A template's globals as a dict, not Jinja's ChainMap over the environment's:
        each page's context copies them and each `{% from ... import %}` compares their
        keys with the context's, and on a ChainMap both go key by key in Python (a tenth
        of a paper page's rendering). The environment's globals are set before any
        template loads and never changed after, so a copy sees all of them."""
        return {**self.globals, **(d or {})}

    def getattr(self, obj, attribute):
        """`{{ page.title }}` on a dict as Jinja finds it (an attribute of dicts first,
        then the key), without the AttributeError Jinja's attempt raises and catches on
        the way: 0.9 µs, for about 40 such lookups in every page's base.html."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)


# In the names of compiled templates kept in .sitegen/: Jinja tells its own versions'
# code apart, not that of a code generator of ours. Change it when _CodeGenerator changes.
COMPILED_AS = "sitegen-3"


@lru_cache(maxsize=4096)
def _date(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


@lru_cache(maxsize=4096)
def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


@dataclass(frozen=True)
class Theme:
    """Template folders in lookup order, and static folders copied as is."""

    template_dirs: tuple[Path, ...]
    static_dirs: tuple[Path, ...]
    # Compiled templates kept between processes (keyed by their source): each build
    # process, and each of its render processes, would otherwise compile them again.
    bytecode_dir: Path | None = field(default=None, compare=False)

    @classmethod
    def for_site(cls, config: Config, theme_dir: Path, bytecode_dir: Path | None = None) -> "Theme":
        site_templates = config.root / "templates"
        templates = ((site_templates,) if site_templates.is_dir() else ()) + (theme_dir / "templates",)
        statics = tuple(d for d in (theme_dir / "static", config.root / "static") if d.is_dir())
        return cls(templates, statics, bytecode_dir)

    @cached_property
    def environment(self) -> jinja2.Environment:
        env = _Environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.template_dirs]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            extensions=[CacheExtension],
            auto_reload=False,  # a page asks for three templates: not three stat calls each (see reload_changed)
            bytecode_cache=self._bytecode_cache(),
        )
        env.filters["date"] = _date
        env.filters["longdate"] = _long_date
        return env

    def _bytecode_cache(self) -> jinja2.BytecodeCache | None:
        if self.bytecode_dir is None:
            return None
        try:
            self.bytecode_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return jinja2.FileSystemBytecodeCache(str(self.bytecode_dir), f"__jinja2_{COMPILED_AS}_%s.cache")

    def reload_changed(self) -> None:
        """Forget compiled templates whose file changed, or which a file earlier in the
        lookup order now overrides: a process that builds again (`sitegen serve`) calls
        this once per build, where Jinja's auto_reload would check on every page."""
        env = self.__dict__.get("environment")
        if env is None or env.cache is None:
            return
        for key, template in env.cache.items():
            try:
                current = env.loader.get_source(env, template.name)[1]
            except jinja2.TemplateNotFound:
                current = None
            if current != template.filename or not template.is_up_to_date:
                del env.cache[key]

    def source(self, name: str) -> str:
        return self.environment.loader.get_source(self.environment, name)[0]

    def closure_digest(self, name: str) -> str:
        """A digest of `name` and every template it pulls in, transitively.

        References are found with a pattern rather than Jinja's parser: this runs
        on every build, and a dynamic `{% include var %}` is rare in themes.
        """
        seen: dict[str, str] = {}
        pending = [name]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            source = self.source(current)
            seen[current] = source
            pending.extend(m.group(2) or m.group(3) for m in _REFERENCE.finditer(source))
        digest = hashlib.sha256()
        for key in sorted(seen):
            digest.update(key.encode() + b"\0" + seen[key].encode() + b"\0")
        return digest.hexdigest()

    def check(self) -> list[Problem]:
        """Syntax errors in any template, reported with the template's file and line."""
        problems = []
        for name in self.environment.list_templates():
            if name.startswith(".") or not name.endswith((".html", ".xml", ".txt", ".j2")):
                continue
            try:
                self.environment.parse(self.source(name))
            except jinja2.TemplateSyntaxError as exc:
                problems.append(Problem(self._shown(name), exc.lineno, None, f"template error: {exc.message}"))
        return problems

    def _shown(self, name: str) -> str:
        for directory in self.template_dirs:
            if (directory / name).is_file():
                return str(directory / name)
        return name

    def static_files(self) -> dict[str, Path]:
        """Site path → file; the site's static/ wins over the theme's."""
        files: dict[str, Path] = {}
        for directory in self.static_dirs:
            top = directory.resolve()
            for path in sorted(directory.rglob("*")):
                if not path.is_file() or any(part.startswith(".") for part in path.relative_to(directory).parts):
                    continue
                if not path.resolve().is_relative_to(top):
                    continue  # a symlink out of the static folder
                files[path.relative_to(directory).as_posix()] = path
        return files

    def __getstate__(self) -> dict:
        """Pickled (for a spawned render process) without its Jinja environment, which
        that process makes again."""
        return {name: value for name, value in self.__dict__.items() if name != "environment"}
