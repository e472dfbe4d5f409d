"""The same synthetic listing as a Pelican site and as a Hugo site, with comparable pages:
a page per paper, per author and per topic (paginated by 50), per-author and per-topic
RSS feeds, and a front page listing."""

from __future__ import annotations

from pathlib import Path

from benchmarks.generate import Listing

PELICAN_CONF = """\
SITENAME = "Benchmark listing"
SITEURL = "https://example.org"
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 50
FEED_ALL_RSS = "feed.xml"
AUTHOR_FEED_RSS = "authors/{slug}/feed.xml"
TAG_FEED_RSS = "tags/{slug}/feed.xml"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
ARTICLE_URL = "papers/{slug}/"
ARTICLE_SAVE_AS = "papers/{slug}/index.html"
AUTHOR_URL = "authors/{slug}/"
AUTHOR_SAVE_AS = "authors/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
DAY_ARCHIVE_SAVE_AS = "days/{date:%Y}-{date:%m}-{date:%d}/index.html"
RELATIVE_URLS = False
"""

HUGO_CONF = """\
baseURL = "https://example.org/"
title = "Benchmark listing"
disableKinds = ["section"]
[pagination]
  pagerSize = 50
[taxonomies]
  author = "authors"
  tag = "tags"
[outputs]
  home = ["html", "rss"]
  term = ["html", "rss"]
  taxonomy = ["html"]
"""

HUGO_LAYOUTS = {
    "baseof.html": """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><header><a href="{{ "/" | relURL }}">{{ site.Title }}</a></header><main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_partials/card.html": """<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p>{{ range $i, $a := .GetTerms "authors" }}{{ if $i }}, {{ end }}<a href="{{ $a.RelPermalink }}">{{ $a.LinkTitle }}</a>{{ end }}</p>
<p>{{ .Date.Format "2006-01-02" }} · ▲ {{ .Params.upvotes }}</p>
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<div>{{ .Summary }}</div></article>
""",
    "single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1>
<p>{{ range .GetTerms "authors" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
<p>{{ range .GetTerms "tags" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ end }}</p>
{{ .Content }}</article>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range (.Paginate .Pages).Pages }}{{ partial "card.html" . }}{{ end }}
{{ with .Paginator }}{{ if .HasNext }}<a href="{{ .Next.URL }}">next</a>{{ end }}{{ end }}{{ end }}
""",
    "home.html": """{{ define "main" }}<h1>{{ site.Title }}</h1>
{{ range (.Paginate site.RegularPages).Pages }}{{ partial "card.html" . }}{{ end }}{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1><ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> {{ .Count }}</li>{{ end }}
</ul>{{ end }}
""",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_pelican(listing: Listing, root: Path) -> Path:
    content = root / "content"
    content.mkdir(parents=True, exist_ok=True)
    for papers in listing.days.values():
        for p in papers:
            meta = [f"Title: {p['title']}", f"Date: {p['day']}", f"Slug: {p['id']}",
                    f"Authors: {', '.join(p['authors'])}", f"Tags: {', '.join(p['tags'])}", "Category: papers"]
            (content / f"{p['id']}.md").write_text("\n".join(meta) + "\n\n" + p["abstract"] + "\n")
    (root / "pelicanconf.py").write_text(PELICAN_CONF)
    return root


def write_hugo(listing: Listing, root: Path) -> Path:
    content = root / "content" / "papers"
    content.mkdir(parents=True, exist_ok=True)
    for papers in listing.days.values():
        for p in papers:
            front = [f"title: {_quote(p['title'])}", f"date: {p['day']}", f"slug: {_quote(p['id'])}",
                     "authors: [" + ", ".join(_quote(a) for a in p["authors"]) + "]",
                     "tags: [" + ", ".join(_quote(t) for t in p["tags"]) + "]", f"upvotes: {p['upvotes']}"]
            (content / f"{p['id']}.md").write_text("---\n" + "\n".join(front) + "\n---\n\n" + p["abstract"] + "\n")
    (root / "hugo.toml").write_text(HUGO_CONF)
    for name, text in HUGO_LAYOUTS.items():
        path = root / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
