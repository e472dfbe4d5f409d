"""sitegen installed as a user installs it, without the network: the wheel built from
this checkout, in a fresh virtual environment that holds sitegen's runtime requirements
and nothing else (no test extras, no system site-packages).

The wheel is built without build isolation (hatchling comes with the test extras), and
the environment's requirements are not downloaded: the closure of the wheel's declared
runtime requirements (markers evaluated for this interpreter, extras only where a
requirement asks for them) is resolved among the distributions installed where the
tests run, and exactly those distributions' files (their RECORD) are copied into the new
environment. pip then installs the wheel with `--no-index` and without `--no-deps`, so
it checks that every requirement is met by what was copied.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from dataclasses import dataclass
from email.parser import Parser
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Installed:
    """A virtual environment holding the sitegen wheel and its runtime closure."""

    root: Path
    python: Path
    sitegen: Path
    site_packages: Path
    wheel: Path
    closure: tuple[str, ...]  # canonical names of the runtime distributions copied in

    def run(self, *command, cwd: Path, env: dict | None = None, timeout: float = 120, **options):
        """Run a program of the environment (`sitegen`, `python`) as a user's shell would."""
        return subprocess.run([str(c) for c in command], cwd=cwd, env={**clean_environment(), **(env or {})},
                              capture_output=True, text=True, timeout=timeout, **options)


def clean_environment() -> dict[str, str]:
    """The environment without PYTHON* variables: a PYTHONPATH pointing at the checkout
    would let the environment import the checkout instead of the installed wheel."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}


def build_wheel(into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation", "--no-deps", "--no-index",
                           "-q", "-w", str(into), str(REPO)], capture_output=True, text=True)
    assert done.returncode == 0, f"building the wheel failed (hatchling comes with the test extras):\n{done.stderr}"
    return next(into.glob("sitegen-*.whl"))


def wheel_requirements(wheel: Path) -> list[str]:
    """The Requires-Dist lines of the wheel's own metadata: what pip installs with it."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(archive.read(name).decode("utf-8"))
    return message.get_all("Requires-Dist") or []


def runtime_closure(requirements: list[str]) -> dict[str, metadata.Distribution]:
    """Canonical name → installed distribution, for `requirements` (as asked without
    extras) and everything they require in turn."""
    chosen: dict[str, metadata.Distribution] = {}
    extras_seen: dict[str, set[str]] = {}
    todo = [(line, frozenset({""}), "sitegen") for line in requirements]
    while todo:
        line, extras_in_force, required_by = todo.pop()
        requirement = Requirement(line)
        if requirement.marker is not None and not any(requirement.marker.evaluate({"extra": extra})
                                                      for extra in extras_in_force):
            continue
        name = canonicalize_name(requirement.name)
        distribution = chosen.get(name) or _installed(requirement, required_by)
        if not requirement.specifier.contains(distribution.version, prereleases=True):
            raise LookupError(f"{requirement} (required by {required_by}) is not met by the installed "
                              f"{distribution.metadata['Name']} {distribution.version}")
        new_extras = ({""} | {canonicalize_name(e) for e in requirement.extras}) - extras_seen.get(name, set())
        if not new_extras:
            continue
        chosen[name] = distribution
        extras_seen.setdefault(name, set()).update(new_extras)
        todo += [(line, frozenset(new_extras), name) for line in distribution.requires or []]
    return chosen


def _installed(requirement: Requirement, required_by: str) -> metadata.Distribution:
    try:
        return metadata.distribution(requirement.name)
    except metadata.PackageNotFoundError:
        raise LookupError(f"{requirement} (required by {required_by}) is not installed where the tests run; "
                          "install sitegen with its requirements first (pip install -e '.[test]')") from None


def distribution_files(distribution: metadata.Distribution) -> list[tuple[Path, Path]]:
    """(installed file, path relative to its site-packages folder) for each file of the
    distribution inside that folder; console scripts and other files outside it, which
    the running environment's interpreter would run, are left out."""
    base = Path(distribution.locate_file("")).resolve()
    if distribution.files is None:
        return _files_without_record(distribution, base)
    found = []
    for file in distribution.files:
        path = Path(os.path.normpath(base / file))
        if path.is_relative_to(base) and path.is_file():
            found.append((path, path.relative_to(base)))
    return found


def _files_without_record(distribution: metadata.Distribution, base: Path) -> list[tuple[Path, Path]]:
    """A distribution installed without a RECORD (as Linux distributions' packages often
    are): its metadata folder and the top-level modules it names."""
    folder = Path(str(distribution._path))  # noqa: SLF001 (importlib.metadata has no public name for it)
    tops = (distribution.read_text("top_level.txt") or "").split()
    roots = [folder] + [path for top in tops for path in [*base.glob(top), *base.glob(f"{top}.*")]]
    files = [path for root in roots for path in ([root] if root.is_file() else root.rglob("*")) if path.is_file()]
    return [(path, path.relative_to(base)) for path in files]


def copy_distributions(distributions: list[metadata.Distribution], site_packages: Path) -> None:
    for distribution in distributions:
        for source, relative in distribution_files(distribution):
            target = site_packages / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)  # keeps the mtime, so copied bytecode stays valid


def _environment_paths(root: Path) -> tuple[Path, Path, Path]:
    """(python, scripts folder, site-packages) of a virtual environment, as it reports them."""
    scripts = root / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / ("python.exe" if os.name == "nt" else "python")
    purelib = subprocess.run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    return python, scripts, Path(purelib)


def install(where: Path) -> Installed:
    """Build the wheel and install it with its runtime closure into a new environment."""
    wheel = build_wheel(where / "wheel")
    closure = runtime_closure(wheel_requirements(wheel))
    root = where / "venv"
    venv.EnvBuilder(system_site_packages=False, with_pip=False, symlinks=os.name != "nt").create(root)
    python, scripts, site_packages = _environment_paths(root)
    copy_distributions(list(closure.values()), site_packages)
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "-q",
                           "--disable-pip-version-check", str(wheel)],
                          capture_output=True, text=True, env=clean_environment())
    assert done.returncode == 0, f"installing the wheel into {root} failed:\n{done.stdout}\n{done.stderr}"
    sitegen = scripts / ("sitegen.exe" if os.name == "nt" else "sitegen")
    return Installed(root, python, sitegen, site_packages, wheel, tuple(sorted(closure)))


@functools.cache
def _installed_once(where: Path) -> Installed:
    return install(where)


def installed(tmp_path_factory) -> Installed:
    """One installed environment for the whole test run (building it takes seconds)."""
    return _installed_once(tmp_path_factory.getbasetemp() / "installed-sitegen")
