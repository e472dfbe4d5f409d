"""Fixtures: tiny sites written inline (see sitekit.py for the helpers)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sitekit import write_files


@pytest.fixture
def make_site(tmp_path):
    """make_site({'content/a.yaml': '...'}) → a site folder."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes]):
        root = tmp_path / f"site{next(counter)}"
        root.mkdir()
        return write_files(root, files)

    return make


@pytest.fixture
def runner():
    return CliRunner()
