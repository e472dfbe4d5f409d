"""`sitegen init DIR`: a new site, ready to build, preview and publish on GitHub Pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

SETTINGS = """\
# Settings of this paper listing. Every key is optional; the values shown are the defaults
# unless said otherwise.

# The name of the site, shown in every page's header and title.
title: {title}

# One line about the listing, for the front page, feeds and search engines.
description: ""

# Where the site is published. Every link uses its path, feeds and the sitemap its full
# URL. The GitHub Pages workflow (.github/workflows/pages.yml) passes the right value with
# --base-url, so keep "/" here unless you publish some other way.
base_url: /

# Theme: "default", a folder under themes/, or a path. Files in templates/ override the
# theme's templates of the same name; files in static/ are copied as they are.
theme: default

# Folders of entries and of the built site.
content: content
output: output

# Language of the pages (an IETF tag such as en or de).
language: en

# Papers per listing page; author, day and topic pages paginate at page/2/, page/3/ ...
per_page: 50

# How many of the newest papers each RSS feed holds.
feed_items: 50

# How many of the newest listing days the front page shows.
index_days: 1

# Build a search index (Pagefind) and a /search/ page.
search: true

# Custom domain for GitHub Pages, written to CNAME by `sitegen deploy`.
# cname: papers.example.org

# Base URL of the arXiv API, for `sitegen import arxiv` and `sitegen new --arxiv`.
# arxiv_api: https://export.arxiv.org/api/query
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
day: '{today}'
tags: [efficient training, structured matrices]
venue: ICML 2022
upvotes: 12
links:
  arxiv: https://arxiv.org/abs/2203.00555
  pdf: https://arxiv.org/pdf/2203.00555
---

A Markdown entry: these fields are its front matter, and this text is its abstract.
Abstracts may use **Markdown**, inline math such as $O(n \\log n)$ and display math:

$$W = P L P^\\top R$$
"""

SAMPLE_YAML = """\
# A YAML file holds one entry, or a list of entries (for instance one file per day).
- id: '2206.12037'
  title: 'How to Train Your HiPPO: State Space Models with Generalized Orthogonal Basis Projections'
  authors: [Albert Gu, Isys Johnson, Aman Timalsina, Atri Rudra, Christopher Ré]
  published: '2022-06-24'
  day: '{today}'
  tags: [state space models]
  upvotes: 9
  links:
    arxiv: https://arxiv.org/abs/2206.12037
  abstract: >-
    A YAML entry keeps its abstract in the `abstract` field. Linear time-invariant state
    space models are a classical model from engineering and statistics.
"""

AUTHORS = """\
# Author profiles: aliases map other spellings of a name to the same person.
- name: Christopher Ré
  aliases: [Christopher Re]
  affiliation: Stanford University
  url: https://cs.stanford.edu/people/chrismre/
"""

GITIGNORE = """\
/output/
/.sitegen/
__pycache__/
"""

# GitHub's own Pages actions: configure-pages tells the site's URL (for project pages
# it ends in /<repo>), upload-pages-artifact packs output/, deploy-pages publishes it.
WORKFLOW = """\
name: Publish to GitHub Pages

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install sitegen
        run: python -m pip install {install_spec}
      - id: pages
        uses: actions/configure-pages@v5
      - name: Build
        run: sitegen build --base-url "${{{{ steps.pages.outputs.base_url }}}}/"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: output

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{{{ steps.deployment.outputs.page_url }}}}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""

README = """\
# {title}

A paper listing built with sitegen.

    sitegen serve        # preview on http://127.0.0.1:8000, reloading on every save
    sitegen new --title "A paper" --author "Ann Lee"   # add an entry
    sitegen check        # validate every entry
    sitegen build        # build into output/

Pushing to `main` publishes the site with GitHub Pages (Settings → Pages → Source:
GitHub Actions); see `.github/workflows/pages.yml`.
"""


def scaffold_files(title: str, install_spec: str) -> dict[str, str]:
    today = date.today().isoformat()
    return {
        "sitegen.yaml": SETTINGS.format(title=title),
        "content/papers/monarch.md": SAMPLE_MD.format(today=today),
        "content/papers/hippo.yaml": SAMPLE_YAML.format(today=today),
        "content/authors.yaml": AUTHORS,
        ".gitignore": GITIGNORE,
        "README.md": README.format(title=title),
        ".github/workflows/pages.yml": WORKFLOW.format(install_spec=install_spec),
    }


def scaffold(target: Path, *, title: str, install_spec: str, force: bool) -> tuple[list[str], list[str]]:
    """Write the new site; return (written, skipped). Never overwrites a file."""
    if target.exists() and not target.is_dir():
        raise click.ClickException(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise click.ClickException(f"{target} is not empty; use --force to add the missing files to it")
    written, skipped = [], []
    for name, text in scaffold_files(title, install_spec).items():
        path = target / name
        if path.exists():
            skipped.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(name)
    return written, skipped


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default="Papers", show_default=True, help="The site's name.")
@click.option("--install-spec", default="sitegen", show_default=True,
              help="What the Pages workflow installs with pip, e.g. 'sitegen==0.1.0' or a git URL.")
@click.option("--force", is_flag=True, help="Add the files to a non-empty folder (existing files are kept).")
def init_command(directory: Path, title: str, install_spec: str, force: bool) -> None:
    """Create a new site in DIRECTORY: settings, sample entries and a GitHub Pages workflow."""
    written, skipped = scaffold(directory, title=title, install_spec=install_spec, force=force)
    for name in written:
        click.echo(f"  wrote {directory / name}")
    for name in skipped:
        click.echo(f"  kept  {directory / name} (already there)")
    click.echo(f"\nNext: cd {directory} && sitegen serve")
