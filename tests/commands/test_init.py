"""`sitegen init DIR`: the scaffolded site builds, and its Pages workflow has the expected shape
(the scheduled update.yml is run step by step in test_update_workflow.py)."""

import json

import pytest
import yaml

from sitegen.commands import init as scaffold
from sitegen.engine.build import build, check
from sitegen.config import KNOWN_KEYS, load_config
from sitegen.commands.init import PLACEHOLDER_INSTALL, UPDATE_TIME, init_command

FILES = ("sitegen.yaml", "content/papers/monarch.md", "content/papers/hippo.yaml", "content/authors.yaml",
         ".gitignore", "README.md", ".github/workflows/pages.yml", ".github/workflows/update.yml")


def init(runner, *args):
    return runner.invoke(init_command, [str(a) for a in args])


@pytest.fixture
def site(tmp_path, runner):
    target = tmp_path / "new" / "lab site"  # a missing parent and a space in the name
    result = init(runner, target, "--title", "Lab papers: daily # 1", "--install-spec", "sitegen==0.1.0")
    assert result.exit_code == 0, result.output
    return target, result


def workflow_of(target, name="pages.yml"):
    return yaml.safe_load((target / ".github/workflows" / name).read_text(encoding="utf-8"))


def test_init_writes_every_file_and_the_next_steps(site):
    target, result = site
    for name in FILES:
        assert (target / name).is_file(), name
        assert f"wrote   {target / name}" in result.output
    assert result.output.rstrip().endswith(f"Next: cd '{target}' && sitegen serve")
    ignored = (target / ".gitignore").read_text().splitlines()
    assert "/output/" in ignored and "/.sitegen/" in ignored
    assert (target / "README.md").read_text().startswith("# Lab papers: daily # 1\n")


def test_init_tells_of_the_scheduled_update_in_its_next_steps_and_the_readme(site):
    target, result = site
    said = " ".join(result.output.split())
    assert (f"On GitHub, .github/workflows/update.yml runs `sitegen update` every day at {UPDATE_TIME} for the "
            "`sources:` of sitegen.yaml, commits the new entries and publishes the site.") in said
    assert said.index("update.yml runs") < said.index("Next: cd")
    readme = " ".join((target / "README.md").read_text(encoding="utf-8").split())
    assert "## Keeping it current" in readme
    assert f"`.github/workflows/update.yml` runs it every day at {UPDATE_TIME}" in readme
    assert "In `.github/workflows/pages.yml` and `.github/workflows/update.yml`, set `SITEGEN_INSTALL`" in readme
    settings = (target / "sitegen.yaml").read_text(encoding="utf-8")
    assert "(.github/workflows/update.yml) runs `sitegen update` every day" in settings
    assert "change its CONTENT_DIR too" in settings
    assert workflow_of(target, "update.yml")["jobs"]["update"]["env"]["CONTENT_DIR"] == "content"


def test_settings_explain_every_key_and_keep_the_defaults(site):
    target, _ = site
    text = (target / "sitegen.yaml").read_text(encoding="utf-8")
    settings = yaml.safe_load(text)
    assert settings["title"] == "Lab papers: daily # 1"  # quoted, so ':' and '#' survive
    assert settings["base_url"] == "/"
    lines = text.splitlines()
    for key in KNOWN_KEYS:
        at = next((i for i, line in enumerate(lines) if line.lstrip("# ").startswith(f"{key}:")), None)
        assert at is not None, f"{key} is not in sitegen.yaml"
        assert lines[at - 1].startswith("#"), f"{key} has no comment above it"
    assert "workflow" in text[:text.index("base_url:")].rsplit("\n\n", 1)[-1]  # says the workflow sets it
    config, problems = load_config(target)
    assert problems == []
    assert (config.per_page, config.feed_items, config.index_days, config.search) == (50, 50, 1, True)


