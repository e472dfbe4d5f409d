"""Every third-party module sitegen imports is a declared runtime dependency.

An editable install with the test extras hides a module that is declared only for the
tests (as bibtexparser once was: `sitegen import bibtex` then crashed on a real install),
and a module that only comes along with another dependency (markupsafe with jinja2,
tornado with livereload) can vanish when that dependency changes. So each top-level
module imported anywhere under sitegen/, lazy imports inside functions included, must be
provided by a distribution named in `[project] dependencies`.
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


def imported_modules(package: Path) -> dict[str, list[str]]:
    """Top-level module name → 'file:line' of each absolute import of it under `package`."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], []).append(f"{path.relative_to(package.parent).as_posix()}:{node.lineno}")
    return found


def third_party(modules: dict[str, list[str]], own: str) -> dict[str, list[str]]:
    return {name: where for name, where in modules.items()
            if name != own and name not in sys.stdlib_module_names}


def declared_runtime_distributions(pyproject: Path) -> set[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return {canonicalize_name(Requirement(line).name) for line in project.get("dependencies", [])}


def undeclared(modules: dict[str, list[str]], declared: set[str]) -> list[str]:
    """One line per module that no declared distribution provides."""
    providers = packages_distributions()
    missing = []
    for name, where in sorted(modules.items()):
        distributions = {canonicalize_name(d) for d in providers.get(name, [])}
        if not distributions & declared:
            provided = ", ".join(sorted(distributions)) or "no installed distribution"
            missing.append(f"{name} (imported at {', '.join(where)}; provided by {provided})")
    return missing


def test_every_module_sitegen_imports_is_a_declared_runtime_dependency():
    modules = third_party(imported_modules(REPO / "sitegen"), own="sitegen")
    missing = undeclared(modules, declared_runtime_distributions(REPO / "pyproject.toml"))
    assert not missing, "imported by sitegen but not in [project] dependencies:\n" + "\n".join(missing)


def test_the_scan_sees_lazy_imports_and_leaves_out_the_standard_library(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("import os, json\nfrom . import sibling\nfrom pkg.sub import x\n"
                                    "def later():\n    import yaml.constructor\n    from click import echo\n")
    modules = third_party(imported_modules(package), own="pkg")
    assert modules == {"yaml": ["pkg/mod.py:5"], "click": ["pkg/mod.py:6"]}
    assert undeclared(modules, {"pyyaml", "click"}) == []
    assert undeclared(modules, {"click"}) == ["yaml (imported at pkg/mod.py:5; provided by pyyaml)"]
