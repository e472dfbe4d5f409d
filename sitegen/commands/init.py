"""`sitegen init DIR`: a new site, ready to build, preview and publish on GitHub Pages.

The files are kept here as strings (so they ship inside the package); `__NAME__`
markers are filled in by `scaffold_files`.
"""

from __future__ import annotations

import json
import shlex
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import click

# sitegen is not on PyPI, and the PyPI project called "sitegen" is an unrelated program,
# so a bare `pip install sitegen` in the workflow would install the wrong thing. Unless
# init can tell where this sitegen came from, the workflow names this placeholder, which
# fails loudly until the user fills in the real location.
PLACEHOLDER_INSTALL = "sitegen @ git+https://github.com/OWNER/sitegen"

SETTINGS = """\
# Settings of this paper listing. Every key is optional: delete one to get its default.
# The values below are the defaults, except the title.

# The name of the site, shown in every page's header and title and in the feeds.
title: __TITLE__

# One line about the listing, for the front page, the feeds and search engines.
description: ""

# Where the site is published, e.g. https://user.github.io/repo/ (GitHub project pages)
# or https://papers.example.org/. Every link uses its path; feeds and the sitemap use the
# full URL. The GitHub Pages workflow (.github/workflows/pages.yml) sets it on every build
# with --base-url, so "/" can stay here for local previews (the build then warns that
# feeds carry paths only). With `sitegen deploy` or another host, write the full URL.
base_url: /

# Theme: "default", the name of a folder under themes/, or a path to a theme folder.
# Files in templates/ override the theme's templates of the same name; files in static/
# (favicon, images, CNAME) are copied into the site as they are.
theme: default

# The folder of paper entries (.md and .yaml files, in any sub-folders). The scheduled
# workflow commits what `sitegen update` writes into it: change its CONTENT_DIR too if
# you change it here ...
content: content
# ... and the folder the site is built into. The workflow uploads this folder: change
# its `path: output` too if you change it here.
output: output

# Language of the pages, as an IETF tag such as en, de or pt-BR.
language: en

# Papers per listing page; longer author, day and topic pages continue at page/2/, ...
per_page: 50

# How many of the newest papers each RSS feed (/feed.xml, per author, per topic) holds.
feed_items: 50

# How many of the newest listing days the front page shows.
index_days: 1

# Build a search index and a /search/ page (it runs in the browser). false builds faster.
search: true

# Put each paper's abstract in its BibTeX (cite.bib, the authors' works.bib, the Cite
# box). Left out by default, as arXiv's and Google Scholar's entries leave it out.
bibtex_abstracts: false

# A custom domain for GitHub Pages: `sitegen deploy` writes it to CNAME. With the
# workflow, set the domain in Settings → Pages instead.
# cname: papers.example.org

# What a build never removes from the output folder, which otherwise ends up holding
# exactly what the content makes: names or paths inside it, each keeping a file or a
# whole folder. Setting it replaces this default list.
# keep_files: [.git, .nojekyll, CNAME]

# Base URL of the arXiv API, used by `sitegen import arxiv` and `sitegen new --arxiv`.
# The environment variable SITEGEN_ARXIV_API overrides it.
# arxiv_api: https://export.arxiv.org/api/query

# The Hugging Face Daily Papers API, used by `sitegen import hf` and `hf` sources.
# The environment variable SITEGEN_HF_API overrides it.
# hf_api: https://huggingface.co/api/daily_papers

# What `sitegen update` imports, in order: arXiv API search queries (papers submitted in
# the last `since` days, or since a date; at most `max`, newest first) and the Daily
# Papers of the day. `update: true` rewrites entries a source wrote before when it gives
# them again (new upvotes, a new version). The scheduled workflow
# (.github/workflows/update.yml) runs `sitegen update` every day, commits what it wrote
# and publishes the site. arXiv's API has a paper once arXiv has announced it (at 20:00
# New York time, Sunday to Thursday), up to four days after its submission across a
# weekend: with `since: 5`, a daily run misses none (the ones it has are skipped).
# sources:
#   - arxiv: "cat:cs.LG AND abs:diffusion"
#     since: 5
#     max: 200
#   - hf: daily

# Papers in each week's digest (/weeks/feed.xml), its top papers by upvotes.
digest_size: 10

# Where readers subscribe (an RSS-to-email service such as Buttondown fed with
# /weeks/feed.xml): shown as a Subscribe link in every page's header.
# subscribe_url: https://buttondown.com/yourlist
"""

