"""Every command of the CLI, run once from the `sitegen` of the wheel installed without
extras in a fresh virtual environment (installkit.py), as a new user runs them:
init, new, each importer, update, build, check, check --links, serve, deploy, and --help
of each.

A module the product imports at run time but that only the test extras install fails
here, whatever the editable install of the checkout makes importable.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click
import pytest

from installkit import clean_environment, installed
from sitegen import __version__
from sitegen.commands.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "import"
GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "LC_ALL": "C"}


def command_paths(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group of the CLI, as the words that name it: (), ('build',), ('import', 'arxiv'), ..."""
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += command_paths(command, prefix + (name,))
        else:
            paths.append(prefix + (name,))
    return paths


def leaf_commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The commands that do something (not the groups): ('build',), ('import', 'arxiv'), ..."""
    leaves = set()
    for name, command in group.commands.items():
        leaves |= leaf_commands(command, prefix + (name,)) if isinstance(command, click.Group) else {prefix + (name,)}
    return leaves


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return installed(tmp_path_factory)


class Session:
    """Runs the installed `sitegen`, asserting each run exits 0, and records which commands ran."""

    def __init__(self, env, env_vars: dict[str, str]):
        self.env, self.env_vars, self.ran = env, env_vars, []

    def __call__(self, *args: str, cwd: Path) -> subprocess.CompletedProcess:
        result = self.env.run(self.env.sitegen, *args, cwd=cwd, env=self.env_vars)
        assert result.returncode == 0, (f"sitegen {' '.join(args)} exited {result.returncode}\n"
                                        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        self.ran.append(args[:2] if args[:2] in leaf_commands() else args[:1])
        return result

    def serve(self, site: Path, path: str) -> str:
        page = serve_once(self.env, site, path)
        self.ran.append(("serve",))
        return page


def test_every_command_runs_from_the_installed_wheel(env, tmp_path):
    with ArxivReplay() as api, DailyPapersReplay() as daily:
        sitegen = Session(env, {**GIT_ENV, "SITEGEN_ARXIV_API": api.url, "SITEGEN_ARXIV_DELAY": "0",
                                "SITEGEN_HF_API": daily.url})

        sitegen("init", "lab", "--title", "Lab papers", cwd=tmp_path)
        site = tmp_path / "lab"
        assert "title: \"Lab papers\"" in (site / "sitegen.yaml").read_text()
        assert (site / "content/papers/monarch.md").is_file() and (site / ".github/workflows/pages.yml").is_file()

        said = sitegen("new", "--title", "A paper written by hand", "--author", "Ada Lovelace", "--id", "hand-1",
                       "--day", "2024-03-14", cwd=site)
        assert "Wrote" in said.stdout and "Ada Lovelace" in (site / "content/hand-1.md").read_text()

        sitegen("import", "arxiv", "math/0601001", "--day", "2024-03-14", cwd=site)
        assert "Jürgen Müller" in (site / "content/arxiv/math-0601001.md").read_text()
        assert api.requests == 1

        sitegen("import", "bibtex", str(readable_bibtex(tmp_path)), "--day", "2024-03-14", cwd=site)
        assert "title: Über einen Mittelwerthsatz" in (site / "content/bibtex/holder1889.md").read_text()

        sitegen("import", "json", str(readable_daily_papers(tmp_path)), cwd=site)
        assert "- Igor Mezić" in (site / "content/daily/2403.02524.md").read_text()

        hf = sitegen("import", "hf", "--week", "2024-W11", cwd=site)
        assert "2 written" in hf.stdout and "note: request 1 to the Daily Papers API" in hf.stderr
        assert "code: https://github.com/apple/ml-mm1" in (site / "content/daily/2403.09611.md").read_text()
        assert daily.asked == ["week=2024-W11&limit=100&p=0"]

        with open(site / "sitegen.yaml", "a", encoding="utf-8") as settings:
            settings.write('\nsources:\n  - arxiv: "cat:cs.LG"\n    since: 2020-01-01\n  - hf: daily\n')
        updated = sitegen("update", cwd=site)
        assert updated.stdout.splitlines() == ["arXiv 'cat:cs.LG': 0 written, 0 updated, 3 skipped",
                                               "Daily Papers (daily): 1 written, 0 updated, 2 skipped"]
        assert (site / "content/daily/2403.08763.md").is_file()
        again = sitegen("update", "--quiet", cwd=site)
        assert again.stderr == "" and "Daily Papers (daily): 0 written, 0 updated, 3 skipped" in again.stdout

        built = sitegen("build", cwd=site)
        assert "Built" in built.stdout
        for paper in ("2203.00555", "hand-1", "holder1889", "2403.02524", "2403.09611", "2403.08763"):
            assert "<html" in (site / "output/papers" / paper / "index.html").read_text(), paper
        assert (site / "output/style.css").is_file() and (site / "output/feed.xml").is_file()

        for check in (("check",), ("check", "--links")):
            verdict = sitegen(*check, cwd=site).stderr.splitlines()[-1]
            assert verdict.startswith(("No problems found.", "No errors (")), verdict

        page = sitegen.serve(site, "papers/hand-1/")
        assert "A paper written by hand" in page and "Ada Lovelace" in page

        bare = git_repository(site, tmp_path / "remote.git")
        deployed = sitegen("deploy", "--base-url", "https://user.github.io/repo/", cwd=site)
        assert "Published" in deployed.stdout
        published = git(bare, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
        assert {"index.html", ".nojekyll", "papers/hand-1/index.html", "papers/holder1889/index.html"} <= set(published)

    assert set(sitegen.ran) == leaf_commands(), "a command of the CLI is not run here"
    assert len(sitegen.ran) == 13


@pytest.mark.parametrize("words", command_paths(), ids=lambda words: " ".join(words) or "sitegen")
def test_every_command_has_help(env, tmp_path, words):
    result = env.run(env.sitegen, *words, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: sitegen {' '.join(words)}".rstrip()), result.stdout


def test_the_installed_program_says_its_version(env, tmp_path):
    result = env.run(env.sitegen, "--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"sitegen, version {__version__}"
    same = env.run(env.python, "-m", "sitegen", "--version", cwd=tmp_path)
    assert same.returncode == 0 and same.stdout == result.stdout


def test_the_commands_cover_the_whole_cli():
    assert leaf_commands() == {("build",), ("check",), ("new",), ("serve",), ("init",), ("deploy",),
                               ("import", "arxiv"), ("import", "bibtex"), ("import", "json"), ("import", "hf"),
                               ("update",)}
    assert len(command_paths()) == 13  # the leaves, `sitegen` and `sitegen import`


def readable_bibtex(folder: Path) -> Path:
    """The import fixture without its two entries that are meant to fail (no year, unbalanced braces)."""
    text = (FIXTURES / "references.bib").read_text(encoding="utf-8")
    chunks = text.split("\n@")
    entries = [chunk for chunk in chunks if not chunk.startswith(("article{nodate", "article{broken"))]
    assert len(entries) == len(chunks) - 2
    path = folder / "references.bib"
    path.write_text("\n@".join(entries), encoding="utf-8")
    return path


def readable_daily_papers(folder: Path) -> Path:
    """The Daily Papers fixture without its item that has no authors (meant to fail)."""
    items = json.loads((FIXTURES / "daily_papers.json").read_text(encoding="utf-8"))
    path = folder / "daily_papers.json"
    complete = [item for item in items if item["paper"].get("authors")]
    assert len(complete) == len(items) - 1
    path.write_text(json.dumps(complete), encoding="utf-8")
    return path


class ArxivReplay:
    """A local stand-in for the arXiv API answering every query with the recorded Atom batch."""

    def __init__(self):
        body, replay = (FIXTURES / "arxiv_batch.xml").read_bytes(), self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                replay.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.requests = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> "ArxivReplay":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/query"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class DailyPapersReplay:
    """A local stand-in for the Daily Papers API answering with the recorded page: its
    first two papers for a week, all three for a day."""

    def __init__(self):
        items, replay = json.loads((FIXTURES / "daily_papers_api.json").read_text(encoding="utf-8")), self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                query = self.path.partition("?")[2]
                replay.asked.append(query)
                body = json.dumps(items[:2] if query.startswith("week=") else items).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.asked: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> "DailyPapersReplay":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/api/daily_papers"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_once(env, site: Path, path: str, timeout: float = 60) -> str:
    """Start `sitegen serve` on a free port, GET one page, stop it as Ctrl+C does; the page's text."""
    port = free_port()
    server = subprocess.Popen([str(env.sitegen), "serve", "--port", str(port)], cwd=site,
                              env=clean_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        page = get_when_up(server, f"http://127.0.0.1:{port}/{path}", time.monotonic() + timeout)
    finally:
        server.send_signal(signal.SIGINT) if os.name != "nt" else server.terminate()
        try:
            _, said = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise AssertionError("sitegen serve did not stop on Ctrl+C") from None
    assert server.returncode == 0 or os.name == "nt", f"sitegen serve exited {server.returncode}:\n{said}"
    return page


def get_when_up(server: subprocess.Popen, url: str, deadline: float) -> str:
    while True:
        assert server.poll() is None, f"sitegen serve ended early:\n{server.communicate()[1]}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                assert response.status == 200
                return response.read().decode("utf-8")
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, "sitegen serve never answered"
            time.sleep(0.1)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


def git_repository(site: Path, bare: Path) -> Path:
    """The site committed on main, with a bare repository standing in for GitHub as origin."""
    git(site.parent, "init", "-q", "--bare", "-b", "main", str(bare))
    git(site, "init", "-q", "-b", "main")
    git(site, "remote", "add", "origin", str(bare))
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "A new listing")
    git(site, "push", "-q", "origin", "main")
    return bare
