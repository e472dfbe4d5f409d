"""Random edits of a generated listing, each round followed by an incremental build that
must give, byte for byte, what a clean build of the same content gives.

Each round makes one to four edits of the kinds a listing's maintainers make (an
abstract or title rewritten, an author added, dropped, respelled or renamed everywhere,
a topic respelled so that it slugs like another, a paper moved to another day, added or
deleted, a file deleted, split or renamed, topics changed, a profile edited, a file only
touched), then rebuilds: as a fresh `sitegen build` process, or with `--serve` in one
warm process as `sitegen serve` does. A clean build of a copy of the content, in its own
process, is the reference. The first round whose outputs differ is reported with the
files that differ and the edits that led there, and its site is kept for a look.

    python -m benchmarks.random_edits --papers 1000 --rounds 100 [--seed 1] [--serve] [--per-page 3]
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import yaml

from benchmarks.generate import TOPICS, _text, make_listing, write_sitegen
from sitegen.problems import ContentError


class Content:
    """A generated site's content: listing days as YAML files of entries, and profiles."""

    def __init__(self, site: Path, rng: random.Random):
        self.site, self.rng = site, rng
        self.folder = site / "content" / "days"
        self.profiles = site / "content" / "authors.yaml"

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.yaml"))

    @staticmethod
    def read(path: Path) -> list[dict]:
        return (yaml.safe_load(path.read_text(encoding="utf-8")) or []) if path.exists() else []

    @staticmethod
    def write(path: Path, entries: list) -> None:
        """A file left without entries goes: sitegen reports an empty list as an error."""
        if not entries:
            path.unlink(missing_ok=True)
            return
        path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")

    def some_file(self) -> Path | None:
        """A random content file; None once edits have emptied (and so removed) them all."""
        files = self.files()
        return self.rng.choice(files) if files else None

    def pick(self) -> tuple[Path, list[dict], dict] | None:
        """A random file with entries, its entries, and one of them."""
        files = self.files()
        for path in self.rng.sample(files, len(files)):
            entries = self.read(path)
            if entries:
                return path, entries, self.rng.choice(entries)
        return None


def _edit_entry(change: Callable[..., str], *, of_file: bool = False) -> Callable[[Content], str]:
    """An edit of one random entry (with `of_file`, of its file's list of entries),
    written back to its file."""
    def edit(content: Content) -> str:
        picked = content.pick()
        if picked is None:
            return "nothing to edit"
        path, entries, entry = picked
        said = change(content, entries, entry) if of_file else change(content, entry)
        content.write(path, entries)
        return f"{said} ({entry['id']} in {path.name})"
    return edit


def _abstract(content: Content, entry: dict) -> str:
    entry["abstract"] = _text(content.rng, 10, 60, math=content.rng.random() < 0.5)
    return "abstract rewritten"


def _title(content: Content, entry: dict) -> str:
    entry["title"] = _text(content.rng, 3, 10, math=False).rstrip(".")
    return "title rewritten"


def _author_added(content: Content, entry: dict) -> str:
    other = content.pick()
    name = content.rng.choice(other[2]["authors"]) if other else "Ada Lovelace"
    entry["authors"] = list(dict.fromkeys([*entry["authors"], name]))
    return f"author {name!r} added"


def _author_dropped(content: Content, entry: dict) -> str:
    if len(entry["authors"]) < 2:
        return "no author dropped (only one)"
    return f"author {entry['authors'].pop(content.rng.randrange(len(entry['authors'])))!r} dropped"


def _author_respelled(content: Content, entry: dict) -> str:
    """A spelling that slugs like another name (case, accents): the two need distinct slugs."""
    k = content.rng.randrange(len(entry["authors"]))
    old = entry["authors"][k]
    new = content.rng.choice([old.upper(), old.lower(), old.replace("a", "á").replace("o", "ö")])
    entry["authors"][k] = new
    return f"author {old!r} respelled {new!r}"


def _topic_respelled(content: Content, entry: dict) -> str:
    if not entry.get("tags"):
        entry["tags"] = [content.rng.choice(TOPICS[:12]).title()]
        return f"topic {entry['tags'][0]!r} given"
    k = content.rng.randrange(len(entry["tags"]))
    old = entry["tags"][k]
    entry["tags"][k] = content.rng.choice([old.title(), old.upper(), old.replace(" ", "-")])
    return f"topic {old!r} respelled {entry['tags'][k]!r}"