SAMPLE_MD = """\
---
id: '2203.00555'
title: 'Monarch: Expressive Structured Matrices for Efficient and Accurate Training'
authors:
- Tri Dao
- Beidi Chen
- Michael Poli
- Atri Rudra
- Christopher Ré
published: '2022-03-01'
day: '__TODAY__'
tags: [efficient training, structured matrices]
venue: ICML 2022
upvotes: 12
links:
  arxiv: https://arxiv.org/abs/2203.00555
  pdf: https://arxiv.org/pdf/2203.00555
---

A Markdown entry: the fields above are its front matter, and this text is its abstract.
Abstracts may use **Markdown**, inline math such as $O(n \\log n)$ and display math:

$$W = P L P^\\top R$$
"""

SAMPLE_YAML = """\
# A YAML file holds one entry, or a list of entries (for instance one file per day).
- id: '2206.12037'
  title: 'How to Train Your HiPPO: State Space Models with Generalized Orthogonal Basis Projections'
  authors: [Albert Gu, Isys Johnson, Aman Timalsina, Atri Rudra, Christopher Re]
  published: '2022-06-24'
  day: '__TODAY__'
  tags: [state space models]
  upvotes: 9
  links:
    arxiv: https://arxiv.org/abs/2206.12037
  abstract: >-
    A YAML entry keeps its abstract in the `abstract` field. Linear time-invariant state
    space models are a classical model from engineering and statistics.
"""

AUTHORS = """\
# Author profiles. An author of an entry is matched by name; "aliases" are other
# spellings that mean the same person (the HiPPO entry writes "Christopher Re").
# Fields: name (required), aliases, affiliation, url, orcid, bio.
- name: Christopher Ré
  aliases: [Christopher Re]
  affiliation: Stanford University
  url: https://cs.stanford.edu/people/chrismre/
"""

GITIGNORE = """\
# The built site and sitegen's cache: rebuilt from content/ at any time.
/output/
/.sitegen/
__pycache__/
"""

# GitHub's own Pages actions (see actions/starter-workflows, pages/): configure-pages
# reports the site's URL, upload-pages-artifact packs output/, deploy-pages publishes it.
WORKFLOW = """\
# Builds the site and publishes it on GitHub Pages on every push to main, and when the
# scheduled update (update.yml) has committed new entries: a push made by a workflow
# starts no other workflow, so update.yml calls this one itself.
# Once, on GitHub: Settings → Pages → Build and deployment → Source: "GitHub Actions".
name: Publish to GitHub Pages

on:
  push:
    branches: [main]
  workflow_dispatch: # adds a "Run workflow" button to the Actions tab
  workflow_call: # lets update.yml run this workflow after its commit
    inputs:
      ref:
        description: The branch to build; by default, the commit that started the run.
        type: string
        required: false
        default: ""

permissions:
  contents: read
  pages: write # to publish to Pages
  id-token: write # to prove the upload comes from this workflow

# One deployment at a time, also when update.yml calls this workflow: a run that waits
# is replaced by a newer one, and a running deployment is allowed to finish.
concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    env:
      # The one requirement pip installs. sitegen is not on PyPI (the PyPI project
      # named "sitegen" is a different program): name a git URL, pinned to a tag or
      # commit, e.g. "sitegen @ git+https://github.com/OWNER/sitegen@v0.1.0", a wheel
      # URL, or a version on your own package index.
      SITEGEN_INSTALL: __INSTALL__
    steps:
      # Called from update.yml, the commit that started the run is the one before the new
      # entries: build the branch it names instead, which holds them.
      - uses: actions/checkout@v4
        with:
          ref: ${{ inputs.ref }}
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install sitegen
        run: python -m pip install "$SITEGEN_INSTALL"
      - name: Check the entries
        run: sitegen check --format github # problems appear as annotations on the files
      - name: Look up the site's URL
        id: pages
        uses: actions/configure-pages@v5
      # base_url is the site's URL without a trailing slash: https://user.github.io/repo
      # for a project, https://user.github.io for user.github.io, or the custom domain.
      - name: Build
        run: sitegen build --base-url "${{ steps.pages.outputs.base_url }}/"
      - name: Upload the site
        uses: actions/upload-pages-artifact@v3
        with:
          path: output # the `output` setting of sitegen.yaml

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - name: Publish
        id: deployment
        uses: actions/deploy-pages@v4
"""

