"""Helpers shared by the tests: tiny sites written inline and built in temp folders."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

from sitegen.engine.build import build
from sitegen.config import load_config

REPO = Path(__file__).resolve().parent.parent


def generated_listing(root: Path, papers: int) -> Path:
    """A site holding the benchmarks' synthetic listing of `papers` papers (benchmarks/generate.py)."""
    spec = importlib.util.spec_from_file_location("benchmarks_generate", REPO / "benchmarks" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # its dataclasses look their module up there
    spec.loader.exec_module(generate)
    return generate.write_sitegen(generate.make_listing(papers), root)


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def build_dir(root: Path, **overrides):
    config, problems = load_config(root, **overrides)
    assert not [p for p in problems if p.is_error], problems
    return build(config, jobs=1)


def output_tree(output: Path) -> dict[str, bytes]:
    return {p.relative_to(output).as_posix(): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


PAPER = """\
- id: "2203.00555"
  title: "Monarch: Expressive Structured Matrices"
  authors: [Tri Dao, Michael Poli, Christopher Ré]
  abstract: Large neural networks excel in many domains.
  published: 2022-03-01
  day: 2024-03-13
  tags: [efficient training]
  upvotes: 40
  links:
    arxiv: https://arxiv.org/abs/2203.00555
- id: "2206.12037"
  title: "How to Train Your HiPPO"
  authors: [Albert Gu, Christopher Ré]
  abstract: Linear time-invariant state space models.
  published: 2022-06-24
  day: 2024-03-13
  tags: [state space models]
  upvotes: 31
- id: "2002.08071"
  title: Dissecting Neural ODEs
  authors: [Stefano Massaroli, Michael Poli]
  abstract: Continuous deep learning architectures.
  published: 2020-02-18
  day: 2024-03-14
  tags: [Neural ODEs, efficient training]
  upvotes: 12
"""