def test_the_scaffolded_site_checks_clean_and_builds(site):
    target, _ = site
    config, _ = load_config(target)
    assert check(config) == []
    report = build(config, jobs=1)
    assert [w.field for w in report.warnings] == ["base_url"]  # '/' has no host: feeds carry paths
    out = target / "output"
    for page in ("index.html", "papers/2203.00555/index.html", "papers/2206.12037/index.html",
                 "authors/christopher-re/index.html", "feed.xml"):
        assert (out / page).is_file(), page
    # the alias in authors.yaml joins "Christopher Re" (YAML entry) to "Christopher Ré" (Markdown entry)
    assert not (out / "authors/christopher-re-2").exists()
    author = (out / "authors/christopher-re/index.html").read_text(encoding="utf-8")
    assert "Stanford University" in author and "/papers/2203.00555/" in author and "/papers/2206.12037/" in author
    assert "<math" in (out / "papers/2203.00555/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("pages_base_url, path", [
    ("https://octocat.github.io/my-repo", "/my-repo/"),   # configure-pages v5: no trailing slash
    ("https://octocat.github.io/my-repo/", "/my-repo/"),  # older releases kept it: no '//' either way
    ("https://octocat.github.io", "/"),
    ("https://papers.example.org", "/"),
])
def test_the_workflows_base_url_gives_the_right_paths(site, pages_base_url, path):
    target, _ = site
    build_line = next(s["run"] for s in workflow_of(target)["jobs"]["build"]["steps"] if s.get("name") == "Build")
    argument = build_line.split("--base-url ", 1)[1].strip('"')
    config, problems = load_config(target, base_url=argument.replace("${{ steps.pages.outputs.base_url }}",
                                                                     pages_base_url))
    assert problems == [] and config.base_path == path
    assert config.base_url == pages_base_url.rstrip("/") + "/"
    report = build(config, jobs=1)
    assert report.warnings == []
    index = (target / "output/index.html").read_text(encoding="utf-8")
    assert f'href="{path}papers/2203.00555/"' in index


def test_workflow_builds_and_publishes_with_githubs_pages_actions(site):
    target, _ = site
    workflow = workflow_of(target)
    # YAML 1.1: on → True; workflow_call: update.yml calls it after pushing new entries
    assert workflow[True] == {"push": {"branches": ["main"]}, "workflow_dispatch": None, "workflow_call": {
        "inputs": {"ref": {"description": "The branch to build; by default, the commit that started the run.",
                           "type": "string", "required": False, "default": ""}}}}
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build_job = workflow["jobs"]["build"]
    assert build_job["env"]["SITEGEN_INSTALL"] == "sitegen==0.1.0"
    steps = build_job["steps"]
    uses = [s["uses"] for s in steps if "uses" in s]
    assert uses == ["actions/checkout@v4", "actions/setup-python@v5", "actions/configure-pages@v5",
                    "actions/upload-pages-artifact@v3"]
    setup = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert setup["with"] == {"python-version": "3.12"}
    runs = [s["run"] for s in steps if "run" in s]
    assert runs == ['python -m pip install "$SITEGEN_INSTALL"', "sitegen check --format github",
                    'sitegen build --base-url "${{ steps.pages.outputs.base_url }}/"']
    order = [s.get("uses") or s["run"] for s in steps]
    assert order.index("actions/configure-pages@v5") < order.index(runs[2]) < order.index(
        "actions/upload-pages-artifact@v3")
    configure = next(s for s in steps if s.get("uses") == "actions/configure-pages@v5")
    assert configure["id"] == "pages"
    upload = next(s for s in steps if s.get("uses") == "actions/upload-pages-artifact@v3")
    assert upload["with"] == {"path": "output"}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"] == {"name": "github-pages", "url": "${{ steps.deployment.outputs.page_url }}"}
    assert [(s["id"], s["uses"]) for s in deploy["steps"]] == [("deployment", "actions/deploy-pages@v4")]


def test_an_install_spec_with_spaces_and_quotes_stays_one_yaml_string(tmp_path, runner):
    spec = 'sitegen @ git+https://github.com/me/sitegen@v0.1.0 ; python_version >= "3.10"  # pinned'
    assert init(runner, tmp_path / "s", "--install-spec", spec).exit_code == 0
    assert workflow_of(tmp_path / "s")["jobs"]["build"]["env"]["SITEGEN_INSTALL"] == spec
    assert workflow_of(tmp_path / "s", "update.yml")["jobs"]["update"]["env"]["SITEGEN_INSTALL"] == spec


def test_without_an_install_spec_the_workflow_names_a_placeholder_and_init_says_so(tmp_path, runner, monkeypatch):
    monkeypatch.setattr(scaffold, "detected_install_spec", lambda: None)
    result = init(runner, tmp_path / "s")
    assert result.exit_code == 0
    assert workflow_of(tmp_path / "s")["jobs"]["build"]["env"]["SITEGEN_INSTALL"] == PLACEHOLDER_INSTALL
    assert workflow_of(tmp_path / "s", "update.yml")["jobs"]["update"]["env"]["SITEGEN_INSTALL"] == PLACEHOLDER_INSTALL
    assert "set SITEGEN_INSTALL" in result.stderr
    said = " ".join(result.stderr.split())
    assert f"{tmp_path / 's/.github/workflows/pages.yml'} and {tmp_path / 's/.github/workflows/update.yml'}" in said