# The scheduled workflow: `sitegen update` every day, a commit when it wrote anything,
# and the site published by calling the Pages workflow (see the comments inside).
UPDATE_WORKFLOW = """\
# Keeps the listing current with nobody at the keyboard: every day it runs `sitegen
# update` (the `sources:` of sitegen.yaml), commits the new and changed entries to the
# default branch when there are any, and publishes the site with pages.yml.
# The Actions tab has a "Run workflow" button to run it at once.
name: Update the listing

on:
  schedule:
    # Every day at __TIME__. By then arXiv has announced the day's new papers (it does
    # at 20:00 New York time, Sunday to Thursday: 00:00 or 01:00 UTC), and the Daily
    # Papers of the day (a UTC date: `hf: daily` imports today's) have been listed, most
    # of them during the European and American working day. The run still ends well
    # before midnight UTC, when "today" becomes the next, still empty day, even if it
    # starts late, as scheduled runs do when GitHub is busy (busiest on the hour, hence
    # the odd minute). The time is UTC; change it here.
    - cron: "__CRON__"
  workflow_dispatch: # adds a "Run workflow" button to the Actions tab

permissions:
  contents: read # each job asks below for what more it needs

# One update at a time: a manual run waits for a running scheduled one. Publishing is
# kept from running over pages.yml's own runs by the `pages` group, which pages.yml
# holds also when called from here. Not `pages` here: a run whose caller and called
# workflow hold the same group would wait for itself, and GitHub cancels it.
concurrency:
  group: update
  cancel-in-progress: false

defaults:
  run:
    shell: bash # run with -e and -o pipefail: a failing command fails its step

jobs:
  update:
    runs-on: ubuntu-latest
    permissions:
      contents: write # to push the new entries
    outputs:
      changed: ${{ steps.commit.outputs.changed }}
      branch: ${{ steps.commit.outputs.branch }}
    env:
      # The same requirement as in pages.yml: where pip gets sitegen.
      SITEGEN_INSTALL: __INSTALL__
      # The default branch: a scheduled run's own (its event says no more), or the one
      # a manual run's event names, whatever branch the button was pressed on.
      BRANCH: ${{ github.event.repository.default_branch || github.ref_name }}
      CONTENT_DIR: content # the `content` setting of sitegen.yaml
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ env.BRANCH }}
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install sitegen
        run: python -m pip install "$SITEGEN_INSTALL"
      # A source that fails writes nothing, the others still write theirs, and sitegen
      # exits 1. What the others wrote is worth publishing, so the job goes on to commit
      # it (continue-on-error) and fails at its last step, where the failure shows.
      - name: Update the entries
        id: update
        continue-on-error: true
        timeout-minutes: 30
        run: sitegen update 2>&1 | tee "$RUNNER_TEMP/sitegen-update.log"
      - name: Commit the new entries
        id: commit
        run: |
          # What sitegen wrote into the content folder, and only whole entries: a file a
          # write left behind when it was stopped (.NAME.XXXX.tmp) is never committed.
          git add --all -- "$CONTENT_DIR" ':(exclude)*.tmp'
          if git diff --cached --quiet; then
            echo "No new or changed entries: nothing to commit."
            echo "changed=false" >> "$GITHUB_OUTPUT"
            exit 0
          fi
          # One file per paper: an added file is a new paper, any other an updated one.
          all=$(( $(git diff --cached --no-renames --name-only | wc -l) ))
          new=$(( $(git diff --cached --no-renames --name-only --diff-filter=A | wc -l) ))
          updated=$(( all - new ))
          papers() { if [ "$1" -eq 1 ]; then echo "1 paper"; else echo "$1 papers"; fi; }
          if [ "$new" -gt 0 ] && [ "$updated" -gt 0 ]; then
            subject="Add $(papers "$new"), update $updated"
          elif [ "$new" -gt 0 ]; then
            subject="Add $(papers "$new")"
          else
            subject="Update $(papers "$updated")"
          fi
          {
            echo "$subject (sitegen update)"
            echo
            grep -v '^note: ' "$RUNNER_TEMP/sitegen-update.log" || true # a line per source
          } > "$RUNNER_TEMP/commit-message"
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          git commit --quiet --file="$RUNNER_TEMP/commit-message"
          # A push made meanwhile (by a person, say) is kept: the commit goes on top of it.
          attempt=1
          until git push --quiet origin "HEAD:refs/heads/$BRANCH"; do
            if [ "$attempt" -ge 3 ]; then
              echo "::error::The new entries could not be pushed to $BRANCH."
              exit 1
            fi
            attempt=$(( attempt + 1 ))
            git pull --quiet --rebase origin "$BRANCH"
          done
          { echo "changed=true"; echo "branch=$BRANCH"; } >> "$GITHUB_OUTPUT"
          echo "Pushed to $BRANCH: $subject"
      - name: Fail if a source failed
        if: steps.update.outcome == 'failure'
        run: |
          echo "::error::sitegen update failed (see the step 'Update the entries'); the others' entries were kept."
          exit 1

  # Publishing. A push made with the workflow's GITHUB_TOKEN starts no other workflow
  # (GitHub's rule against endless loops), so the commit above does not start pages.yml
  # by its `push` trigger. This job calls pages.yml itself (a reusable workflow: its
  # `on: workflow_call`) rather than repeating its steps here or starting it through
  # GitHub's API: one file says how the site is built and published, whatever started
  # the run; the publication is part of this run, so a failed build shows here; and the
  # token needs no `actions: write` permission. It runs whenever the update job pushed,
  # also when a source failed and the others' entries were committed.
  publish:
    needs: update
    if: ${{ !cancelled() && needs.update.outputs.changed == 'true' }}
    permissions: # what pages.yml asks for
      contents: read
      pages: write
      id-token: write
    uses: ./.github/workflows/pages.yml
    with:
      ref: ${{ needs.update.outputs.branch }} # the branch, with the commit just pushed
"""

