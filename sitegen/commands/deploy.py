"""`sitegen deploy`: publish the built site to the gh-pages branch with ghp-import.

In order, so that nothing is touched when something is wrong:

1. git must be installed, the site folder must be in a git repository and, when
   pushing, the remote must exist;
2. the site is built (unless --no-build); a failed build stops here;
3. when pushing, the published branch is fetched first, so the new commit goes on top
   of what the remote already has (ghp-import builds on `<remote>/<branch>`) and a
   deploy from a second clone or from CI does not get rejected;
4. ghp-import writes output/ as one new commit on the branch, with an empty
   `.nojekyll` (GitHub Pages must not run Jekyll on it) and CNAME when a custom domain
   is set; the work tree and the checked-out branch are not touched;
5. if the published files are exactly those of the branch's previous commit, that new
   commit is dropped again: deploying twice without a change adds no commit;
6. the branch is pushed; git's message is shown when that fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import click

from sitegen.config import Config, load_config
from sitegen.problems import ContentError, TemplateProblem

FALLBACK_NAME = "sitegen"
FALLBACK_EMAIL = "sitegen@localhost"


class DeployError(click.ClickException):
    """Shown as 'Error: ...' on stderr with exit status 1, without a traceback."""


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def _git_says(result: subprocess.CompletedProcess) -> str:
    text = (result.stderr or result.stdout).strip()
    return "\n".join(line.removeprefix("fatal: ").removeprefix("error: ") for line in text.splitlines())


def _git(cwd: Path, *args: str) -> str:
    result = _run(cwd, *args)
    if result.returncode != 0:
        raise DeployError(f"git {' '.join(args)} failed: {_git_says(result) or 'no message'}")
    return result.stdout.strip()


def _rev(cwd: Path, ref: str) -> str | None:
    result = _run(cwd, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
    return result.stdout.strip() if result.returncode == 0 else None


def check_repository(root: Path, *, remote: str | None) -> None:
    """Clear errors for a missing git, a folder outside any repository, a missing remote."""
    if shutil.which("git") is None:
        raise DeployError("git is not installed (or not on PATH); sitegen deploy needs it to publish the site")
    result = _run(root, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise DeployError(f"{root} is not a git repository (git says: {_git_says(result)}).\n"
                          "Run 'git init', commit the site and add a remote, or publish with the "
                          "GitHub Pages workflow that 'sitegen init' writes.")
    if remote is not None and _run(root, "remote", "get-url", remote).returncode != 0:
        raise DeployError(f"this repository has no remote called '{remote}'; add it with "
                          f"'git remote add {remote} URL', name another with --remote, or deploy with --no-push")


def source_description(root: Path, exclude: tuple[str, ...] = ()) -> str:
    """'Deploy 1a2b3c4 from main: Add three papers', the gh-pages commit message.

    '(with uncommitted changes)' follows the branch when files of the site folder differ
    from that commit (the output and cache folders given in `exclude` do not count).
    """
    sha = _run(root, "rev-parse", "--short", "HEAD")
    if sha.returncode != 0:
        return "Deploy from a repository without commits"
    subject = _git(root, "log", "-1", "--format=%s")
    branch = _run(root, "symbolic-ref", "--quiet", "--short", "HEAD")
    where = f"from {branch.stdout.strip()}" if branch.returncode == 0 else "from a detached HEAD"
    status = _git(root, "status", "--porcelain", "--", ".", *(f":(exclude){path}" for path in exclude))
    dirty = " (with uncommitted changes)" if status else ""
    return f"Deploy {sha.stdout.strip()} {where}{dirty}: {subject}"


_GITHUB = re.compile(r"^(?:https://|ssh://git@|git@)github\.com[/:]([^/]+)/([^/]+?)(?:\.git)?/?$")


def github_pages_url(remote_url: str, cname: str | None) -> str | None:
    """Where GitHub serves the gh-pages branch of this remote, if it is on github.com."""
    if cname:
        return f"https://{cname}/"
    match = _GITHUB.match(remote_url.strip())
    if not match:
        return None
    owner, repo = match.group(1).lower(), match.group(2)
    if repo.lower() == f"{owner}.github.io":
        return f"https://{owner}.github.io/"
    return f"https://{owner}.github.io/{repo}/"


def base_url_warning(config: Config, remote_url: str, cname: str | None) -> str | None:
    """A warning when base_url's path will not match where GitHub Pages serves the site."""
    expected = github_pages_url(remote_url, cname)
    if expected is None:
        return None
    expected_path = "/" + expected.split("/", 3)[3]
    if config.base_path.lower() == expected_path.lower():
        return None
    return (f"base_url is '{config.base_url}', but GitHub Pages will serve this site at {expected}: "
            f"its links and styles would not be found there. Set 'base_url: {expected}' in sitegen.yaml "
            f"or pass --base-url {expected}")


