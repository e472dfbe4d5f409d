import yaml

from sitegen.cli import main
from sitekit import build_dir


def test_init_scaffolds_a_site_that_builds(tmp_path, runner):
    target = tmp_path / "mysite"
    result = runner.invoke(main, ["init", str(target), "--title", "Lab papers"])
    assert result.exit_code == 0, result.output
    assert "cd " in result.output and "sitegen serve" in result.output
    for name in ("sitegen.yaml", "content/papers/monarch.md", "content/papers/hippo.yaml",
                 "content/authors.yaml", ".gitignore", "README.md", ".github/workflows/pages.yml"):
        assert (target / name).is_file(), name
    settings = yaml.safe_load((target / "sitegen.yaml").read_text())
    assert settings["title"] == "Lab papers" and settings["base_url"] == "/"
    report = build_dir(target)
    assert report.warnings == [] or all(w.field == "base_url" for w in report.warnings)
    assert (target / "output/papers/2203.00555/index.html").is_file()
    assert "/output/" in (target / ".gitignore").read_text()


def test_workflow_uses_githubs_pages_actions(tmp_path, runner):
    runner.invoke(main, ["init", str(tmp_path / "s"), "--install-spec", "sitegen==0.1.0"])
    workflow = yaml.safe_load((tmp_path / "s/.github/workflows/pages.yml").read_text())
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key 'on' as true
    build = workflow["jobs"]["build"]["steps"]
    uses = [step.get("uses", "") for step in build]
    assert any(u.startswith("actions/configure-pages@") for u in uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    pages_step = next(step for step in build if step.get("uses", "").startswith("actions/configure-pages@"))
    assert pages_step["id"] == "pages"
    run = "\n".join(step.get("run", "") for step in build)
    assert 'sitegen build --base-url "${{ steps.pages.outputs.base_url }}/"' in run
    assert "pip install sitegen==0.1.0" in run
    upload = next(step for step in build if step.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "output"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_init_refuses_a_non_empty_folder_and_never_overwrites(tmp_path, runner):
    target = tmp_path / "busy"
    target.mkdir()
    (target / "sitegen.yaml").write_text("title: Mine\n")
    refused = runner.invoke(main, ["init", str(target)])
    assert refused.exit_code == 1 and "not empty" in refused.output
    forced = runner.invoke(main, ["init", str(target), "--force"])
    assert forced.exit_code == 0 and "kept" in forced.output
    assert (target / "sitegen.yaml").read_text() == "title: Mine\n"
    assert (target / "content/papers/monarch.md").is_file()


def test_pages_base_url_with_a_trailing_slash_is_not_doubled(tmp_path):
    from sitegen.config import load_config
    config, _ = load_config(tmp_path, base_url="https://user.github.io/repo//")
    assert config.base_url == "https://user.github.io/repo/" and config.base_path == "/repo/"