README = """\
# __HEADING__

A listing of papers, built with sitegen.

## Working on it

    sitegen serve      # preview on http://127.0.0.1:8000/, rebuilt and reloaded on every save
    sitegen new --title "A paper" --author "Ann Lee" --author "Bo Chen"
    sitegen new --arxiv 2203.00555    # an entry filled in from arXiv
    sitegen check      # validate every entry; writes nothing
    sitegen build      # build the site into output/

- `sitegen.yaml`: the site's settings, each one explained in the file.
- `content/`: the entries, one paper per `.md` file (front matter, then the abstract)
  or per `.yaml` file, or a `.yaml` list of papers (for instance one file per day).
- `content/authors.yaml`: author profiles.
- `output/`: the built site; it is not committed.

## Publishing on GitHub Pages

1. In `.github/workflows/pages.yml` and `.github/workflows/update.yml`, set
   `SITEGEN_INSTALL` to where pip gets sitegen.
2. Push this folder to a GitHub repository, with `main` as its branch.
3. On GitHub: Settings → Pages → Build and deployment → Source: **GitHub Actions**.

Every push to `main` then checks, builds and publishes the site; the workflow sets
`base_url` to the site's address, so links work under `https://user.github.io/repo/`.

## Keeping it current

List what to import under `sources:` in `sitegen.yaml` (arXiv queries, `hf: daily`);
`sitegen update` imports it. `.github/workflows/update.yml` runs it every day at
__TIME__ (the time is in the file), and from the **Run workflow** button of the
Actions tab: when it wrote new or changed entries, it commits them to `main` as
github-actions[bot] ("Add 12 papers (sitegen update)") and publishes the site. A day
with nothing new makes no commit. When a source fails, what the others wrote is still
committed and published, and the run is marked failed so that GitHub tells you.
The workflow pushes to `main` itself: a branch protection rule that requires pull
requests stops it.

Without Actions, `sitegen deploy` builds the site and pushes it to the `gh-pages`
branch (Source: **Deploy from a branch**, `gh-pages`). Set `base_url` in
`sitegen.yaml` to the site's full address first.
"""


