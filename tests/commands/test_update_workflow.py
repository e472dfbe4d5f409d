"""The scheduled workflow `sitegen init` writes, .github/workflows/update.yml: its shape
as GitHub reads it, then its shell steps run with bash as GitHub runs them, in a fresh
clone of a local bare repository (the default branch), with `sitegen` on PATH and the
local arXiv and Daily Papers APIs (tests/importers/fakeapis.py) pointed at through
SITEGEN_ARXIV_API and SITEGEN_HF_API.

The steps that `uses:` an action are played by the test: actions/checkout is a clone of
the bare repository, actions/setup-python the test's own interpreter. GitHub's
expressions are resolved by the test for the few forms the workflow uses, with the
values of a scheduled run; the run scripts hold none (they read `env:`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from sitegen.commands.init import PAGES, UPDATE, UPDATE_CRON, init_command
from sitekit import REPO

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "importers"))  # where fakeapis.py is
from fakeapis import LOGIN_PAGE, FakeArxiv, FakeDailyPapers, answer, daily_item, hourly_papers  # noqa: E402

INSTALL = "sitegen @ git+https://example.org/lab/sitegen@v0.1.0 ; python_version >= '3.10'"
BRANCH = "main"
SOURCES = """
sources:
  - arxiv: "cat:cs.LG AND abs:diffusion"
    since: 2
  - hf: daily
    update: true
"""
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # `shell: bash`, as GitHub runs it
BOT = "github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>"
ARXIV = "arXiv 'cat:cs.LG AND abs:diffusion'"
HF = "Daily Papers (daily)"


# ---------------------------------------------------------------- the site and its repository

def git(cwd: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env or git_env(cwd), capture_output=True, text=True)
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout


def git_env(home: Path) -> dict:
    """A machine's git, as on a fresh runner: no global or system settings, no identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", HOME=str(home))
    return env


def as_person(repo: Path, message: str) -> None:
    git(repo, "-c", "user.name=Ann Lee", "-c", "user.email=ann@example.org", "commit", "--quiet", "-m", message)


@pytest.fixture
def origin(tmp_path, runner) -> Path:
    """A bare repository whose default branch holds a site made by `sitegen init`, with
    an arXiv query and today's Daily Papers as its sources."""
    site = tmp_path / "site"
    result = runner.invoke(init_command, [str(site), "--install-spec", INSTALL])
    assert result.exit_code == 0, result.output
    with open(site / "sitegen.yaml", "a", encoding="utf-8") as settings:
        settings.write(SOURCES)
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", f"--initial-branch={BRANCH}", str(bare))
    git(site, "init", "--quiet", f"--initial-branch={BRANCH}")
    git(site, "add", "--all")
    as_person(site, "A new listing")
    git(site, "push", "--quiet", str(bare), BRANCH)
    return bare


def workflow(origin: Path, name: str = UPDATE) -> dict:
    return yaml.safe_load(git(origin, "show", f"{BRANCH}:{name}"))


def history(origin: Path) -> list[str]:
    return git(origin, "log", "--format=%H", BRANCH).split()


def committed_files(origin: Path, commit: str = BRANCH) -> list[str]:
    return sorted(git(origin, "diff-tree", "--no-commit-id", "--name-only", "-r", commit).split())


# ---------------------------------------------------------------- the fake APIs, on today's date

class AnyDayDailyPapers(FakeDailyPapers):
    """Daily Papers that lists its items whatever date is asked: the update asks for
    today's (UTC) in a process of its own, which may see another date than the test."""

    @staticmethod
    def _listed_in(day, query) -> bool:
        return True


def today() -> str:
    return datetime.now(timezone.utc).date().isoformat()


@pytest.fixture
def arxiv_api():
    api = FakeArxiv().start()
    yield api
    api.stop()


@pytest.fixture
def hf_api():
    api = AnyDayDailyPapers().start()
    yield api
    api.stop()


def new_arxiv_papers(count: int, prefix: str = "2403"):
    return hourly_papers(count, newest=datetime.now(timezone.utc) - timedelta(minutes=30), prefix=prefix)


# ---------------------------------------------------------------- running a job's steps

@dataclass
class JobRun:
    outcomes: dict[str, str] = field(default_factory=dict)  # step id → success, failure or skipped
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # step id → what it wrote to GITHUB_OUTPUT
    failed: bool = False  # the job's conclusion
    log: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    workspace: Path | None = None


