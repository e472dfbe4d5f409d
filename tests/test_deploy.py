"""`sitegen deploy` against a real local bare repository."""

import os
import subprocess
from io import BytesIO

import pytest

from sitegen.cli import main
from sitegen.serve import ServerState, make_app
from sitekit import PAPER, output_tree, write_files

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    site = write_files(tmp_path / "site", {
        "content/papers.yaml": PAPER, "sitegen.yaml": "title: Lab\nbase_url: https://user.github.io/repo/\n",
        ".gitignore": "/output/\n/.sitegen/\n"})
    git(site, "init", "-q", "-b", "main")
    git(site, "remote", "add", "origin", str(bare))
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "Add three papers")
    return site, bare


def test_deploy_publishes_exactly_the_built_site(repo, runner):
    site, bare = repo
    result = runner.invoke(main, ["deploy", "--site", str(site)])
    assert result.exit_code == 0, result.output
    files = set(git(bare, "ls-tree", "-r", "--name-only", "gh-pages").splitlines())
    assert files == set(output_tree(site / "output")) | {".nojekyll"}
    sha = git(site, "rev-parse", "--short", "HEAD")
    assert git(bare, "log", "-1", "--format=%s", "gh-pages") == f"Deploy {sha} from main: Add three papers"
    assert git(site, "status", "--porcelain") == ""  # the work tree is untouched


def test_cname_from_settings(repo, runner):
    site, bare = repo
    (site / "sitegen.yaml").write_text("title: Lab\nbase_url: https://papers.example.org/\ncname: papers.example.org\n")
    assert runner.invoke(main, ["deploy", "--site", str(site)]).exit_code == 0
    assert git(bare, "show", "gh-pages:CNAME") == "papers.example.org"
    assert "(with uncommitted changes)" in git(bare, "log", "-1", "--format=%s", "gh-pages")


def test_second_deploy_adds_a_commit_on_top(repo, runner):
    site, bare = repo
    runner.invoke(main, ["deploy", "--site", str(site)])
    runner.invoke(main, ["deploy", "--site", str(site)])
    assert git(bare, "rev-list", "--count", "gh-pages") == "2"


def test_a_failed_build_leaves_gh_pages_untouched(repo, runner):
    site, bare = repo
    runner.invoke(main, ["deploy", "--site", str(site)])
    before = git(bare, "rev-parse", "gh-pages")
    (site / "content/bad.yaml").write_text("id: x\ntitle: [unclosed\n")
    result = runner.invoke(main, ["deploy", "--site", str(site)])
    assert result.exit_code == 1 and "content/bad.yaml" in result.stderr
    assert git(bare, "rev-parse", "gh-pages") == before


def test_outside_a_repository_is_a_clear_error(tmp_path, runner):
    site = write_files(tmp_path / "plain", {"content/papers.yaml": PAPER})
    result = runner.invoke(main, ["deploy", "--site", str(site)])
    assert result.exit_code == 1
    assert "not a git repository" in result.output + result.stderr
    assert "Traceback" not in result.output


def test_published_branch_serves_under_the_sub_path(repo, runner, tmp_path):
    site, bare = repo
    runner.invoke(main, ["deploy", "--site", str(site)])
    checkout = tmp_path / "pages"
    git(tmp_path, "clone", "-q", "--branch", "gh-pages", str(bare), str(checkout))
    app = make_app(checkout, "/repo/", ServerState())
    for path in ("/repo/", "/repo/papers/2203.00555/", "/repo/feed.xml", "/repo/style.css"):
        seen = {}
        body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": BytesIO()},
                            lambda status, headers: seen.update(status=status)))
        assert seen["status"].startswith("200"), path
    assert b'href="/repo/papers/' in (checkout / "index.html").read_bytes()
