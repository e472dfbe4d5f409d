from datetime import date

import pytest

from sitekit import PAPER
from sitegen.commands.cli import main


@pytest.mark.parametrize("command", ["build", "check", "new", "serve"])
def test_help_reads_well(runner, command):
    result = runner.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage: main" in result.output or "Usage: sitegen" in result.output or "Usage:" in result.output
    assert len(result.output.splitlines()) > 5


def test_build_flags_override_settings(make_site, runner):
    site = make_site({"entries/a.yaml": PAPER, "sitegen.yaml": "title: From file\n"})
    result = runner.invoke(main, ["build", "--site", str(site), "--content", "entries", "--output", "public",
                                  "--base-url", "https://x.org/sub", "--jobs", "2"])
    assert result.exit_code == 0, result.output
    index = (site / "public/index.html").read_text()
    assert 'href="/sub/papers/2002.08071/"' in index and "From file" in index
    assert "15 rendered" not in result.output and "rendered" in result.output


def test_build_explain(make_site, runner):
    site = make_site({"content/a.yaml": PAPER})
    runner.invoke(main, ["build", "--site", str(site)])
    (site / "content/a.yaml").write_text(PAPER.replace("upvotes: 31", "upvotes: 32"))
    result = runner.invoke(main, ["build", "--site", str(site), "--explain"])
    assert "papers/2206.12037/index.html: inputs changed" in result.output
    assert "papers/2203.00555/index.html" not in result.output


def test_check_writes_nothing_and_reports(make_site, runner):
    site = make_site({"content/a.yaml": PAPER + "  autors: x\n"})
    result = runner.invoke(main, ["check", "--site", str(site)])
    assert result.exit_code == 1
    assert "content/a.yaml:27: autors: unknown field (did you mean 'authors'?)" in result.stderr
    assert not (site / "output").exists() and not (site / ".sitegen").exists()


def test_check_github_annotations(make_site, runner):
    site = make_site({"content/a.yaml": PAPER + "  autors: x\n"})
    result = runner.invoke(main, ["check", "--site", str(site), "--format", "github"])
    assert result.exit_code == 1
    assert "::error file=content/a.yaml,line=27,title=autors::" in result.output


def test_check_clean_site(make_site, runner):
    site = make_site({"content/a.yaml": PAPER})
    result = runner.invoke(main, ["check", "--site", str(site)])
    assert result.exit_code == 0 and "No problems found." in result.stderr


def test_new_writes_a_valid_entry_and_refuses_to_overwrite(make_site, runner):
    site = make_site({"content/a.yaml": PAPER})
    args = ["new", "--site", str(site), "--title", "Attention: $O(n^2)$ Is All", "--author", "Ann Lee",
            "--author", "Bo Chen", "--tags", "nlp, transformers", "--day", "2024-05-02"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    path = site / "content/attention-o-n-2-is-all.md"
    text = path.read_text()
    assert text.startswith("---\n") and "- Ann Lee\n- Bo Chen" in text and f"published: '{date.today()}'" in text
    again = runner.invoke(main, args)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert runner.invoke(main, ["build", "--site", str(site)]).exit_code == 0
    assert (site / "output/papers/attention-o-n-2-is-all/index.html").is_file()


def test_new_yaml_and_rejects_bad_ids(make_site, runner):
    site = make_site({"content/a.yaml": PAPER})
    ok = runner.invoke(main, ["new", "--site", str(site), "--title", "T", "--author", "A", "--id", "2401.00001",
                              "--format", "yaml", "--published", "2024-01-02"])
    assert ok.exit_code == 0
    assert "id: '2401.00001'" in (site / "content/2401.00001.yaml").read_text()
    bad = runner.invoke(main, ["new", "--site", str(site), "--title", "T", "--author", "A", "--id", "../evil"])
    assert bad.exit_code == 1 and "may hold only letters" in bad.stderr
    assert not (site / "evil.md").exists()


def test_check_links_reports_each_broken_link_with_page_and_line(make_site, runner):
    site = make_site({"content/a.yaml": PAPER.replace("Large neural networks", "See [fig](figures/one.png) and")})
    assert runner.invoke(main, ["build", "--site", str(site)]).exit_code == 0
    (site / "output/tags/index.html").unlink()
    result = runner.invoke(main, ["check", "--site", str(site), "--links"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if "broken link" in line]
    assert any(line.startswith("output/papers/2203.00555/index.html:") and "/figures/one.png" in line
               for line in lines)
    assert any("to a missing page or file: /tags/" in line for line in lines)
    (site / "static/figures").mkdir(parents=True)
    (site / "static/figures/one.png").write_bytes(b"\x89PNG")
    assert runner.invoke(main, ["build", "--site", str(site)]).exit_code == 0
    clean = runner.invoke(main, ["check", "--site", str(site), "--links"])
    assert clean.exit_code == 0, clean.stderr


def test_check_links_on_the_sample_site_is_clean(runner, tmp_path):
    import shutil

    from sitekit import REPO
    shutil.copytree(REPO / "content", tmp_path / "content")
    shutil.copy(REPO / "sitegen.yaml", tmp_path / "sitegen.yaml")
    assert runner.invoke(main, ["build", "--site", str(tmp_path)]).exit_code == 0
    result = runner.invoke(main, ["check", "--site", str(tmp_path), "--links"])
    assert result.exit_code == 0, result.stderr


def test_check_knows_every_path_the_build_plans(make_site, monkeypatch):
    """`sitegen check` warns of links to paths the site lacks without planning the build:
    its paths from the model are the plan's, listings paginated, sitemaps split, static files."""
    from sitegen.formats import feeds
    from sitegen.engine.build import prepare
    from sitegen.config import load_config
    from sitegen.pages.links import site_paths
    from sitegen.pages.plan import plan

    monkeypatch.setattr(feeds, "SITEMAP_LIMIT", 4)
    for settings in ("per_page: 1\n", "per_page: 2\nsearch: false\n"):
        site = make_site({"content/a.yaml": PAPER, "static/x/y.pdf": "%PDF", "sitegen.yaml": settings})
        config, _ = load_config(site)
        model, theme, _ = prepare(config)
        assert site_paths(model, config, theme) == {task.path for task in plan(model, config, theme).tasks}