# A scheduled run's context: its event names no repository, so no default branch.
SCHEDULED = {"github.event.repository.default_branch": "", "github.ref_name": BRANCH}


def evaluate(expression: str, run: JobRun) -> str:
    """The value of one `${{ }}` expression of the forms the workflow uses."""
    choices = [part.strip() for part in expression.split("||")]
    for choice in choices:
        if choice in SCHEDULED:
            value = SCHEDULED[choice]
        elif match := re.fullmatch(r"env\.(\w+)", choice):
            value = run.env.get(match[1], "")
        elif match := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", choice):
            value = run.outputs.get(match[1], {}).get(match[2], "")
        else:
            raise AssertionError(f"an expression this test does not know: {expression}")
        if value:
            return value
    return ""


def resolve(text: str, run: JobRun) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: evaluate(m[1].strip(), run), str(text))


def step_runs(step: dict, run: JobRun) -> bool:
    """A step's `if:`; without one, or without a status function in it, the step runs
    only while the job has not failed (GitHub's implicit success())."""
    condition = step.get("if")
    if condition is None:
        return not run.failed
    match = re.fullmatch(r"steps\.([\w-]+)\.outcome == '(\w+)'", condition)
    assert match, f"a condition this test does not know: {condition}"
    return not run.failed and run.outcomes.get(match[1]) == match[2]