# When the scheduled update runs, in UTC: see the comment above the cron line of
# UPDATE_WORKFLOW for why.
UPDATE_HOUR, UPDATE_MINUTE = 22, 17
UPDATE_CRON = f"{UPDATE_MINUTE} {UPDATE_HOUR} * * *"
UPDATE_TIME = f"{UPDATE_HOUR:02d}:{UPDATE_MINUTE:02d} UTC"

PAGES = ".github/workflows/pages.yml"
UPDATE = ".github/workflows/update.yml"
WORKFLOWS = (PAGES, UPDATE)


def detected_install_spec() -> str | None:
    """A pip requirement for the sitegen that is running, if it came from a public URL.

    pip records where a package came from (PEP 610, direct_url.json): a git URL with its
    commit, or an archive URL. A local folder or an editable checkout is of no use to CI.
    """
    from importlib import metadata

    try:
        text = metadata.distribution("sitegen").read_text("direct_url.json")
        info = json.loads(text) if text else None
    except (metadata.PackageNotFoundError, ValueError):
        return None
    if not isinstance(info, dict) or not isinstance(info.get("url"), str):
        return None
    url = info["url"]
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.username or parts.password:  # never copy credentials
        return None
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict):
        commit = vcs.get("commit_id")
        if vcs.get("vcs") != "git" or not isinstance(commit, str) or not commit.isalnum():
            return None
        return f"sitegen @ git+{url}@{commit}"
    if isinstance(info.get("archive_info"), dict):
        return f"sitegen @ {url}"
    return None


def _yaml_string(text: str) -> str:
    """A YAML scalar for any text: a JSON string is a valid YAML double-quoted one."""
    return json.dumps(text, ensure_ascii=False)


def scaffold_files(title: str, install_spec: str) -> dict[str, str]:
    today = date.today().isoformat()
    heading = " ".join(title.split()) or "Papers"
    return {
        "sitegen.yaml": SETTINGS.replace("__TITLE__", _yaml_string(title)),
        "content/papers/monarch.md": SAMPLE_MD.replace("__TODAY__", today),
        "content/papers/hippo.yaml": SAMPLE_YAML.replace("__TODAY__", today),
        "content/authors.yaml": AUTHORS,
        ".gitignore": GITIGNORE,
        "README.md": README.replace("__HEADING__", heading).replace("__TIME__", UPDATE_TIME),
        PAGES: WORKFLOW.replace("__INSTALL__", _yaml_string(install_spec)),
        UPDATE: (UPDATE_WORKFLOW.replace("__INSTALL__", _yaml_string(install_spec))
                 .replace("__CRON__", UPDATE_CRON).replace("__TIME__", UPDATE_TIME)),
    }