def _upvotes(content: Content, entry: dict) -> str:
    entry["upvotes"] = content.rng.randint(0, 500)
    return "upvotes changed"


def _topics(content: Content, entry: dict) -> str:
    entry["tags"] = sorted(content.rng.sample(TOPICS[:12] + ("a new topic",), content.rng.randint(0, 3)))
    return "topics changed"


def _published(content: Content, entry: dict) -> str:
    entry["published"] = content.rng.choice(["2023-07-01", "2024-01-02", entry.get("day", entry["published"])])
    return "publication date changed"


def _renamed_everywhere(content: Content) -> str:
    picked = content.pick()
    if picked is None:
        return "nothing to rename"
    old = content.rng.choice(picked[2]["authors"])
    new = old + content.rng.choice([" Jr.", "a", " II"])
    for path in content.files():
        entries = content.read(path)
        if any(old in e["authors"] for e in entries):
            for e in entries:
                e["authors"] = [new if a == old else a for a in e["authors"]]
            content.write(path, entries)
    return f"author {old!r} renamed {new!r} everywhere"


def _moved(content: Content) -> str:
    picked = content.pick()
    if picked is None:
        return "nothing to move"
    path, entries, entry = picked
    target = content.rng.choice(content.files())
    theirs = content.read(target) if target != path else entries
    day = theirs[0].get("day", theirs[0]["published"]) if theirs else entry.get("day", entry["published"])
    entries.remove(entry)
    entry["day"] = day
    content.write(path, entries)
    theirs = content.read(target)  # re-read: it may be the same file
    content.write(target, [*theirs, entry])
    return f"{entry['id']} moved from {path.name} to {target.name} (day {day})"


def _deleted(content: Content, entries: list[dict], entry: dict) -> str:
    entries.remove(entry)
    return "deleted"


def _added(content: Content, entries: list[dict], entry: dict) -> str:
    new = copy.deepcopy(entry)
    new["id"] = f"9{content.rng.randrange(10 ** 8):08d}"
    new["title"] = "New: " + entry["title"]
    new.pop("links", None)
    entries.append(new)
    return f"{new['id']} added beside it"


def _file_deleted(content: Content) -> str:
    files = content.files()
    if len(files) < 2:
        return "no file deleted (only one left)"
    path = content.rng.choice(files)
    path.unlink()
    return f"{path.name} deleted"


def _file_renamed(content: Content) -> str:
    path = content.some_file()
    if path is None:
        return "no file to rename"
    target = path.with_name(f"r{content.rng.randrange(10 ** 6)}-{path.name}")
    path.rename(target)
    return f"{path.name} renamed {target.name}"


def _file_split(content: Content) -> str:
    path = content.some_file()
    if path is None:
        return "no file to split"
    entries = content.read(path)
    if len(entries) < 2:
        return f"{path.name} not split (one entry)"
    half = len(entries) // 2
    content.write(path, entries[:half])
    content.write(path.with_name(f"s{content.rng.randrange(10 ** 6)}-{path.name}"), entries[half:])
    return f"{path.name} split in two"


def _touched(content: Content) -> str:
    path = content.some_file()
    if path is None:
        return "no file to touch"
    os.utime(path)
    return f"{path.name} touched"


def _profile(content: Content) -> str:
    profiles = yaml.safe_load(content.profiles.read_text(encoding="utf-8")) or []
    if not profiles:
        return "no profile"
    profile = content.rng.choice(profiles)
    profile["affiliation"] = content.rng.choice(["Lab A", "Lab B", "Example University"])
    if content.rng.random() < 0.3:
        profile["aliases"] = [profile["name"] + " X"]
    content.write(content.profiles, profiles)
    return f"profile of {profile['name']!r} edited"


