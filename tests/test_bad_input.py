"""SPEC's bad-input promises: every problem named with file, line and field, a
non-zero exit, and the previous output/ byte-for-byte untouched."""

import errno
import os
import re
import sqlite3

import pytest

from sitekit import PAPER, output_tree, write_files
from sitegen.write import commit, staging
from sitegen.commands.cli import main
from sitegen.engine.textstore import TextStore

GOOD_MD = "---\nid: ok-md\ntitle: Fine\nauthors: [A B]\npublished: 2024-01-01\n---\nBody.\n"

CASES = {
    "yaml syntax error": ({"content/bad.yaml": "id: x\ntitle: [unclosed\nauthors: []\n"},
                          ["content/bad.yaml:3: YAML syntax error"]),
    "missing title": ({"content/bad.yaml": "id: x\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"},
                      ["content/bad.yaml:1: title: missing required field"]),
    "bad date": ({"content/bad.yaml": "id: x\ntitle: T\nauthors: [A]\nabstract: x\npublished: 2024-02-30\n"},
                 ["content/bad.yaml:5: published: not a valid date: '2024-02-30' (write YYYY-MM-DD"]),
    "date in another format": ({"content/bad.yaml": "id: x\ntitle: T\nauthors: [A]\nabstract: x\npublished: 13/03/2024\n"},
                               ["content/bad.yaml:5: published: not a valid date"]),
    "duplicate id": ({"content/a.yaml": "id: same\ntitle: T\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n",
                      "content/b/c.md": "---\nid: same\ntitle: U\nauthors: [B]\npublished: 2024-01-01\n---\nx\n"},
                     ["content/b/c.md:2: id: duplicate id 'same': content/a.yaml:1 has the same id"]),
    "path traversal id": ({"content/bad.yaml": "id: ../../etc/passwd\ntitle: T\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"},
                          ["content/bad.yaml:1: id: '../../etc/passwd' may hold only letters"]),
    "authors not a list": ({"content/bad.yaml": "id: x\ntitle: T\nauthors: Tri Dao\nabstract: x\npublished: 2024-01-01\n"},
                           ["content/bad.yaml:3: authors: expected a list of names, got text"]),
    "misspelt field": ({"content/bad.md": "---\nid: x\ntitle: T\nautors: [A]\npublished: 2024-01-01\n---\nx\n"},
                       ["content/bad.md:4: autors: unknown field (did you mean 'authors'?)",
                        "content/bad.md:2: authors: missing required field"]),
    "empty file": ({"content/empty.yaml": ""}, ["content/empty.yaml: file is empty"]),
    "empty markdown file": ({"content/empty.md": ""}, ["content/empty.md:1: a Markdown entry must start with YAML front matter"]),
    "non-utf8 bytes": ({"content/bad.yaml": b"id: x\ntitle: caf\xe9\n"}, ["content/bad.yaml:2: not valid UTF-8"]),
    "unterminated front matter": ({"content/bad.md": "---\nid: x\ntitle: T\n\nBody\n"},
                                  ["content/bad.md:1: front matter is not closed"]),
    "wrong types": ({"content/bad.yaml": "id: x\ntitle: [a, b]\nauthors: [A]\nabstract: {a: 1}\npublished: 2024-01-01\n"
                                         "upvotes: many\ntags: {a: b}\nlinks: [x]\nvenue: [v]\ndraft: 3\n"},
                    ["content/bad.yaml:2: title: expected text, got a list",
                     "content/bad.yaml:4: abstract: expected text, got a mapping",
                     "content/bad.yaml:6: upvotes: expected a whole number", "content/bad.yaml:7: tags: expected a list",
                     "content/bad.yaml:8: links: expected a mapping", "content/bad.yaml:9: venue: expected text",
                     "content/bad.yaml:10: draft: expected true or false"]),
    "javascript link": ({"content/bad.yaml": "id: x\ntitle: T\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"
                                             "links:\n  code: javascript:alert(1)\n"},
                        ["content/bad.yaml:7: links.code: only http and https links are allowed"]),
    "a list of non-papers": ({"content/bad.yaml": "- 1\n- two\n"},
                             ["content/bad.yaml:1: expected a paper (a mapping of fields), got a number",
                              "content/bad.yaml:2: expected a paper (a mapping of fields), got text"]),
    "authors.yaml not a list": ({"content/authors.yaml": "name: X\n"},
                                ["content/authors.yaml:1: expected a list of author profiles"]),
    "whitespace-only file": ({"content/blank.yaml": "  \n\t\n\n"}, ["content/blank.yaml: file is empty"]),
    "missing id": ({"content/bad.yaml": "title: T\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"},
                   ["content/bad.yaml:1: id: missing required field"]),
    "missing authors and date": ({"content/bad.yaml": "id: x\ntitle: T\nabstract: x\n"},
                                 ["content/bad.yaml:1: authors: missing required field",
                                  "content/bad.yaml:1: published: missing required field"]),
    "missing abstract in YAML": ({"content/bad.yaml": "id: x\ntitle: T\nauthors: [A]\npublished: 2024-01-01\n"},
                                 ["content/bad.yaml:1: abstract: missing required field"]),
    "bad listing day": ({"content/bad.yaml": "id: x\ntitle: T\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"
                                             "day: yesterday\n"}, ["content/bad.yaml:6: day: not a valid date"]),
    "absolute path id": ({"content/bad.yaml": "id: /etc/passwd\ntitle: T\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"},
                         ["content/bad.yaml:1: id: '/etc/passwd' may hold only letters"]),
    "dot-dot id": ({"content/bad.yaml": "id: ..\ntitle: T\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"},
                   ["content/bad.yaml:1: id: '..' may hold only letters"]),
    "duplicate key": ({"content/bad.yaml": "id: x\ntitle: T\ntitle: U\nauthors: [A]\nabstract: x\npublished: 2024-01-01\n"},
                      ["content/bad.yaml:3: title:"]),
    "credit without a name": ({"content/bad.yaml": "id: x\ntitle: T\nauthors:\n  - name: A\n  - affiliation: Somewhere\n"
                                                   "abstract: x\npublished: 2024-01-01\n"},
                              ["content/bad.yaml:5: authors[2].name: missing required field"]),
    "author profile without a name": ({"content/authors.yaml": "- aliases: [X Y]\n  affiliation: Somewhere\n"},
                                      ["content/authors.yaml:1: name: missing required field"]),
}
# docs/testing.md, "What the tests prove": the broken sites and the odd-but-valid ones it counts.
BROKEN_CASES, ODD_CASES = 26, 3