def scaffold(target: Path, *, title: str, install_spec: str,
             force: bool) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """Write the new site; return (written, kept, failed with why). Never overwrites anything."""
    if target.exists() and not target.is_dir():
        raise click.ClickException(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise click.ClickException(f"{target} is not empty; use --force to add the missing files "
                                   "to it (files already there are kept)")
    written, kept, failed = [], [], []
    for name, text in scaffold_files(title, install_spec).items():
        path = target / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except FileExistsError:
            kept.append(name)
        except OSError as error:
            failed.append((name, error.strerror or str(error)))
        else:
            written.append(name)
    return written, kept, failed


def _reusable(workflow: Path) -> bool:
    """Whether a workflow file says `on: workflow_call`, so that update.yml can call it."""
    import yaml

    try:
        spec = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    if not isinstance(spec, dict):
        return False
    triggers = spec.get(True, spec.get("on"))  # YAML 1.1 reads the key `on` as true
    if isinstance(triggers, str):
        triggers = [triggers]
    return isinstance(triggers, (list, dict)) and "workflow_call" in triggers


def _one_line(ctx, param, value: str | None) -> str | None:
    if value is None:
        return None
    if "\n" in value or "\r" in value or not value.strip():
        raise click.BadParameter("must be one non-empty line")
    return value.strip()


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="Papers", show_default=True, callback=_one_line, help="The site's name.")
@click.option("--install-spec", callback=_one_line,
              help="The pip requirement the workflows install, e.g. "
                   "'sitegen @ git+https://github.com/OWNER/sitegen@v0.1.0'. "
                   "[default: where this sitegen was installed from, if pip recorded a URL]")
@click.option("--force", is_flag=True, help="Add the missing files to a non-empty folder; existing files are kept.")
def init_command(directory: Path, title: str, install_spec: str | None, force: bool) -> None:
    """Create a new site in DIRECTORY: settings, sample entries, and GitHub workflows that
    publish it on GitHub Pages and keep it current with `sitegen update` every day.

    DIRECTORY is created if missing and must be empty unless --force is given; no
    existing file is ever overwritten.
    """
    spec = install_spec or detected_install_spec() or PLACEHOLDER_INSTALL
    written, kept, failed = scaffold(directory, title=title, install_spec=spec, force=force)
    for name in written:
        click.echo(f"  wrote   {directory / name}")
    for name in kept:
        click.echo(f"  skipped {directory / name} (already there, kept as it is)")
    for name, reason in failed:
        click.echo(f"  failed  {directory / name}: {reason}", err=True)
    if failed:
        raise click.ClickException(f"{len(failed)} file(s) could not be written")
    workflows = [name for name in WORKFLOWS if name in written]
    if spec == PLACEHOLDER_INSTALL and workflows:
        where = " and ".join(str(directory / name) for name in workflows)
        click.echo(f"\nBefore you push: set SITEGEN_INSTALL in {where}\n"
                   "to where pip can get sitegen (it is not on PyPI), or run init again with --install-spec.",
                   err=True)
    if UPDATE in written and PAGES in kept and not _reusable(directory / PAGES):
        click.echo(f"\nWarning: {directory / UPDATE} publishes the site by calling {PAGES},\n"
                   f"which was kept as it was and cannot be called: add `workflow_call:` to its `on:`\n"
                   "(as `sitegen init` writes it in a new folder), or the new entries are not published.",
                   err=True)
    if UPDATE in written:
        click.echo(f"\nOn GitHub, {UPDATE} runs `sitegen update` every day at {UPDATE_TIME} for the\n"
                   "`sources:` of sitegen.yaml, commits the new entries and publishes the site.")
    click.echo(f"\nNext: cd {shlex.quote(str(directory))} && sitegen serve")
