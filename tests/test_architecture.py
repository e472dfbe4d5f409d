"""The package is layered as pyproject.toml's import contracts say: commands and
importers over the engine, over pages and writing, over formats, over content, over the
foundation; no module imports a layer above its own, and no package has import cycles.
This is import-linter's `lint-imports`, run here so that CI runs it with the suite."""

import subprocess
import sys

from sitekit import REPO

LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))"


def test_the_import_contracts_are_kept():
    result = subprocess.run([sys.executable, "-c", LINT_IMPORTS], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout, result.stdout