# Unusual but valid: each builds, and its pages land where they should.
ODD_BUT_VALID = {
    "byte order mark": (b"\xef\xbb\xbfid: bom\ntitle: T\nauthors: [A B]\nabstract: x\npublished: 2024-01-01\n",
                        ["papers/bom/index.html"]),
    "CRLF line ends": (b"id: crlf\r\ntitle: T\r\nauthors: [A B]\r\nabstract: |\r\n  two\r\n  lines\r\npublished: 2024-01-01\r\n",
                       ["papers/crlf/index.html"]),
    "names that look like paths": ("id: names\ntitle: T\nauthors: ['../../etc/passwd', '/root', '..', 'C:\\\\Windows']\n"
                                   "abstract: x\npublished: 2024-01-01\ntags: ['../../x', '.']\n",
                                   ["authors/etc-passwd/index.html", "authors/root/index.html",
                                    "authors/c-windows/index.html", "tags/x/index.html"]),
}


def test_the_matrix_holds_as_many_cases_as_the_readme_counts():
    assert (len(CASES), len(ODD_BUT_VALID)) == (BROKEN_CASES, ODD_CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_site_fails_with_position_and_keeps_output(case, make_site, runner):
    files, expected = CASES[case]
    site = make_site({"content/good.yaml": PAPER, "content/ok.md": GOOD_MD})
    result = runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    before = output_tree(site / "output")

    write_files(site, files)
    result = runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"])
    assert result.exit_code == 1
    for line in expected:
        assert line in result.stderr, f"{line!r} not in:\n{result.stderr}"
    assert "Traceback" not in result.output
    assert "nothing was written" in result.stderr
    assert output_tree(site / "output") == before


def test_every_problem_of_every_file_in_one_run(make_site, runner):
    files = {}
    for case, (case_files, _) in CASES.items():
        if case in ("duplicate id", "authors.yaml not a list", "author profile without a name"):
            continue
        for name, text in case_files.items():
            files[name.replace("content/", f"content/{case.replace(' ', '-')}/")] = text
    site = make_site(files)
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 1
    reported_files = {line.split(":")[0] for line in result.stderr.splitlines() if line.startswith("content/")}
    assert len(reported_files) == len(files)


def test_unknown_setting_is_a_warning_with_line(make_site, runner):
    site = make_site({"content/a.yaml": PAPER, "sitegen.yaml": "title: T\ntitel: X\n"})
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 0
    assert "sitegen.yaml:2: warning: titel: unknown setting, ignored (did you mean 'title'?)" in result.stderr


def test_bad_setting_is_an_error(make_site, runner):
    site = make_site({"content/a.yaml": PAPER, "sitegen.yaml": "per_page: lots\n"})
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 1
    assert "sitegen.yaml:1: per_page: expected a whole number of at least 1" in result.stderr


def test_symlink_out_of_content_is_not_followed(make_site, tmp_path, runner):
    secret = tmp_path / "secret.yaml"
    secret.write_text("id: secret\ntitle: Secret\nauthors: [X]\nabstract: s\npublished: 2024-01-01\n")
    site = make_site({"content/a.yaml": PAPER})
    (site / "content/link.yaml").symlink_to(secret)
    result = runner.invoke(main, ["build", "--site", str(site)])
    assert result.exit_code == 0
    assert not (site / "output/papers/secret").exists()


@pytest.mark.parametrize("case", sorted(ODD_BUT_VALID))
def test_odd_but_valid_entries_build(case, make_site, runner):
    text, pages = ODD_BUT_VALID[case]
    site = make_site({"content/odd.yaml": text})
    result = runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    built = set(output_tree(site / "output"))
    assert set(pages) <= built, sorted(built)
    outside = [p for p in site.parent.rglob("*") if not p.is_relative_to(site)]
    assert outside == [], outside  # nothing written beside the site


# A full disk or a folder without permission: one line naming the file, exit 1, no
# traceback, and the output folder as it was (or, if it came while files were moving
# in, a warning that it may hold part of the build).
EDITED = PAPER.replace("Monarch: Expressive", "Monarch: Very Expressive")


def test_a_full_disk_is_one_line_and_output_is_kept(make_site, runner, monkeypatch):
    site = make_site({"content/good.yaml": PAPER})
    assert runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"]).exit_code == 0
    before = output_tree(site / "output")
    write_files(site, {"content/good.yaml": EDITED})

    def write_new(path, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(staging, "write_new", write_new)
    result = runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"])
    assert result.exit_code == 1
    assert re.fullmatch(r"Error: [a-z-]+/\S+\.(html|bib|json|xml): No space left on device; "
                        r"nothing was written to the output folder\.\n", result.stderr), result.stderr
    assert output_tree(site / "output") == before


def test_a_cache_that_cannot_be_written_is_one_line(make_site, runner, monkeypatch):
    site = make_site({"content/good.yaml": PAPER})

    def add(self, rows):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(TextStore, "add", add)
    result = runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"])
    assert result.exit_code == 1
    assert result.stderr == ("Error: .sitegen/ (the build's cache): database or disk is full; "
                             "nothing was written to the output folder.\n")
    assert not (site / "output").exists()


def test_a_failure_while_moving_files_in_says_output_may_be_partial(make_site, runner, monkeypatch):
    site = make_site({"content/good.yaml": PAPER})
    assert runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"]).exit_code == 0
    write_files(site, {"content/good.yaml": EDITED})

    def replace(source, target):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), target)

    monkeypatch.setattr(commit, "_replace", replace)
    result = runner.invoke(main, ["build", "--site", str(site), "--jobs", "1"])
    assert result.exit_code == 1
    assert re.fullmatch(r"Error: \S+/output/\S+: Permission denied; "
                        r"the output folder may hold part of this build; build again once this is fixed\.\n",
                        result.stderr), result.stderr


# docs/testing.md, "What the tests prove": the write failures it counts, one for each place a build
# writes (staged files, the text cache, the move into output/). A new case joins them here.
WRITE_FAILURES = (test_a_full_disk_is_one_line_and_output_is_kept, test_a_cache_that_cannot_be_written_is_one_line,
                  test_a_failure_while_moving_files_in_says_output_may_be_partial)


def test_write_failures_are_as_many_as_the_readme_counts():
    assert len(WRITE_FAILURES) == 3