@contextmanager
def _inside(root: Path) -> Iterator[None]:
    """ghp-import runs git in the working folder; run it in the site's (Python 3.10 has no contextlib.chdir)."""
    before = os.getcwd()
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(before)


@contextmanager
def _committer(root: Path) -> Iterator[None]:
    """ghp-import commits as GIT_COMMITTER_NAME/EMAIL or user.name/email, else as nobody: name sitegen then."""
    fallback = {"GIT_COMMITTER_NAME": ("user.name", FALLBACK_NAME),
                "GIT_COMMITTER_EMAIL": ("user.email", FALLBACK_EMAIL)}
    added = []
    for variable, (key, value) in fallback.items():
        if not os.environ.get(variable) and not _run(root, "config", key).stdout.strip():
            os.environ[variable] = value
            added.append(variable)
    try:
        yield
    finally:
        for variable in added:
            os.environ.pop(variable, None)


def _fetch(root: Path, remote: str, branch: str) -> None:
    """Bring `<remote>/<branch>` up to date; a remote without the branch yet is fine."""
    probe = _run(root, "ls-remote", "--exit-code", "--heads", remote, f"refs/heads/{branch}")
    if probe.returncode == 2:  # reachable, and no such branch yet: the first deploy
        return
    result = probe if probe.returncode != 0 else _run(
        root, "fetch", "--quiet", "--no-tags", remote, f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}")
    if result.returncode != 0:
        raise DeployError(f"could not fetch {branch} from {remote}, so nothing was published; git says:\n"
                          f"{_git_says(result)}")


def _push(root: Path, remote: str, branch: str) -> None:
    result = _run(root, "push", "--porcelain", remote, f"refs/heads/{branch}:refs/heads/{branch}")
    if result.returncode != 0:
        said = "\n".join(part for part in (result.stderr.strip(), result.stdout.strip()) if part)
        raise DeployError(f"pushing {branch} to {remote} failed; git says:\n{said}\n"
                          f"The site is committed on the local branch {branch}: "
                          f"push it with 'git push {remote} {branch}' once the problem is fixed.")


def publish(root: Path, output_dir: Path, *, branch: str, remote: str, push: bool, message: str,
            cname: str | None) -> bool:
    """Commit output_dir to `branch` (and push it). Returns False if nothing changed."""
    from ghp_import import GhpError, ghp_import

    if push:
        _fetch(root, remote, branch)
    before = _rev(root, f"refs/heads/{branch}")
    try:
        with _inside(root), _committer(root), _without_git(output_dir, root) as source:
            ghp_import(str(source), mesg=message, branch=branch, remote=remote, push=False,
                       nojekyll=True, cname=cname or None)
    except GhpError as error:
        raise DeployError(f"ghp-import could not write the {branch} branch: {error.message}") from None
    except Exception as error:  # ghp-import reports a failed `git fast-import` badly
        raise DeployError(f"could not commit {output_dir} to {branch}: {error}") from None
    after = _rev(root, f"refs/heads/{branch}")
    if after is None or after == before:
        raise DeployError(f"no commit was made on {branch} (git fast-import failed; see its message above)")
    parent = _rev(root, f"{after}^")
    changed = parent is None or _git(root, "rev-parse", f"{after}^{{tree}}") != _git(root, "rev-parse",
                                                                                      f"{parent}^{{tree}}")
    if not changed:
        _git(root, "update-ref", "-m", "sitegen deploy: nothing changed", f"refs/heads/{branch}", parent, after)
    if push:
        _push(root, remote, branch)
    return changed