EDITS: dict[str, Callable[[Content], str]] = {
    "abstract": _edit_entry(_abstract), "title": _edit_entry(_title),
    "author added": _edit_entry(_author_added), "author dropped": _edit_entry(_author_dropped),
    "author respelled": _edit_entry(_author_respelled), "topic respelled": _edit_entry(_topic_respelled),
    "upvotes": _edit_entry(_upvotes), "topics": _edit_entry(_topics), "published": _edit_entry(_published),
    "author renamed": _renamed_everywhere, "moved": _moved,
    "deleted": _edit_entry(_deleted, of_file=True), "added": _edit_entry(_added, of_file=True),
    "file deleted": _file_deleted, "file renamed": _file_renamed, "file split": _file_split,
    "touched": _touched, "profile": _profile,
}


def tree_digests(output: Path) -> dict[str, str]:
    digests = {}
    for folder, _, files in os.walk(output):
        for name in files:
            path = os.path.join(folder, name)
            with open(path, "rb") as file:
                digests[os.path.relpath(path, output)] = hashlib.blake2b(file.read(), digest_size=16).hexdigest()
    return digests


def differences(output: Path, expected: Path) -> list[str]:
    """The files whose bytes differ between two output folders, or that only one has."""
    built, clean = tree_digests(output), tree_digests(expected)
    return sorted(name for name in built.keys() | clean.keys() if built.get(name) != clean.get(name))


def _build_process(site: Path, jobs: int) -> None:
    done = subprocess.run([sys.executable, "-m", "sitegen", "build", "--jobs", str(jobs)], cwd=site,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"sitegen build failed in {site}:\n{done.stdout}{done.stderr}")


def _warm_builder(site: Path, jobs: int) -> Callable[[], None]:
    from sitegen.engine.build import build
    from sitegen.engine.state import Warm
    from sitegen.config import load_config

    config, _ = load_config(site)
    warm = Warm()
    return lambda: build(config, jobs=jobs, warm=warm)


def check(site: Path, rounds: int, seed: int, serve: bool = False, jobs: int = 2, say=print) -> int | None:
    """Edit `site` (built once already or not) for `rounds` rounds; the first round
    whose incremental output differs from a clean build's, or None."""
    rng = random.Random(seed)
    content = Content(site, rng)
    rebuild = _warm_builder(site, jobs) if serve else lambda: _build_process(site, jobs)
    rebuild()
    clean = site.parent / f"{site.name}-clean"
    for number in range(rounds):
        said = [EDITS[kind](content) for kind in rng.choices(sorted(EDITS), k=rng.randint(1, 4))]
        rebuild()
        shutil.rmtree(clean, ignore_errors=True)
        shutil.copytree(site / "content", clean / "content")
        shutil.copy(site / "sitegen.yaml", clean / "sitegen.yaml")
        _build_process(clean, jobs)
        differ = differences(site / "output", clean / "output")
        if differ:
            say(f"round {number}: {len(differ)} file(s) differ from a clean build: {', '.join(differ[:20])}")
            say("  after: " + "; ".join(said))
            return number
        say(f"round {number}: same as a clean build after: " + "; ".join(said))
    shutil.rmtree(clean, ignore_errors=True)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--serve", action="store_true", help="rebuild in one warm process, as `sitegen serve`")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--per-page", type=int, help="papers per listing page (sitegen.yaml's per_page): "
                        "few make long pagers, where a paper that leaves shifts many pages")
    parser.add_argument("--keep", type=Path, help="work here rather than in a temporary folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sitegen-edits-"))
    site = write_sitegen(make_listing(args.papers, seed=args.seed), work / "site")
    if args.per_page:
        with open(site / "sitegen.yaml", "a", encoding="utf-8") as settings:
            settings.write(f"per_page: {args.per_page}\n")
    try:
        failed = check(site, args.rounds, args.seed, serve=args.serve, jobs=args.jobs)
    except ContentError as error:  # the warm build refused the edited content
        sys.exit("\n".join(map(str, error.problems)) + f"\nthe site is kept in {site}")
    except RuntimeError as error:  # a build process refused it
        sys.exit(f"{error}\nthe site is kept in {site}")
    if failed is None:
        print(f"{args.rounds} rounds: every incremental build was the same as a clean build")
        if args.keep is None:
            shutil.rmtree(work)
        return
    print(f"the site is kept in {site}, the clean build in {site.parent / (site.name + '-clean')}")
    sys.exit(1)


if __name__ == "__main__":
    main()
