"""The browser tests find Chromium wherever it is installed, not only at Debian's path."""

import importlib.util
import os
from pathlib import Path

import pytest


@pytest.fixture
def find_chromium():
    """browser/conftest.py's lookup, loaded by path (a second module named conftest is ambiguous)."""
    spec = importlib.util.spec_from_file_location("browser_fixtures", Path(__file__).with_name("conftest.py"))
    fixtures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixtures)
    return fixtures.find_chromium


def executable(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.mark.skipif(os.name == "nt", reason="POSIX executables")
def test_chromium_is_looked_up_by_variable_then_by_name_on_the_path(tmp_path, monkeypatch, find_chromium):
    monkeypatch.delenv("SITEGEN_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    chrome = executable(tmp_path / "bin", "google-chrome-stable")
    assert find_chromium() == (str(chrome), "")
    chromium = executable(tmp_path / "bin", "chromium-browser")
    assert find_chromium() == (str(chromium), "")  # earlier in the list
    mine = executable(tmp_path / "elsewhere", "my-chromium")
    monkeypatch.setenv("SITEGEN_CHROMIUM", str(mine))
    assert find_chromium() == (str(mine), "")
    monkeypatch.setenv("SITEGEN_CHROMIUM", str(tmp_path / "missing"))
    found, why = find_chromium()
    assert found is None and why == f"SITEGEN_CHROMIUM={tmp_path / 'missing'} is not an executable"


@pytest.mark.skipif(os.name == "nt", reason="POSIX paths")
def test_without_any_chromium_the_reason_says_how_to_get_one(tmp_path, monkeypatch, find_chromium):
    monkeypatch.delenv("SITEGEN_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    # A machine without Chromium, here too: Debian's path, the one absolute candidate, is one that is not there.
    names = find_chromium.__globals__["CHROMIUM_NAMES"]
    monkeypatch.setitem(find_chromium.__globals__, "CHROMIUM_NAMES",
                        tuple(str(tmp_path / "no-chromium") if name.startswith("/") else name for name in names))
    found, why = find_chromium()
    assert found is None and "SITEGEN_CHROMIUM" in why and "apt-get install chromium" in why
