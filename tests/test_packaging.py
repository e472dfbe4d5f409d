"""The wheel, installed without extras into a fresh virtual environment (installkit.py),
carries the default theme and needs nothing but its declared runtime requirements: the
environment holds exactly their closure, none of the test extras, and imports the
installed copy, not the checkout. Built and filled without the network."""

from __future__ import annotations

import json
import zipfile

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from installkit import REPO, installed, runtime_closure, wheel_requirements
from sitekit import PAPER, write_files

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

# Installed by the test extras only; a runtime import of any of them is the defect this guards against.
TEST_ONLY_MODULES = ("pytest", "feedparser", "hypothesis", "playwright", "lxml")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return installed(tmp_path_factory)


def test_the_wheel_carries_the_default_theme_and_builds_a_site_elsewhere(env, tmp_path):
    with zipfile.ZipFile(env.wheel) as wheel:
        names = set(wheel.namelist())
    assert {"sitegen/themes/default/templates/base.html", "sitegen/themes/default/static/style.css"} <= names
    site = write_files(tmp_path / "site", {"content/a.yaml": PAPER})
    result = env.run(env.sitegen, "build", cwd=site)
    assert result.returncode == 0, result.stderr
    assert (site / "output/style.css").is_file() and (site / "output/papers/2203.00555/index.html").is_file()
    where = env.run(env.python, "-c", "import sitegen; print(sitegen.__file__)", cwd=tmp_path).stdout
    assert where.strip().startswith(str(env.site_packages))  # the installed copy, not the checkout


def test_the_environment_holds_the_runtime_closure_and_nothing_else(env, tmp_path):
    listed = env.run(env.python, "-c", "import json, importlib.metadata as m; "
                     "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))", cwd=tmp_path)
    present = sorted(canonicalize_name(name) for name in json.loads(listed.stdout))
    assert present == sorted([*env.closure, "sitegen"])
    runtime = [Requirement(line) for line in wheel_requirements(env.wheel)]
    declared = {canonicalize_name(r.name) for r in runtime if r.marker is None or r.marker.evaluate({"extra": ""})}
    assert {"bibtexparser", "jinja2", "click"} <= declared <= set(env.closure)
    assert "text-unidecode" in env.closure  # python-slugify's own requirement


def test_no_test_dependency_is_importable_in_the_environment(env, tmp_path):
    test_extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    test_only = {canonicalize_name(Requirement(line).name) for line in test_extras} - set(env.closure)
    assert {"pytest", "feedparser", "hypothesis", "playwright", "lxml", "hatchling"} <= test_only
    found = env.run(env.python, "-c", "import importlib.util, sys; "
                    "print([m for m in sys.argv[1:] if importlib.util.find_spec(m) is not None])",
                    *TEST_ONLY_MODULES, "hatchling", cwd=tmp_path)
    assert found.returncode == 0 and found.stdout.strip() == "[]", found.stdout + found.stderr


def test_the_closure_follows_markers_and_requested_extras_only():
    closure = runtime_closure(["click>=8", "pytest; python_version < '3'", "jinja2; extra == 'docs'"])
    assert "click" in closure and "pytest" not in closure and "jinja2" not in closure
    with pytest.raises(LookupError, match="not met"):
        runtime_closure(["click<1"])
    with pytest.raises(LookupError, match="not met"):
        runtime_closure(["click<1", "click>=1"])  # every requirement of a distribution, not only the first
    with pytest.raises(LookupError, match="not installed"):
        runtime_closure(["no-such-distribution-for-sitegen-tests"])


def test_a_distribution_without_record_is_copied_from_its_top_level_names(tmp_path):
    """As Linux distributions' packages are often installed: metadata, no RECORD."""
    from importlib.metadata import PathDistribution

    from installkit import distribution_files

    write_files(tmp_path / "site-packages", {
        "fake-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: fake\nVersion: 1.0\n",
        "fake-1.0.dist-info/top_level.txt": "fake\n", "fake/__init__.py": "", "fake/sub/mod.py": "",
        "other/__init__.py": ""})
    distribution = PathDistribution(tmp_path / "site-packages/fake-1.0.dist-info")
    assert distribution.files is None
    copied = sorted(relative.as_posix() for _, relative in distribution_files(distribution))
    assert copied == ["fake-1.0.dist-info/METADATA", "fake-1.0.dist-info/top_level.txt", "fake/__init__.py",
                      "fake/sub/mod.py"]