@contextmanager
def _without_git(output_dir: Path, root: Path) -> Iterator[Path]:
    """output/, or, when it holds a `.git` (a checkout of the published branch, which
    keep_files keeps by default), a copy of it made of hard links without any `.git`:
    ghp-import publishes every file of the folder it is given, and a tree holding
    `.git` is refused by git hosts."""
    if not (output_dir / ".git").exists():
        yield output_dir
        return
    from sitegen.engine.cachedir import CacheDir

    copy = Path(tempfile.mkdtemp(dir=CacheDir(root).made(), prefix=CacheDir.PUBLISHING))
    try:
        for folder, folders, files in os.walk(output_dir):
            folders[:] = [name for name in folders if name != ".git"]
            target = copy / Path(folder).relative_to(output_dir)
            target.mkdir(exist_ok=True)
            for name in files:
                if name == ".git":
                    continue
                try:
                    os.link(os.path.join(folder, name), target / name)
                except OSError:  # another file system, or links not allowed
                    shutil.copy2(os.path.join(folder, name), target / name)
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def _load(site_dir: Path, base_url: str | None) -> Config:
    config, problems = load_config(site_dir, base_url=base_url)
    for problem in problems:
        if not problem.is_error:
            click.echo(str(problem), err=True)
    errors = [p for p in problems if p.is_error]
    if errors:
        click.echo(ContentError(errors).report(), err=True)
        raise SystemExit(1)
    return config


def _build(config: Config) -> None:
    from sitegen.engine.build import build
    from sitegen.write.commit import OutputLocationError

    try:
        report = build(config)
    except ContentError as error:
        click.echo(error.report(), err=True)
        raise DeployError("the build failed, so nothing was published") from None
    except (TemplateProblem, OutputLocationError) as error:
        raise DeployError(f"{error}\nThe build failed, so nothing was published.") from None
    for warning in report.warnings:
        click.echo(str(warning), err=True)
    click.echo(f"Built {report.output_dir}: {report.summary()}")


@click.command("deploy")
@click.option("--site", "-s", "site_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=".", show_default=True, help="The site folder, inside a git repository.")
@click.option("--branch", default="gh-pages", show_default=True, help="Branch to publish to.")
@click.option("--remote", default="origin", show_default=True, help="Remote to push the branch to.")
@click.option("--push/--no-push", default=True, show_default=True, help="Push the branch after committing.")
@click.option("--message", "-m", help="Commit message. [default: 'Deploy <sha> from <branch>: <subject>']")
@click.option("--cname", help="Custom domain written to CNAME. [default: the 'cname' setting]")
@click.option("--base-url", help="Override base_url for this build, e.g. https://user.github.io/repo/")
@click.option("--build/--no-build", default=True, show_default=True,
              help="Build before publishing; --no-build publishes output/ as it is.")
def deploy_command(site_dir: Path, branch: str, remote: str, push: bool, message: str | None,
                   cname: str | None, base_url: str | None, build: bool) -> None:
    """Publish the built site to the gh-pages branch and push it.

    Builds first; if the build fails the branch is not touched. The commit holds
    exactly output/, plus .nojekyll and CNAME (from --cname or the 'cname' setting),
    and its message names the source commit. Deploying without a change adds no
    commit. On GitHub, set Settings → Pages → Source to 'Deploy from a branch', gh-pages.
    """
    config = _load(site_dir, base_url)
    root = config.root
    check_repository(root, remote=remote if push else None)
    current = _run(root, "symbolic-ref", "--quiet", "--short", "HEAD").stdout.strip()
    if current == branch:
        raise DeployError(f"the checked-out branch is {branch}, the branch deploy writes to; "
                          "check out the branch holding your site's sources first")
    cname = cname or config.cname
    remote_url = _run(root, "remote", "get-url", remote).stdout.strip()
    warning = base_url_warning(config, remote_url, cname) if remote_url else None
    if warning:
        click.echo(f"Warning: {warning}", err=True)
    if build:
        _build(config)
    output_dir = config.output_dir
    if not output_dir.is_dir():
        raise DeployError(f"{output_dir} does not exist; run 'sitegen build' first or drop --no-build")
    from sitegen.engine.cachedir import CacheDir

    exclude = tuple(path.relative_to(root).as_posix() for path in (output_dir, CacheDir(root).path)
                    if path.is_relative_to(root) and path != root)
    mesg = message or source_description(root, exclude)
    changed = publish(root, output_dir, branch=branch, remote=remote, push=push, message=mesg, cname=cname)
    where = f"{remote}/{branch}" if push else f"the local branch {branch} (not pushed)"
    if changed:
        click.echo(f"Published {output_dir} to {where}: {mesg}")
    else:
        click.echo(f"Nothing changed since the last deploy: {where} already holds this site.")
