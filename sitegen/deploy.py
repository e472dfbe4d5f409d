"""`sitegen deploy`: publish the built site to the gh-pages branch with ghp-import."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

import click

from sitegen.config import load_config


class DeployError(click.ClickException):
    pass


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise DeployError(result.stderr.strip().removeprefix("fatal: ") or f"git {' '.join(args)} failed")
    return result.stdout.strip()


def source_description(root: Path) -> str:
    """'Deploy 1a2b3c4 from main: Add three papers' for the gh-pages commit message."""
    try:
        sha = _git(root, "rev-parse", "--short", "HEAD")
        subject = _git(root, "log", "-1", "--format=%s")
        branch = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    except DeployError:
        return "Deploy (no commit yet)"
    dirty = " (with uncommitted changes)" if _git(root, "status", "--porcelain", "--untracked-files=no") else ""
    return f"Deploy {sha} from {branch}{dirty}: {subject}"


def deploy(root: Path, output: Path, *, branch: str, remote: str, push: bool, message: str | None,
           cname: str | None) -> str:
    from ghp_import import GhpError, ghp_import

    if shutil.which("git") is None:
        raise DeployError("git is not installed")
    _git(root, "rev-parse", "--git-dir")  # a clear error outside a repository
    mesg = message or source_description(root)
    try:
        with contextlib.chdir(root):
            ghp_import(str(output), mesg=mesg, branch=branch, remote=remote, push=push, nojekyll=True,
                       cname=cname, force=False)
    except GhpError as error:
        raise DeployError(error.message) from None
    except subprocess.CalledProcessError as error:
        raise DeployError(f"pushing {branch} to {remote} failed (git said so above); "
                          f"the branch is committed locally: push it with 'git push {remote} {branch}'") from error
    return mesg


@click.command("deploy")
@click.option("--site", "-s", "site_dir", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The site folder, inside a git repository.")
@click.option("--branch", default="gh-pages", show_default=True, help="Branch to publish to.")
@click.option("--remote", default="origin", show_default=True, help="Remote to push the branch to.")
@click.option("--push/--no-push", default=True, show_default=True, help="Push the branch after committing.")
@click.option("--message", "-m", help="Commit message. [default: names the source commit]")
@click.option("--cname", help="Custom domain written to CNAME. [default: the 'cname' setting]")
@click.option("--build/--no-build", default=True, show_default=True, help="Build before publishing.")
def deploy_command(site_dir: Path, branch: str, remote: str, push: bool, message: str | None,
                   cname: str | None, build: bool) -> None:
    """Publish output/ to the gh-pages branch (with .nojekyll and CNAME) and push it.

    Builds first; if the build fails, the branch is not touched.
    """
    from sitegen.cli import run_build_or_exit

    config, _ = load_config(site_dir)
    root = config.root
    if build:
        run_build_or_exit(config)
    if not config.output_dir.is_dir():
        raise DeployError(f"{config.output_dir} does not exist; run 'sitegen build' first")
    mesg = deploy(root, config.output_dir, branch=branch, remote=remote, push=push, message=message,
                  cname=cname or config.cname)
    where = f"{remote}/{branch}" if push else f"the local branch {branch}"
    click.echo(f"Published {os.path.relpath(config.output_dir)} to {where}: {mesg}")
