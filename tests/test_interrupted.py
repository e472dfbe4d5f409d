"""A build killed at any moment never leaves a truncated file in output/, and the next
build brings output/ to exactly what a clean build gives."""

import random
import signal
import subprocess
import sys
import time

import pytest

from sitekit import build_dir, output_tree, write_files

SIGNALS = [signal.SIGKILL, signal.SIGINT]


def _papers(count: int, variant: str) -> str:
    return "".join(f"- id: p{i}\n  title: Paper {i} {variant}\n  authors: [Author {i % 7}, Author {i % 5} B]\n"
                   f"  abstract: Text {variant} {i} with $x_{i}$.\n  published: 2024-03-{1 + i % 28:02d}\n"
                   f"  tags: [topic {i % 4}]\n" for i in range(count))


@pytest.mark.parametrize("seed", range(4))
def test_killed_builds_leave_whole_files_and_recover(tmp_path, seed):
    rng = random.Random(seed)
    site = write_files(tmp_path / "site", {"content/a.yaml": _papers(150, "one"),
                                           "sitegen.yaml": "base_url: https://example.org/\n"})
    build_dir(site)
    previous = output_tree(site / "output")
    (site / "content/a.yaml").write_text(_papers(170, "two"))  # every page changes, some are new
    process = subprocess.Popen([sys.executable, "-m", "sitegen", "build", "-q"], cwd=site,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.3, 2.5))
    process.send_signal(rng.choice(SIGNALS))
    process.wait(timeout=60)

    clean = write_files(tmp_path / "clean", {"content/a.yaml": _papers(170, "two"),
                                             "sitegen.yaml": "base_url: https://example.org/\n"})
    build_dir(clean)
    expected = output_tree(clean / "output")
    after_kill = output_tree(site / "output")
    for name, data in after_kill.items():  # each file is whole: as before, or as after
        assert data in (previous.get(name), expected.get(name)), f"{name} is half-written"
    build_dir(site)
    assert output_tree(site / "output") == expected