class FakeDistribution:
    def __init__(self, direct_url):
        self.direct_url = direct_url

    def read_text(self, name):
        return json.dumps(self.direct_url) if self.direct_url is not None else None


@pytest.mark.parametrize("direct_url, expected", [
    ({"url": "https://github.com/lab/sitegen", "vcs_info": {"vcs": "git", "commit_id": "0123abcd" * 5}},
     "sitegen @ git+https://github.com/lab/sitegen@" + "0123abcd" * 5),
    ({"url": "https://example.org/sitegen-0.1.0-py3-none-any.whl", "archive_info": {}},
     "sitegen @ https://example.org/sitegen-0.1.0-py3-none-any.whl"),
    ({"url": "file:///home/me/sitegen", "dir_info": {"editable": True}}, None),  # CI cannot reach it
    ({"url": "https://me:token@github.com/lab/sitegen", "vcs_info": {"vcs": "git", "commit_id": "ab12"}}, None),
    (None, None),  # installed from an index: pip records nothing
])
def test_the_default_install_spec_comes_from_pips_record(monkeypatch, direct_url, expected):
    monkeypatch.setattr("importlib.metadata.distribution", lambda name: FakeDistribution(direct_url))
    assert scaffold.detected_install_spec() == expected


def test_init_refuses_a_non_empty_folder(tmp_path, runner):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    result = init(runner, target)
    assert result.exit_code == 1 and "not empty" in result.output and "--force" in result.output
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert "Traceback" not in result.output


def test_force_adds_the_missing_files_and_never_overwrites(tmp_path, runner):
    target = tmp_path / "busy"
    (target / "content").mkdir(parents=True)
    (target / "sitegen.yaml").write_text("title: Mine\n")
    (target / "content/authors.yaml").write_text("- name: Ann Lee\n")
    result = init(runner, target, "--force")
    assert result.exit_code == 0, result.output
    assert f"skipped {target / 'sitegen.yaml'}" in result.output
    assert f"skipped {target / 'content/authors.yaml'}" in result.output
    assert (target / "sitegen.yaml").read_text() == "title: Mine\n"
    assert (target / "content/authors.yaml").read_text() == "- name: Ann Lee\n"
    assert (target / "content/papers/monarch.md").is_file() and (target / ".github/workflows/pages.yml").is_file()
    again = init(runner, target, "--force")  # nothing left to write
    assert again.exit_code == 0 and "wrote" not in again.output and again.output.count("skipped") == len(FILES)


@pytest.mark.parametrize("on, warned", [
    ("on:\n  push:\n    branches: [main]\n", True),  # written by an older sitegen init
    ("on: [push, workflow_dispatch]\n", True),
    ("on: [push, workflow_call]\n", False),
    ("'on':\n  push:\n  workflow_call:\n    inputs:\n      ref: {type: string}\n", False),
])
def test_force_warns_when_the_kept_pages_workflow_cannot_be_called(tmp_path, runner, on, warned):
    target = tmp_path / "busy"
    (target / ".github/workflows").mkdir(parents=True)
    (target / ".github/workflows/pages.yml").write_text(f"name: Pages\n{on}jobs: {{}}\n")
    result = init(runner, target, "--force", "--install-spec", "sitegen==0.1.0")
    assert result.exit_code == 0 and (target / ".github/workflows/update.yml").is_file()
    assert ("cannot be called: add `workflow_call:`" in " ".join(result.stderr.split())) is warned


def test_init_on_a_file_or_with_a_blocked_path_is_a_clear_error(tmp_path, runner):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = init(runner, a_file)
    assert result.exit_code != 0 and "Traceback" not in result.output
    target = tmp_path / "blocked"
    target.mkdir()
    (target / "content").write_text("a file where a folder should be")
    result = init(runner, target, "--force")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "content/papers/monarch.md" in result.output and "could not be written" in result.output
    assert (target / "sitegen.yaml").is_file()  # the rest was still written


def test_a_multi_line_title_is_refused(tmp_path, runner):
    result = init(runner, tmp_path / "s", "--title", "two\nlines")
    assert result.exit_code == 2 and not (tmp_path / "s").exists()
