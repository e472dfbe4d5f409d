"""Build a synthetic listing and measure sitegen (and, with --peers, Pelican and Hugo).

    python -m benchmarks.run --papers 1000 --runs 3 --peers

Each build runs as a fresh process, as a user would run it; times are medians. The
tools take turns, a run of each at a time, and each timed full build starts after
the file system has written back what the previous runs left.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import nullcontext, suppress
from pathlib import Path

from benchmarks.generate import make_listing, write_sitegen
from benchmarks.memory import PeakSampler
from benchmarks.peers import write_hugo, write_pelican
from sitegen.engine.cachedir import CacheDir

# What `sitegen serve` does after a save: one process keeps its engine warm between
# builds. Builds once, then edits one abstract at a time and times each rebuild, from
# the save to the rebuilt output. Saves are two seconds apart, as a person's are: between
# builds the server checks output/ against the manifest (output.Manifest.check_in_background)
# and collects the last build's garbage (Warm.idle).
_WARM = """
import json, sys, time
from pathlib import Path
from sitegen.config import load_config
from sitegen.engine.build import build
from sitegen.engine.state import Warm
config, _ = load_config(Path(sys.argv[1]))
warm = Warm()
build(config, warm=warm)
started = time.perf_counter()
warm.idle()
warm.wait_for_warm_up()  # a server that has been up this long: its cards are made
warm_up = time.perf_counter() - started
days = sorted((config.content_dir / "days").glob("*.yaml"))
rows = []
for n in range(int(sys.argv[2])):
    time.sleep(2)
    day = days[(len(days) // 3 + 7 * n) % len(days)]
    day.write_text(day.read_text().replace("abstract: ", f"abstract: Warm edit {n}. ", 1))
    started = time.perf_counter()
    report = build(config, warm=warm)
    rows.append({"seconds": time.perf_counter() - started, "rendered": report.rendered, "written": report.written})
    warm.idle()  # as sitegen serve does after each rebuild
print(json.dumps({"warm_up": warm_up, "rows": rows}))
"""


def sitegen_warm_edits(site: Path, edits: int) -> dict:
    """Median rebuild after one edit inside a warm process (as in `sitegen serve`)."""
    _, out = _timed([sys.executable, "-c", _WARM, str(site), str(edits)], site)
    result = json.loads(out.strip().splitlines()[-1])
    rows = result["rows"]
    return {**{key: statistics.median(row[key] for row in rows) for key in rows[0]}, "warm_up": result["warm_up"]}


def _timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} failed:\n{result.stderr[-3000:]}")
    return seconds, result.stdout


_BUILT = re.compile(r"Built .*: (\d+) files: (\d+) rendered, (\d+) written, (\d+) removed in ([\d.]+) s")


def sitegen_build(site: Path, jobs: int, tree: bool = True, env: dict[str, str] | None = None) -> dict:
    """`sitegen build` as a user runs it: its wall time, what it reports, the CPU time
    of its process tree in user space and in the kernel and the peak RSS of its largest
    process (both from wait4: the build waits for every process it starts), and, if
    `tree`, the peak of its process tree's summed PSS (benchmarks.memory), which counts
    every render process's own memory.
    Reading PSS walks each process's page tables (28 ms for 2 GB): five times a second
    it took 6 of the 96 s of a 100,000-paper build, so a timed full build goes without
    it and the tree's peak comes from a build of its own (`sitegen_round`)."""
    command = [sys.executable, "-m", "sitegen", "build", "--site", str(site)] + (["--jobs", str(jobs)] if jobs else [])
    with tempfile.TemporaryFile("w+") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=site, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
        with PeakSampler(process.pid) if tree else nullcontext() as sampler:
            _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    built = _BUILT.search(text)
    if process.returncode != 0 or built is None:
        raise SystemExit(f"{' '.join(command)} failed:\n{text[-3000:]}")
    files, rendered, written, _, internal = built.groups()
    return {"seconds": seconds, "files": int(files), "rendered": int(rendered), "written": int(written),
            "internal_seconds": float(internal), "user_s": usage.ru_utime, "sys_s": usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024,
            "tree_mb": sampler.peak_mb if tree else float("nan")}


def _discard(path: Path, trash: Path) -> None:
    """Move a tree out of the way rather than delete it before a timed build: ext4
    without a journal (as on this project's machines) skips an inode freed in the last
    minute or more when it makes a file, checking each one it passes, so a build right
    after deleting 37,000 files spent 25-35 s in the kernel instead of 6, and which tool
    paid depended on who deleted last. The trash goes when the run is over."""
    if path.exists():
        trash.mkdir(exist_ok=True)
        path.rename(trash / f"{path.parent.name}-{path.name}-{time.monotonic_ns()}")


def _edit_abstract(site: Path) -> None:
    day = sorted((site / "content" / "days").glob("*.yaml"))[len(list((site / "content" / "days").glob("*"))) // 2]
    text = day.read_text()
    day.write_text(text.replace("abstract: ", "abstract: Edited. ", 1))


def _edit_author(site: Path) -> None:
    day = sorted((site / "content" / "days").glob("*.yaml"))[-1]
    text = day.read_text()
    match = re.search(r"authors:\n  - (.+)\n", text)
    day.write_text(text.replace(f"  - {match.group(1)}\n", f"  - {match.group(1)} Jr\n", 1))


def _edit_template(site: Path) -> None:
    from sitegen.config import BUILTIN_THEMES
    source = next(base / "default" / "templates" / "paper.html" for base in BUILTIN_THEMES
                  if (base / "default" / "templates" / "paper.html").is_file())
    target = site / "templates" / "paper.html"
    target.parent.mkdir(exist_ok=True)
    target.write_text(source.read_text().replace("<h2 id=\"abstract-heading\">Abstract</h2>",
                                                 "<h2 id=\"abstract-heading\">Summary</h2>"))


def _settle() -> None:
    """Before a timed full build: write back what earlier runs left (deleting the last
    run's output leaves the file system work to do), so that each tool's build pays
    for its own files only. Run as root, also empty the file cache: ext4 without a
    journal (as on this project's machines) passes over every inode freed in the last
    minutes whose table block is still cached when it makes a file, checking each, so a
    build started within about six minutes of deleting a large tree (anyone's: an old
    benchmark's, a test run's) spent 3-5 s more in the kernel at 10,000 papers. Each
    tool then starts with its own program files to read again, as after a reboot."""
    os.sync()
    if os.geteuid() == 0:
        with suppress(OSError):
            Path("/proc/sys/vm/drop_caches").write_text("1\n")
    time.sleep(1)


def sitegen_round(listing, run: int, jobs: int, work: Path, warm_edits: int = 0) -> dict:
    """One run: a full build, a no-change build, three kinds of edit, and (if
    `warm_edits`) edits rebuilt in one warm process as `sitegen serve` does. The first
    run builds the listing in full a second time, untimed, to measure its process tree's
    memory."""
    site = work / f"sitegen-{run}"
    write_sitegen(listing, site)
    _settle()
    full = sitegen_build(site, jobs, tree=False)
    if run == 0:
        _discard(site / "output", work / "trash")
        _discard(CacheDir(site).path, work / "trash")
        _settle()
        full["tree_mb"] = sitegen_build(site, jobs)["tree_mb"]
    row = {"full": full, "no-change": sitegen_build(site, jobs)}
    for name, edit in (("edit abstract", _edit_abstract), ("edit author name", _edit_author),
                       ("edit template", _edit_template)):
        edit(site)
        row[name] = sitegen_build(site, jobs)
    if warm_edits:
        row["serve: edit abstract"] = sitegen_warm_edits(site, warm_edits)
    _discard(site, work / "trash")
    return row


def _sitegen_medians(rounds: list[dict]) -> dict:
    medians = {name: _median([r[name] for r in rounds]) for name in rounds[0] if name != "serve: edit abstract"}
    warm = next(r["serve: edit abstract"] for r in rounds if "serve: edit abstract" in r)
    medians["serve: edit abstract"] = {**warm, "files": medians["full"]["files"], "user_s": float("nan"),
                                       "sys_s": float("nan"), "peak_mb": float("nan"), "tree_mb": float("nan")}
    return medians


def measure_sitegen(listing, runs: int, jobs: int, work: Path, warm_edits: int = 5) -> dict:
    return _sitegen_medians([sitegen_round(listing, run, jobs, work, warm_edits if run == 0 else 0)
                             for run in range(runs)])


def _median(rows: list[dict]) -> dict:
    """Each key's median over the rows that measured it."""
    return {key: statistics.median([row[key] for row in rows if row[key] == row[key]] or [float("nan")])
            for key in rows[0]}


def pelican_round(site: Path) -> dict:
    _discard(site / "output", site.parent / "trash")
    _settle()
    full = _timed(["pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"], site)[0]
    first = sorted((site / "content").glob("*.md"))[0]
    first.write_text(first.read_text().replace("\n\n", "\n\nEdited. ", 1))
    edit = _timed(["pelican", "content", "-o", "output", "-s", "pelicanconf.py", "-q"], site)[0]
    return {"full": full, "edit abstract": edit, "files": _files(site / "output")}


def hugo_round(site: Path) -> dict:
    _discard(site / "public", site.parent / "trash")
    _settle()
    full = _timed(["hugo", "--quiet", "--destination", "public"], site)[0]
    first = sorted((site / "content" / "papers").glob("*.md"))[0]
    first.write_text(first.read_text().replace("\n---\n\n", "\n---\n\nEdited. ", 1))
    edit = _timed(["hugo", "--quiet", "--destination", "public"], site)[0]
    return {"full": full, "edit abstract": edit, "files": _files(site / "public")}


def _files(folder: Path) -> int:
    return sum(1 for path in folder.rglob("*") if path.is_file())


def measure(listing, runs: int, jobs: int, work: Path, peers: bool) -> dict:
    """Each run builds with sitegen, then (with `peers`) with Pelican and Hugo, so that
    every tool meets the machine in each of its moods, not one tool an hour after the other."""
    sites = {"pelican": write_pelican(listing, work / "pelican"), "hugo": write_hugo(listing, work / "hugo")} \
        if peers else {}
    rounds: dict[str, list[dict]] = {"sitegen": [], "pelican": [], "hugo": []}
    for run in range(runs):
        rounds["sitegen"].append(sitegen_round(listing, run, jobs, work, 5 if run == 0 else 0))
        for name, peer_round in (("pelican", pelican_round), ("hugo", hugo_round)):
            if name in sites:
                rounds[name].append(peer_round(sites[name]))
    results = {"sitegen": _sitegen_medians(rounds["sitegen"]), "runs": rounds}
    for name in sites:
        results[name] = _median(rounds[name])
    return results


def _versions() -> dict:
    versions = {"python": platform.python_version(), "cores": os.cpu_count(), "machine": platform.machine()}
    for name, command in (("pelican", ["pelican", "--version"]), ("hugo", ["hugo", "version"])):
        try:
            out = subprocess.run(command, capture_output=True, text=True).stdout
            versions[name] = re.search(r"v?(\d+\.\d+\.\d+)", out).group(1)
        except (OSError, AttributeError):
            versions[name] = None
    from sitegen import __version__
    versions["sitegen"] = __version__
    return versions


def _compiled_as_installed() -> None:
    """sitegen's modules compiled to bytecode, as `pip install` leaves an installed
    package (Pelican's among them). An editable install run with PYTHONDONTWRITEBYTECODE=1
    (as on this project's machines) would compile every module again in every build
    process, 0.1-0.2 s of each, which no installed copy does."""
    import compileall
    import sitegen
    compileall.compile_dir(Path(sitegen.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="sitegen --jobs (0: one per core)")
    parser.add_argument("--peers", action="store_true", help="also build with Pelican and Hugo")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()

    _compiled_as_installed()
    listing = make_listing(args.papers)
    with tempfile.TemporaryDirectory(prefix="sitegen-bench-") as tmp:
        results = {"papers": args.papers, "versions": _versions(),
                   **measure(listing, args.runs, args.jobs, Path(tmp), args.peers)}
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def print_table(results: dict) -> None:
    s = results["sitegen"]
    print(f"\n{results['papers']} papers · {results['versions']}")
    print(f"{'build':<22}{'seconds':>9}{'user s':>8}{'kernel s':>9}{'files':>8}{'rendered':>10}{'written':>9}"
          f"{'peak MB':>9}{'tree MB':>9}{'pages/s':>9}")
    for name, row in s.items():
        rate = row["files"] / row["seconds"] if name == "full" else float("nan")
        print(f"{name:<22}{row['seconds']:>9.2f}{row['user_s']:>8.2f}{row['sys_s']:>9.2f}{row['files']:>8.0f}"
              f"{row['rendered']:>10.0f}{row['written']:>9.0f}{row['peak_mb']:>9.0f}{row['tree_mb']:>9.0f}{rate:>9.0f}")
    for peer in ("pelican", "hugo"):
        if peer in results:
            p = results[peer]
            print(f"{peer:<8} full {p['full']:.2f} s ({p['files']} files, {p['full'] / s['full']['seconds']:.1f}× "
                  f"sitegen); after one edit {p['edit abstract']:.2f} s "
                  f"({p['edit abstract'] / s['edit abstract']['seconds']:.1f}× sitegen)")
    serve = s.get("serve: edit abstract", {})
    if "warm_up" in serve:
        print(f"serve: warm-up after its first build took {serve['warm_up']:.2f} s (edits timed after it)")
    runs = results.get("runs", {})
    for tool, rounds in runs.items():
        if rounds:
            times = [r["full"]["seconds"] if tool == "sitegen" else r["full"] for r in rounds]
            print(f"full builds, run by run: {tool:<8}" + " ".join(f"{t:7.2f}" for t in times))


if __name__ == "__main__":
    main()
