"""A Jinja environment that renders the same bytes as Jinja's own, faster: the one module
that uses Jinja's and MarkupSafe's internals.

A page of a large listing is made of hundreds of small pieces (a card's title, its
authors, its links), and Jinja's general machinery around each piece costs more than the
piece. What each part here buys, measured on the benchmark's listing:

- `_CodeGenerator.visit_Output`: a run of output is one `yield` of the pieces joined, not
  one per piece passed up through the page's template, its parent and its block (an author
  page was about 380 of them). Rendering the 10,000-paper listing in one process: 11.0
  CPU-s against 12.8.
- `_CodeGenerator.visit_CallBlock`: the `{% cache %}` tag (fragments.py) is a lookup with a
  plain function to make the fragment on a miss, not a call block that made a Macro object
  at each use. With `_Context.call`: a card found in the cache in 9.9 µs against 12.6, and
  the 10,000-paper listing in 10.5 CPU-s against 12.1.
- `_Context.call` and `_plain_macro_call`: a macro without `caller`, `varargs` or `kwargs`
  (every macro of the default theme) gets its arguments bound here, not by Macro.__call__
  through Jinja's two lookups for what a callable wants passed: a cached card 11.8 µs →
  7.8 µs.
- `_Template` and `_escape`: `{{ value }}` escapes with MarkupSafe's own C function without
  wrapping each value in a Markup object for the template to join.
- `FastEnvironment.make_globals`: a template's globals in a dict, not a ChainMap read key by
  key in Python (a tenth of a paper page's rendering).
- `FastEnvironment.getattr`: `{{ page.title }}` on a dict without the AttributeError Jinja
  raises and catches on the way (0.9 µs against 0.13, about 40 in every page).

Written for Jinja2 3.1 and MarkupSafe 3.0 (`JINJA`, `MARKUPSAFE`, pinned in
pyproject.toml) and tested with Jinja2 3.1.0 to 3.1.6 and MarkupSafe 3.0.0 to 3.0.3, where
the parts of Jinja it relies on (its code generator's writing methods and frames, Macro's
attributes, Template._from_namespace, Context.call's keywords) are the same. Outside that
range, or when a private name it uses is gone (`unavailable`), theme.py uses plain
`jinja2.Environment` with the same options, as it does when SITEGEN_FAST_JINJA=0: the same
pages, byte for byte (tests/pages/test_fast_jinja.py builds sites both ways).
"""

from __future__ import annotations

import re

import jinja2
import markupsafe
from jinja2 import compiler, nodes, runtime, utils
from jinja2.compiler import CodeGenerator
from jinja2.runtime import Context, Macro

from sitegen.pages.fragments import CacheExtension

# The releases this module was written for, as pyproject.toml pins them.
JINJA = "jinja2>=3.1,<3.2"
MARKUPSAFE = "markupsafe>=3.0,<3.1"

# In the names of compiled templates kept in .sitegen/: Jinja tells its own versions'
# code apart, not that of a code generator of ours. Change it when _CodeGenerator changes.
COMPILED_AS = "sitegen-3"

# Private names, looked up rather than imported so that a release without one of them
# still imports this module, and `unavailable` says which is gone.
_escape_inner = getattr(markupsafe, "_escape_inner", None)  # the C half of markupsafe.escape
_find_undeclared = getattr(compiler, "find_undeclared", None)
_missing = getattr(utils, "missing", None)


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
                or _find_undeclared(node.body, ("caller", "kwargs", "varargs")):
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
        if namespace.get("escape") is markupsafe.escape:
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
        args = (*args, *[kwargs.get(name, _missing) for name in names[taken:]])
        if len(kwargs) != sum(1 for name in names[taken:] if name in kwargs):
            return None
    elif len(args) < len(names):
        args = (*args, *[_missing] * (len(names) - len(args)))
    return macro._func(*args)


_DICT_ATTRIBUTES = frozenset(dir(dict))


class FastEnvironment(jinja2.Environment):
    """jinja2.Environment with the code generator, context and templates above."""

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


def unavailable() -> str | None:
    """Why FastEnvironment cannot be trusted with the installed Jinja and MarkupSafe, or
    None when it can: a Jinja release outside `JINJA`, or a private name this module
    uses that is gone. MarkupSafe is judged by what this module uses of it, as MarkupSafe
    advises: its version is only in the installed package's metadata, and importing
    importlib.metadata to read it takes 20 ms in each process (the test suite checks
    the installed MarkupSafe against `MARKUPSAFE`)."""
    version = getattr(jinja2, "__version__", None)
    if not _within(version, JINJA):
        return f"sitegen's fast templates were written for {JINJA}, and Jinja2 {version or '(unknown version)'} is installed"
    gone = [name for name, present in _private_names() if not present]
    if gone:
        return f"sitegen's fast templates use names the installed Jinja2 {version} and MarkupSafe lack: {', '.join(gone)}"
    if _escape_inner(_ESCAPED) != str(markupsafe.escape(_ESCAPED)):
        return "sitegen's fast templates escape with markupsafe._escape_inner, which the installed MarkupSafe " \
               "made to escape otherwise than markupsafe.escape"
    return None


_ESCAPED = "<a href=\"x\" title='y'>&</a>"


def _private_names() -> list[tuple[str, bool]]:
    """Each name this module uses that Jinja or MarkupSafe do not document, and whether it
    is there. Attributes set on instances are found among the names their __init__ assigns."""
    return [
        ("markupsafe._escape_inner", _escape_inner is not None),
        ("jinja2.compiler.find_undeclared", _find_undeclared is not None),
        ("jinja2.utils.missing", _missing is not None),
        ("jinja2.nodes.ExtensionAttribute", hasattr(nodes, "ExtensionAttribute")),
        ("jinja2.Template._from_namespace", hasattr(jinja2.Template, "_from_namespace")),
        *((f"CodeGenerator.{name}", hasattr(CodeGenerator, name))
          for name in ("visit_Output", "visit_CallBlock", "macro_body", "start_write", "end_write",
                       "temporary_identifier", "writeline", "write", "visit")),
        ("CodeGenerator.has_known_extends", "has_known_extends" in _assigned(CodeGenerator)),
        *((f"Frame.{name}", name in _assigned(getattr(compiler, "Frame", None)))
          for name in ("buffer", "require_output_check")),
        *((f"Macro.{name}", name in _assigned(Macro))
          for name in ("_func", "_environment", "arguments", "caller", "catch_kwargs", "catch_varargs")),
        ("Context.call's _loop_vars and _block_vars",
         {"_loop_vars", "_block_vars"} <= set(runtime.Context.call.__code__.co_consts)),
    ]


def _assigned(cls: type | None) -> tuple[str, ...]:
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    return code.co_names if code is not None else ()


def _within(version: str | None, requirement: str) -> bool:
    """Whether a version's release numbers (3.1.6 of '3.1.6rc1') are within a requirement
    of the form 'name>=low,<high'."""
    low, high = (_release(bound) for bound in re.fullmatch(r"[\w.-]+>=([\d.]+),<([\d.]+)", requirement).groups())
    release = _release(version or "")
    return release is not None and low <= release < high


def _release(version: str) -> tuple[int, ...] | None:
    numbers = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(part) for part in numbers.group().split(".")) if numbers else None
