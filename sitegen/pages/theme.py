"""The Jinja environment of a site: its own templates/ over the theme's, autoescaped.

Templates render through fast_jinja's environment, or through plain Jinja's, with the same
options, filters and `{% cache %}` tag, when SITEGEN_FAST_JINJA=0 or when the installed
Jinja is not one fast_jinja was written for; the pages are the same either way.

Each template's closure (itself and everything it extends, includes or imports) is
hashed, so a page's digest changes exactly when a template it uses changes.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import jinja2

from sitegen.config import Config
from sitegen.pages import fast_jinja
from sitegen.pages.fragments import CacheExtension
from sitegen.problems import WARNING, Problem

_REFERENCE = re.compile(r"""\{%-?\s*(extends|include|import|from)\s+(?:"([^"]+)"|'([^']+)')""")

# Set to 0 (or false, no, off), templates render with plain Jinja: the same pages, slower.
FAST_JINJA = "SITEGEN_FAST_JINJA"


def environment_class() -> tuple[type[jinja2.Environment], str | None]:
    """fast_jinja's environment, or plain Jinja's when FAST_JINJA switches it off or it
    cannot be trusted with the installed Jinja and MarkupSafe (and then why, to warn)."""
    if os.environ.get(FAST_JINJA, "").strip().lower() in ("0", "false", "no", "off"):
        return jinja2.Environment, None
    reason = fast_jinja.unavailable()
    return (jinja2.Environment, reason) if reason else (fast_jinja.FastEnvironment, None)


def _compiled_as(environment: type[jinja2.Environment]) -> str:
    """The name under which an environment's compiled templates are kept in .sitegen/:
    the two code generators' code never meets."""
    return fast_jinja.COMPILED_AS if issubclass(environment, fast_jinja.FastEnvironment) else "plain"


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
    def _environment_class(self) -> tuple[type[jinja2.Environment], str | None]:
        return environment_class()

    @cached_property
    def environment(self) -> jinja2.Environment:
        environment, _ = self._environment_class
        env = environment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.template_dirs]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            extensions=[CacheExtension],
            auto_reload=False,  # a page asks for three templates: not three stat calls each (see reload_changed)
            bytecode_cache=self._bytecode_cache(_compiled_as(environment)),
        )
        env.filters["date"] = _date
        env.filters["longdate"] = _long_date
        return env

    def _bytecode_cache(self, compiled_as: str) -> jinja2.BytecodeCache | None:
        if self.bytecode_dir is None:
            return None
        try:
            self.bytecode_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return jinja2.FileSystemBytecodeCache(str(self.bytecode_dir), f"__jinja2_{compiled_as}_%s.cache")

    def problems(self) -> list[Problem]:
        """A warning for a build and `sitegen check` when templates render with plain Jinja
        although the fast path was not switched off: the pages are the same, the build slower."""
        _, reason = self._environment_class
        if reason is None:
            return []
        return [Problem("sitegen", None, None, f"templates render with plain Jinja, slower: {reason}",
                        f"install {fast_jinja.JINJA} and {fast_jinja.MARKUPSAFE}, "
                        f"or set {FAST_JINJA}=0 to choose plain Jinja without this warning", severity=WARNING)]

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
