"""Compare builds of two versions of sitegen, or of one version two ways, by turns.

    python -m benchmarks.compare --papers 10000 --rounds 4 \\
        --variant old=../sitegen-old --variant new=. \\
        --variant plain-jinja=.:SITEGEN_FAST_JINJA=0 --variant spawn=.:SITEGEN_START_METHOD=spawn

A variant is NAME=CHECKOUT[:VARIABLE=VALUE,...]: the checkout whose `sitegen` runs
(put first on PYTHONPATH) and the environment it runs with. Each round builds the same
listing with every variant in turn, as a fresh `python -m sitegen build` process: in
full into a new folder, then again after one abstract is edited. Variants take turns
so that each meets the machine in each of its moods (see docs/performance.md, "The
machine's noise"); the medians, and the ratio of each variant's to the first's, are
printed.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate import make_listing, write_sitegen
from benchmarks.run import _discard, _edit_abstract, _settle, sitegen_build


@dataclass(frozen=True)
class Variant:
    name: str
    checkout: Path
    environment: dict[str, str]

    @classmethod
    def parse(cls, text: str) -> Variant:
        name, _, rest = text.partition("=")
        checkout, _, assignments = rest.partition(":")
        if not name or not checkout:
            raise argparse.ArgumentTypeError(f"expected NAME=CHECKOUT[:VARIABLE=VALUE,...], got {text!r}")
        environment = dict(pair.split("=", 1) for pair in assignments.split(",") if pair)
        path = Path(checkout).resolve()
        if not (path / "sitegen" / "__init__.py").is_file():
            raise argparse.ArgumentTypeError(f"{checkout}: no sitegen package there")
        return cls(name, path, environment)

    def env(self) -> dict[str, str]:
        return {**os.environ, "PYTHONPATH": str(self.checkout), **self.environment}


def one_round(listing, variants: list[Variant], jobs: int, work: Path, number: int) -> dict[str, dict]:
    out = {}
    for variant in variants:
        site = work / f"{variant.name}-{number}"
        write_sitegen(listing, site)
        _settle()
        full = sitegen_build(site, jobs, tree=False, env=variant.env())
        _edit_abstract(site)
        edit = sitegen_build(site, jobs, tree=False, env=variant.env())
        out[variant.name] = {"full": full, "edit abstract": edit}
        _discard(site, work / "trash")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=0, help="sitegen --jobs (0: one per core)")
    parser.add_argument("--variant", type=Variant.parse, action="append", required=True, dest="variants")
    parser.add_argument("--json", type=Path, help="write every build's figures here too")
    args = parser.parse_args()
    for variant in args.variants:  # as pip install does; otherwise each process compiles again
        compileall.compile_dir(variant.checkout / "sitegen", quiet=1)
    listing = make_listing(args.papers)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="sitegen-compare-") as tmp:  # its removal takes a while: report first
        for number in range(args.rounds):
            rounds.append(one_round(listing, args.variants, args.jobs, Path(tmp), number))
            print(f"round {number + 1}: " + ", ".join(
                f"{name} {row['full']['seconds']:.2f} s" for name, row in rounds[-1].items()), flush=True)
        report(rounds, args)


def report(rounds: list[dict], args: argparse.Namespace) -> None:
    first = args.variants[0].name
    print(f"\n{args.papers} papers, {args.rounds} rounds; medians (CPU-s user + kernel), ratio to {first}:")
    for build in ("full", "edit abstract"):
        base = statistics.median(r[first][build]["seconds"] for r in rounds)
        for variant in args.variants:
            rows = [r[variant.name][build] for r in rounds]
            seconds = statistics.median(row["seconds"] for row in rows)
            cpu = statistics.median(row["user_s"] + row["sys_s"] for row in rows)
            each = ", ".join(f"{row['seconds']:.2f}" for row in rows)
            print(f"  {build:14} {variant.name:14} {seconds:7.2f} s  ({cpu:6.2f} CPU-s)  "
                  f"{seconds / base:5.3f}  [{each}]", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=1))


if __name__ == "__main__":
    main()
