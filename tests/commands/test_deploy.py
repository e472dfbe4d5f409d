"""`sitegen deploy` against real local repositories: a bare one stands in for GitHub."""

import os
import re
import subprocess
from io import BytesIO

import pytest

from sitegen.config import load_config
from sitegen.commands.deploy import base_url_warning, deploy_command, github_pages_url
from sitegen.commands.serve import ServerState, make_app
from sitekit import PAPER, output_tree, write_files

GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "LC_ALL": "C"}
SETTINGS = "title: Lab\nbase_url: https://user.github.io/repo/\nsearch: false\n"


def git(cwd, *args):
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV}).stdout.strip()


def deploy(runner, site, *args):
    return runner.invoke(deploy_command, ["--site", str(site), *args])


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A site committed on main, whose origin is a bare repository."""
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    site = write_files(tmp_path / "site", {
        "content/papers.yaml": PAPER, "sitegen.yaml": SETTINGS, ".gitignore": "/output/\n/.sitegen/\n"})
    git(site, "init", "-q", "-b", "main")
    git(site, "remote", "add", "origin", str(bare))
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "Add three papers")
    git(site, "push", "-q", "origin", "main")
    return site, bare


def published(bare, branch="gh-pages"):
    return set(git(bare, "ls-tree", "-r", "--name-only", branch).splitlines())


def test_deploy_publishes_exactly_the_built_site(repo, runner):
    site, bare = repo
    (site / "sitegen.yaml").write_text(SETTINGS.replace("search: false\n", ""))  # the search index too
    git(site, "commit", "-q", "-am", "Turn search on")
    remote_main = git(bare, "rev-parse", "main")
    result = deploy(runner, site)
    assert result.exit_code == 0, result.output
    files = published(bare)
    assert files == set(output_tree(site / "output")) | {".nojekyll"}
    assert any(name.startswith("search-index/") for name in files)
    assert git(bare, "cat-file", "-s", "gh-pages:.nojekyll") == "0"
    sha = git(site, "rev-parse", "--short", "HEAD")
    message = f"Deploy {sha} from main: Turn search on"
    assert git(bare, "log", "-1", "--format=%s", "gh-pages") == message
    assert f"Published {site / 'output'} to origin/gh-pages: {message}" in result.output
    # the sources are untouched: same branch, clean work tree, and only gh-pages was pushed
    assert git(site, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(site, "status", "--porcelain") == ""
    assert git(bare, "rev-parse", "main") == remote_main != git(site, "rev-parse", "HEAD")


def test_cname_from_the_settings_or_the_option_and_uncommitted_changes_are_named(repo, runner):
    site, bare = repo
    (site / "sitegen.yaml").write_text("title: Lab\nbase_url: https://papers.example.org/\n"
                                       "cname: papers.example.org\n")
    assert deploy(runner, site).exit_code == 0
    assert git(bare, "show", "gh-pages:CNAME") == "papers.example.org"
    assert published(bare) == set(output_tree(site / "output")) | {".nojekyll", "CNAME"}
    sha = git(site, "rev-parse", "--short", "HEAD")
    assert git(bare, "log", "-1", "--format=%s", "gh-pages") == (
        f"Deploy {sha} from main (with uncommitted changes): Add three papers")
    assert deploy(runner, site, "--cname", "lab.example.net").exit_code == 0
    assert git(bare, "show", "gh-pages:CNAME") == "lab.example.net"


def test_a_deploy_without_changes_adds_no_commit(repo, runner):
    site, bare = repo
    assert deploy(runner, site).exit_code == 0
    first = git(bare, "rev-parse", "gh-pages")
    again = deploy(runner, site)
    assert again.exit_code == 0, again.output
    assert "Nothing changed since the last deploy" in again.output
    assert git(bare, "rev-parse", "gh-pages") == git(site, "rev-parse", "gh-pages") == first
    # a change of the sources that does change the site: one new commit on top
    (site / "content/more.yaml").write_text(
        "id: '1706.03762'\ntitle: Attention Is All You Need\nauthors: [Ashish Vaswani]\n"
        "abstract: Transformers.\npublished: 2017-06-12\nday: 2024-03-15\n")
    git(site, "add", ".")
    git(site, "commit", "-q", "-m", "Add attention")
    assert deploy(runner, site).exit_code == 0
    assert git(bare, "rev-list", "--count", "gh-pages") == "2"
    assert git(bare, "rev-parse", "gh-pages^") == first
    assert "papers/1706.03762/index.html" in published(bare)
    assert git(bare, "log", "-1", "--format=%s", "gh-pages").endswith("from main: Add attention")


def test_a_deploy_from_another_clone_builds_on_what_is_published(repo, runner, tmp_path):
    site, bare = repo
    assert deploy(runner, site).exit_code == 0
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    (other / "sitegen.yaml").write_text(SETTINGS.replace("Lab", "Lab papers"))
    git(other, "commit", "-q", "-am", "Rename the site")
    assert deploy(runner, other).exit_code == 0
    git(other, "push", "-q", "origin", "main")
    git(site, "pull", "-q", "origin", "main")
    # the first clone's origin/gh-pages is stale now; deploy fetches it instead of being rejected
    (site / "sitegen.yaml").write_text(SETTINGS.replace("Lab", "Lab listing"))
    git(site, "commit", "-q", "-am", "Rename it again")
    result = deploy(runner, site)
    assert result.exit_code == 0, result.output
    assert git(bare, "rev-list", "--count", "gh-pages") == "3"
    assert "Lab listing" in git(bare, "show", "gh-pages:index.html")


def test_a_failed_build_leaves_gh_pages_untouched(repo, runner):
    site, bare = repo
    assert deploy(runner, site).exit_code == 0
    before = git(bare, "rev-parse", "gh-pages"), git(site, "rev-parse", "gh-pages")
    (site / "content/bad.yaml").write_text("id: x\ntitle: [unclosed\n")
    result = deploy(runner, site)
    assert result.exit_code == 1
    assert "content/bad.yaml" in result.stderr and "nothing was published" in result.stderr
    assert "Traceback" not in result.output
    assert (git(bare, "rev-parse", "gh-pages"), git(site, "rev-parse", "gh-pages")) == before


def test_outside_a_repository_is_a_clear_error(tmp_path, runner, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # in case tmp is inside a repository
    site = write_files(tmp_path / "plain", {"content/papers.yaml": PAPER})
    result = deploy(runner, site)
    assert result.exit_code == 1
    assert "is not a git repository" in result.stderr and "Traceback" not in result.output
    assert not (site / "output").exists()  # checked before building


def test_without_git_is_a_clear_error(repo, runner, monkeypatch, tmp_path):
    site, bare = repo
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = deploy(runner, site)
    assert result.exit_code == 1 and "git is not installed" in result.stderr
    assert "Traceback" not in result.output


def test_a_rejected_push_shows_gits_message(repo, runner):
    site, bare = repo
    hook = bare / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'pushes to this remote are closed' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = deploy(runner, site)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "pushing gh-pages to origin failed" in result.stderr
    assert "pushes to this remote are closed" in result.stderr  # git's own words
    assert "git push origin gh-pages" in result.stderr
    assert published(site) == set(output_tree(site / "output")) | {".nojekyll"}  # committed locally
    assert subprocess.run(["git", "rev-parse", "--verify", "--quiet", "gh-pages"], cwd=bare).returncode != 0


def test_a_missing_remote_is_a_clear_error_and_no_push_needs_none(repo, runner):
    site, bare = repo
    git(site, "remote", "remove", "origin")
    result = deploy(runner, site)
    assert result.exit_code == 1 and "no remote called 'origin'" in result.stderr
    assert not (site / "output").exists()  # checked before building
    result = deploy(runner, site, "--no-push", "--message", "Local preview")
    assert result.exit_code == 0, result.output
    assert "the local branch gh-pages (not pushed)" in result.output
    assert git(site, "log", "-1", "--format=%s", "gh-pages") == "Local preview"


def test_no_build_publishes_output_as_it_is(repo, runner):
    site, bare = repo
    result = deploy(runner, site, "--no-build")
    assert result.exit_code == 1 and "does not exist" in result.stderr
    write_files(site, {"output/index.html": "<p>hand-made</p>"})
    result = deploy(runner, site, "--no-build")
    assert result.exit_code == 0, result.output
    assert published(bare) == {"index.html", ".nojekyll"}


def test_a_checkout_kept_in_output_is_published_without_its_git_folder(repo, runner):
    """keep_files keeps output/.git (the published branch checked out there); its files
    are the checkout's, not the site's."""
    site, bare = repo
    assert deploy(runner, site).exit_code == 0
    git(site / "output", "init", "-q", "-b", "gh-pages")
    git(site / "output", "add", "-A")
    git(site / "output", "commit", "-q", "-m", "A checkout of the site")
    result = deploy(runner, site)
    assert result.exit_code == 0, result.output
    assert (site / "output/.git/HEAD").is_file()
    files = published(bare)
    assert not any(name.split("/")[0] == ".git" for name in files)
    assert files == {name for name in output_tree(site / "output") if not name.startswith(".git/")} | {".nojekyll"}


def test_deploying_from_the_published_branch_is_refused(repo, runner):
    site, bare = repo
    git(site, "checkout", "-q", "-b", "gh-pages")
    result = deploy(runner, site)
    assert result.exit_code == 1 and "checked-out branch is gh-pages" in result.stderr


def test_a_detached_head_is_named_in_the_message(repo, runner):
    site, bare = repo
    git(site, "checkout", "-q", "--detach")
    assert deploy(runner, site).exit_code == 0
    sha = git(site, "rev-parse", "--short", "HEAD")
    assert git(bare, "log", "-1", "--format=%s", "gh-pages") == f"Deploy {sha} from a detached HEAD: Add three papers"


@pytest.mark.parametrize("remote, cname, expected", [
    ("https://github.com/User/repo.git", None, "https://user.github.io/repo/"),
    ("git@github.com:user/repo.git", None, "https://user.github.io/repo/"),
    ("ssh://git@github.com/user/repo", None, "https://user.github.io/repo/"),
    ("https://github.com/user/user.github.io", None, "https://user.github.io/"),
    ("https://github.com/user/repo", "papers.example.org", "https://papers.example.org/"),
    ("/srv/git/site.git", None, None),
])
def test_where_github_serves_the_branch(remote, cname, expected):
    assert github_pages_url(remote, cname) == expected


def test_a_base_url_that_does_not_match_github_pages_is_warned_about(tmp_path):
    config, _ = load_config(tmp_path)  # base_url '/'
    warning = base_url_warning(config, "git@github.com:user/repo.git", None)
    assert "https://user.github.io/repo/" in warning and "--base-url" in warning
    config, _ = load_config(tmp_path, base_url="https://user.github.io/repo/")
    assert base_url_warning(config, "git@github.com:user/repo.git", None) is None


def test_the_published_branch_serves_under_the_sub_path(repo, runner, tmp_path):
    site, bare = repo
    assert deploy(runner, site).exit_code == 0
    checkout = tmp_path / "pages"
    git(tmp_path, "clone", "-q", "--branch", "gh-pages", str(bare), str(checkout))
    app = make_app(checkout, "/repo/", ServerState())

    def get(path):
        seen = {}
        body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": BytesIO()},
                            lambda status, headers: seen.update(status=status)))
        return seen["status"], body

    status, index = get("/repo/")
    assert status.startswith("200")
    status, paper = get("/repo/papers/2203.00555/")
    assert status.startswith("200") and b"Monarch" in paper
    # every site link of the two pages lies under /repo/ and answers 200 there
    links = set(re.findall(rb'(?:href|src)="(/[^"#?]*)', index + paper))
    assert links and all(link.startswith(b"/repo/") for link in links), links
    for link in sorted(links):
        assert get(link.decode())[0].startswith("200"), link
    assert get("/papers/2203.00555/")[0].startswith("404")  # nothing is served outside the sub-path


def test_without_a_git_identity_the_commit_is_made_as_sitegen(repo, runner, monkeypatch):
    site, bare = repo
    for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(key)  # and GIT_CONFIG_GLOBAL is empty: no user.name anywhere
    assert deploy(runner, site, "--no-push").exit_code == 0
    assert git(site, "log", "-1", "--format=%cn <%ce>", "gh-pages") == "sitegen <sitegen@localhost>"
    assert "GIT_COMMITTER_NAME" not in os.environ  # set for ghp-import only
