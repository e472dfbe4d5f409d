"""The README's two commands work whatever the system's Python allows (each makes and
uses its own `.venv`, as PEP 668 systems require), and CI runs the test command exactly
as the README writes it."""

import re
import shutil
import subprocess

import pytest

from sitekit import REPO

BUILD_SENTENCE = "Install sitegen into a virtual environment"
TEST_SENTENCE = "Run the whole test suite"


def fenced_block_after(text: str, sentence: str) -> str:
    """The first fenced code block after the paragraph starting with `sentence`."""
    start = text.index("\n" + sentence)
    block = re.compile(r"^```[a-z]*\n(.*?)^```$", re.MULTILINE | re.DOTALL).search(text, start)
    return block.group(1).strip()


def readme_command(sentence: str) -> str:
    return fenced_block_after((REPO / "README.md").read_text(encoding="utf-8"), sentence)


@pytest.mark.parametrize("sentence", [BUILD_SENTENCE, TEST_SENTENCE])
def test_each_readme_command_makes_and_uses_its_own_virtual_environment(sentence):
    steps = [step.strip() for step in readme_command(sentence).split("&&")]
    assert steps[0] == "python3 -m venv .venv"
    assert len(steps) == 3 and all(step.startswith(".venv/bin/") for step in steps[1:]), steps
    assert "pip install" in steps[1] and "--break-system-packages" not in readme_command(sentence)


def test_the_readme_commands_build_and_test():
    assert readme_command(BUILD_SENTENCE).endswith(".venv/bin/sitegen build")
    assert readme_command(TEST_SENTENCE).endswith("install -e '.[test]' && .venv/bin/python -m pytest")


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("awk") is None, reason=".ci/run is a bash script")
def test_ci_runs_exactly_the_readme_test_command():
    script = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert "--print-test-command" in script  # else running it below would run the whole CI
    printed = subprocess.run(["bash", str(REPO / ".ci/run"), "--print-test-command"], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert printed == readme_command(TEST_SENTENCE)
    assert 'test_command="$(readme_test_command)"' in script and script.rstrip().endswith('sh -c "$test_command"')
    assert "pytest" not in "".join(line for line in script.splitlines() if not line.lstrip().startswith("#"))


def test_the_virtual_environment_is_not_committed():
    assert ".venv/" in (REPO / ".gitignore").read_text(encoding="utf-8").split()