@pytest.fixture
def machine(tmp_path, arxiv_api, hf_api):
    """The runner: a PATH with `sitegen` (this checkout's, run by the test's interpreter)
    and a `python` that records what pip is asked to install; the environment a step
    gets; and `sitegen_then`, to run a shell snippet after sitegen."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    install_log = tmp_path / "pip-install.args"

    def sitegen_shim(then: str = "") -> None:
        shim = bin_dir / "sitegen"
        shim.write_text(f'#!/bin/bash\n"{sys.executable}" -m sitegen "$@"\nstatus=$?\n{then}\nexit $status\n')
        shim.chmod(0o755)

    sitegen_shim()
    fake_python = bin_dir / "python"
    fake_python.write_text(f'#!/bin/bash\nprintf "%s\\n" "$@" > "{install_log}"\n')
    fake_python.chmod(0o755)
    env = git_env(tmp_path)
    env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(REPO), CI="true",
               GITHUB_ACTIONS="true", LANG="C.UTF-8", SITEGEN_ARXIV_API=arxiv_api.url, SITEGEN_HF_API=hf_api.url,
               SITEGEN_ARXIV_DELAY="0")
    return {"env": env, "tmp": tmp_path, "sitegen_then": sitegen_shim, "install_log": install_log}


def run_update_job(origin: Path, machine: dict, *, before_steps=None) -> JobRun:
    """The `update` job of update.yml, step by step, on a fresh clone of `origin`."""
    spec = workflow(origin)
    job = spec["jobs"]["update"]
    count = len(list(machine["tmp"].glob("run-*")))
    run = JobRun(workspace=machine["tmp"] / f"run-{count}" / "workspace")
    temp = run.workspace.parent / "runner-temp"
    temp.mkdir(parents=True)
    run.env = {**machine["env"], "RUNNER_TEMP": str(temp)}
    for scope in (spec.get("env") or {}, job.get("env") or {}):
        run.env.update({name: resolve(value, run) for name, value in scope.items()})
    shell = (spec.get("defaults") or {}).get("run", {}).get("shell")
    assert shell == "bash", "the test runs the steps as GitHub's `shell: bash` does"
    for number, step in enumerate(job["steps"]):
        key = step.get("id") or f"step{number}"
        if not step_runs(step, run):
            run.outcomes[key] = "skipped"
            continue
        if "uses" in step:
            play_action(step, run, origin)
            if step["uses"].startswith("actions/checkout@") and before_steps:
                before_steps()
            run.outcomes[key] = "success"
            continue
        output = temp / f"output-{number}"
        output.touch()
        env = {**run.env, **{k: resolve(v, run) for k, v in (step.get("env") or {}).items()},
               "GITHUB_OUTPUT": str(output)}
        assert "${{" not in step["run"], f"{step.get('name')}: expressions belong in env:, not in the script"
        done = subprocess.run([*GITHUB_BASH, "-c", step["run"]], cwd=run.workspace, env=env, capture_output=True,
                              text=True, timeout=120)
        run.log.append(f"$ {step.get('name')} → {done.returncode}\n{done.stdout}{done.stderr}")
        run.outputs[key] = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        run.outcomes[key] = "success" if done.returncode == 0 else "failure"
        if done.returncode != 0 and not step.get("continue-on-error"):
            run.failed = True
    return run


def play_action(step: dict, run: JobRun, origin: Path) -> None:
    """What the actions the job uses do, as far as its scripts can tell."""
    action = step["uses"]
    if action.startswith("actions/checkout@"):
        ref = resolve((step.get("with") or {}).get("ref", ""), run) or BRANCH
        git(run.workspace.parent, "clone", "--quiet", "--branch", ref, str(origin), str(run.workspace))
    elif not action.startswith("actions/setup-python@"):  # the test's interpreter is the job's Python
        raise AssertionError(f"an action this test does not play: {action}")


def job_outputs(origin: Path, run: JobRun) -> dict[str, str]:
    return {name: resolve(value, run) for name, value in workflow(origin)["jobs"]["update"]["outputs"].items()}


def publishes(origin: Path, run: JobRun) -> bool:
    """Whether the `publish` job runs after this `update` job (the run not cancelled)."""
    condition = workflow(origin)["jobs"]["publish"]["if"]
    assert condition == "${{ !cancelled() && needs.update.outputs.changed == 'true' }}"
    return job_outputs(origin, run)["changed"] == "true"


def message(origin: Path, commit: str = BRANCH) -> tuple[str, list[str]]:
    subject, _, body = git(origin, "log", "-1", "--format=%B", commit).partition("\n")
    return subject, [line for line in body.splitlines() if line]


def show(run: JobRun) -> str:
    return "\n".join(run.log)


# ---------------------------------------------------------------- the workflow as GitHub reads it

def test_the_schedule_the_button_and_the_permissions(origin):
    spec = workflow(origin)
    assert spec[True] == {"schedule": [{"cron": UPDATE_CRON}], "workflow_dispatch": None}  # YAML 1.1: on → True
    minute, hour, *every_day = UPDATE_CRON.split()
    assert every_day == ["*", "*", "*"]
    assert 2 <= int(hour) <= 22  # after arXiv's announcement (01:00 UTC at the latest), before the UTC day ends
    assert int(minute) not in (0, 30)  # off the busy times
    assert spec["permissions"] == {"contents": "read"}
    jobs = spec["jobs"]
    assert list(jobs) == ["update", "publish"]
    assert jobs["update"]["permissions"] == {"contents": "write"}
    assert jobs["publish"]["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    pages = workflow(origin, PAGES)
    assert pages["permissions"] == jobs["publish"]["permissions"]  # a called workflow gets no more than this


def test_the_steps_in_order_and_the_publishing_through_the_pages_workflow(origin):
    spec = workflow(origin)
    update = spec["jobs"]["update"]
    steps = update["steps"]
    assert [s.get("uses") or s["name"] for s in steps] == [
        "actions/checkout@v4", "actions/setup-python@v5", "Install sitegen", "Update the entries",
        "Commit the new entries", "Fail if a source failed"]
    checkout, python, install, run_update, commit, fail = steps
    assert update["env"]["BRANCH"] == "${{ github.event.repository.default_branch || github.ref_name }}"
    assert checkout["with"] == {"ref": "${{ env.BRANCH }}"}  # the default branch, whatever branch a button ran on
    assert python["with"] == {"python-version": "3.12"}
    assert update["env"]["SITEGEN_INSTALL"] == INSTALL and install["run"] == 'python -m pip install "$SITEGEN_INSTALL"'
    assert run_update["id"] == "update" and run_update["continue-on-error"] is True
    assert run_update["run"].startswith("sitegen update")
    assert commit["id"] == "commit" and "git diff --cached --quiet" in commit["run"]
    assert fail["if"] == "steps.update.outcome == 'failure'" and fail["run"].rstrip().endswith("exit 1")
    assert update["outputs"] == {"changed": "${{ steps.commit.outputs.changed }}",
                                 "branch": "${{ steps.commit.outputs.branch }}"}
    publish = spec["jobs"]["publish"]
    assert publish["needs"] == "update"
    assert publish["uses"] == "./.github/workflows/pages.yml"
    assert publish["with"] == {"ref": "${{ needs.update.outputs.branch }}"}
    for step in steps:  # no expression in a script (GitHub's advice against script injection)
        assert "${{" not in step.get("run", "")
    pages = workflow(origin, PAGES)
    assert pages[True]["workflow_call"] == {"inputs": {"ref": {
        "description": "The branch to build; by default, the commit that started the run.",
        "type": "string", "required": False, "default": ""}}}
    pages_checkout = pages["jobs"]["build"]["steps"][0]
    assert pages_checkout == {"uses": "actions/checkout@v4", "with": {"ref": "${{ inputs.ref }}"}}


def test_update_and_pages_never_publish_over_each_other(origin):
    update, pages = workflow(origin), workflow(origin, PAGES)
    assert pages["concurrency"] == {"group": "pages", "cancel-in-progress": False}  # held when called, too
    # a caller holding its callee's group would wait for itself: GitHub cancels such a run
    assert update["concurrency"] == {"group": "update", "cancel-in-progress": False}
    for job in update["jobs"].values():
        assert "concurrency" not in job


def test_the_comments_explain_the_choices(origin):
    text = git(origin, "show", f"{BRANCH}:{UPDATE}")
    comments = " ".join(line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line)
    for said in ("GITHUB_TOKEN starts no other workflow", "workflow_call", "arXiv has announced",
                 "continue-on-error", "`pages` group"):
        assert said in comments, said


# ---------------------------------------------------------------- the steps, run

def test_new_papers_make_one_commit_that_counts_them_and_the_next_run_none(origin, machine, arxiv_api, hf_api):
    arxiv_api.papers = new_arxiv_papers(3)
    hf_api.items = [daily_item("2403.20001", today(), upvotes=7), daily_item("2403.20002", today())]
    before = history(origin)
    run = run_update_job(origin, machine)
    assert not run.failed, show(run)
    assert run.outcomes == {"step0": "success", "step1": "success", "step2": "success", "update": "success",
                            "commit": "success", "step5": "skipped"}
    assert machine["install_log"].read_text().splitlines() == ["-m", "pip", "install", INSTALL]
    after = history(origin)
    assert after[1:] == before  # one commit, on the default branch
    subject, body = message(origin)
    assert subject == "Add 5 papers (sitegen update)"
    assert body == [f"{ARXIV}: 3 written, 0 updated, 0 skipped", f"{HF}: 2 written, 0 updated, 0 skipped"]
    assert git(origin, "log", "-1", "--format=%an <%ae>|%cn <%ce>").strip() == f"{BOT}|{BOT}"
    assert committed_files(origin) == [f"content/arxiv/2403.{10000 + n}.md" for n in range(3)] + [
        "content/daily/2403.20001.md", "content/daily/2403.20002.md"]
    assert job_outputs(origin, run) == {"changed": "true", "branch": BRANCH}
    assert publishes(origin, run)
    # the next day, the same answers: nothing to commit, nothing to publish
    again = run_update_job(origin, machine)
    assert not again.failed, show(again)
    assert history(origin) == after
    assert job_outputs(origin, again)["changed"] == "false" and not publishes(origin, again)
    assert "nothing to commit" in show(again)


def test_new_and_updated_entries_are_counted_apart(origin, machine, arxiv_api, hf_api):
    arxiv_api.papers = new_arxiv_papers(2)
    hf_api.items = [daily_item("2403.20001", today(), upvotes=7), daily_item("2403.20002", today())]
    assert not run_update_job(origin, machine).failed
    arxiv_api.papers = new_arxiv_papers(3)  # one more
    hf_api.items[0]["paper"]["upvotes"] = 40  # `update: true` rewrites it
    run = run_update_job(origin, machine)
    assert not run.failed, show(run)
    subject, body = message(origin)
    assert subject == "Add 1 paper, update 1 (sitegen update)"
    assert body == [f"{ARXIV}: 1 written, 0 updated, 2 skipped", f"{HF}: 0 written, 1 updated, 1 skipped"]
    assert committed_files(origin) == ["content/arxiv/2403.10002.md", "content/daily/2403.20001.md"]
    hf_api.items[1]["paper"]["upvotes"] = 41
    assert not run_update_job(origin, machine).failed
    assert message(origin)[0] == "Update 1 paper (sitegen update)"


def test_a_failed_source_commits_the_others_entries_and_fails_the_job(origin, machine, arxiv_api, hf_api):
    arxiv_api.papers = new_arxiv_papers(3)
    arxiv_api.fail(*[answer(200, LOGIN_PAGE, "text/html")] * 5)  # a captive portal's page, not Atom
    hf_api.items = [daily_item("2403.20001", today()), daily_item("2403.20002", today())]
    before = history(origin)
    run = run_update_job(origin, machine)
    assert run.failed
    assert run.outcomes["update"] == "failure" and run.outcomes["commit"] == "success"
    assert run.outcomes["step5"] == "failure"  # the job fails where it says why
    assert "::error::sitegen update failed" in show(run)
    assert history(origin)[1:] == before
    assert committed_files(origin) == ["content/daily/2403.20001.md", "content/daily/2403.20002.md"]
    subject, body = message(origin)
    assert subject == "Add 2 papers (sitegen update)"
    assert body[0].startswith(f"{ARXIV}: failed, nothing written: ") and body[1:] == [
        f"{HF}: 2 written, 0 updated, 0 skipped"]
    assert publishes(origin, run)  # what was committed is published all the same


def test_when_every_source_fails_nothing_is_committed_and_the_job_fails(origin, machine, arxiv_api, hf_api):
    arxiv_api.papers = new_arxiv_papers(3)
    arxiv_api.fail(answer(404))
    hf_api.items = [daily_item("2403.20001", today())]
    hf_api.fail(answer(200, b'[{"paper": {"id": "2403.2', "application/json"))  # broken off
    before = history(origin)
    run = run_update_job(origin, machine)
    assert run.failed and run.outcomes["update"] == "failure" and run.outcomes["step5"] == "failure"
    assert history(origin) == before
    assert not publishes(origin, run)
    assert git(run.workspace, "status", "--porcelain", "--untracked-files=all") == ""  # nothing half-written


def test_a_half_written_file_is_never_committed(origin, machine, arxiv_api, hf_api):
    """An update stopped while writing (its step's time ran out) leaves the temporary
    file of an entry beside it: the whole entries are committed, the temporary one not."""
    hf_api.items = [daily_item("2403.20001", today())]
    machine["sitegen_then"]('if [ "$1" = update ]; then mkdir -p content/arxiv\n'
                            '  printf "id: 2403.1" > content/arxiv/.2403.10000.md.x8k2j1.tmp\n'
                            '  printf "id: 2403.2" > content/daily/.2403.20002.md.q0z3v4.tmp\n'
                            '  status=143\nfi')
    run = run_update_job(origin, machine)
    assert run.failed and run.outcomes["update"] == "failure" and run.outcomes["commit"] == "success"
    assert committed_files(origin) == ["content/daily/2403.20001.md"]
    assert git(origin, "ls-tree", "-r", "--name-only", BRANCH, "content").split() == [
        "content/authors.yaml", "content/daily/2403.20001.md", "content/papers/hippo.yaml",
        "content/papers/monarch.md"]


def test_a_push_made_meanwhile_is_kept_and_the_entries_go_on_top(origin, machine, arxiv_api, hf_api, tmp_path):
    hf_api.items = [daily_item("2403.20001", today())]
    person = tmp_path / "person"

    def someone_pushes():  # after the job's checkout, before its push
        git(tmp_path, "clone", "--quiet", str(origin), str(person))
        (person / "content/papers/mine.yaml").write_text(
            "id: mine\ntitle: Mine\nauthors: [Ann Lee]\nabstract: Mine.\npublished: 2024-01-02\n")
        git(person, "add", "--all")
        as_person(person, "An entry of my own")
        git(person, "push", "--quiet", "origin", BRANCH)

    run = run_update_job(origin, machine, before_steps=someone_pushes)
    assert not run.failed, show(run)
    subjects = git(origin, "log", "--format=%s", BRANCH).splitlines()
    assert subjects == ["Add 1 paper (sitegen update)", "An entry of my own", "A new listing"]
    assert committed_files(origin) == ["content/daily/2403.20001.md"]
    assert committed_files(origin, f"{BRANCH}~1") == ["content/papers/mine.yaml"]
