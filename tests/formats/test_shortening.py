"""Every text the site shortens is cut after a whole word and marked as cut; titles are
never shortened.

Titles and abstracts shaped like a real listing's: titles over 110 characters (the
limit Google's Article guidelines set for `headline` until 2023, which cut 31 of 370
real titles inside a word), an abstract whose 280-character opening ends inside a long
URL, one in Chinese, one of plain prose. Each is followed into every place a text is
shortened: the page's description, OpenGraph and Twitter cards, the JSON-LD, feed
synopses, search snippets and card excerpts.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import feedparser
import yaml

from sitekit import build_dir

LONG_TITLES = [
    "An Accelerated Proximal Gradient Method for Sparse Optimization with Manifold Identification and Active-Set Complexity",
    "Scaling Laws for Mixture-of-Experts Language Models under Compute, Memory and Communication Constraints at Inference",
    "Beyond Neural Scaling Laws: Beating Power Law Scaling via Data Pruning, Curriculum Design and Self-Supervised Pruning Metrics",
    "Provably Efficient Reinforcement Learning with Linear Function Approximation under Adaptivity Constraints and Delayed Feedback",
    r"Fast $O(n \log n)$ Attention: Structured State Space Sequence Models with Hardware-Aware Parallel Scans and Kernels",
]
URL = "https://github.com/example-lab/" + "structured-state-space-sequence-models-" * 6 + "reference-implementation"
ABSTRACTS = {
    "url": "We release every trained model, the evaluation code and the raw measurements of this study at "
           f"{URL} for anyone to reproduce the results. " + "Every table and figure of the paper comes with the "
           "script that made it, the seed it used and the time it took on the hardware we describe, so that "
           "a reader can check each number without asking us.",
    "chinese": "大型语言模型在许多自然语言处理任务上表现出色，但其推理能力仍然有限。" * 12,
    "prose": " ".join(["Structured matrices make neural networks efficient on modern hardware."] * 8),
}
# The abstract's opening each place shows: written out, not made by the code under test.
OPENINGS = {
    "url": "We release every trained model, the evaluation code and the raw measurements of this study at …",
    "chinese": ABSTRACTS["chinese"][:280] + "…",
    "prose": " ".join(["Structured matrices make neural networks efficient on modern hardware."] * 3)
             + " Structured matrices make neural networks efficient on modern …",
}


class _Head(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.json_ld: list[str] = []
        self._in_json = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "content" in attrs:
            self.meta[attrs.get("property") or attrs.get("name")] = attrs["content"]
        self._in_json = tag == "script" and attrs.get("type") == "application/ld+json"

    def handle_data(self, data):
        if self._in_json:
            self.json_ld.append(data)


def _head(path) -> _Head:
    head = _Head()
    head.feed(path.read_text(encoding="utf-8"))
    return head


def _site(make_site):
    entries = []
    for n, title in enumerate(LONG_TITLES):
        kind = list(ABSTRACTS)[n % len(ABSTRACTS)]
        entries.append({"id": f"2401.0000{n}", "title": title, "authors": ["Ada Lovelace", f"Author {n}"],
                        "abstract": ABSTRACTS[kind], "published": "2024-01-0%d" % (n + 1), "tags": ["shortening"]})
    site = make_site({"content/papers.yaml": yaml.safe_dump(entries, allow_unicode=True, width=1000),
                      "sitegen.yaml": "title: Listing\nbase_url: https://example.org/\n"})
    build_dir(site)
    return site / "output", entries


def _plain_title(title: str) -> str:
    return title.replace(r"$O(n \log n)$", "O(n log n)")


def test_titles_are_whole_in_structured_data_and_cards(make_site):
    output, entries = _site(make_site)
    for entry in entries:
        title = _plain_title(entry["title"])
        assert len(title) > 110
        head = _head(output / f"papers/{entry['id']}/index.html")
        data = json.loads(head.json_ld[0])
        assert data["headline"] == data["name"] == title
        assert head.meta["og:title"] == head.meta["twitter:title"] == head.meta["citation_title"] == title


def test_descriptions_and_synopses_end_after_a_whole_word(make_site):
    output, entries = _site(make_site)
    feed = {e.link: e for e in feedparser.parse((output / "feed.xml").read_bytes()).entries}
    snippets = {}
    for shard in (output / "search-index/docs").glob("*.json"):
        for paper_id, record in json.loads(shard.read_text(encoding="utf-8")).items():
            snippets[paper_id] = record[-1]
    for n, entry in enumerate(entries):
        opening = OPENINGS[list(ABSTRACTS)[n % len(ABSTRACTS)]]
        head = _head(output / f"papers/{entry['id']}/index.html")
        shown = {"description": head.meta["description"], "og:description": head.meta["og:description"],
                 "twitter:description": head.meta["twitter:description"],
                 "JSON-LD description": json.loads(head.json_ld[0])["description"],
                 "feed synopsis": feed[f"https://example.org/papers/{entry['id']}/"].summary,
                 "search snippet": snippets[entry["id"]]}
        for place, text in shown.items():
            assert text == opening, (place, text)


def test_card_excerpts_end_after_a_whole_word(make_site):
    output, entries = _site(make_site)
    page = (output / "tags/shortening/index.html").read_text(encoding="utf-8")
    excerpts = [" ".join(re.sub(r"<[^>]+>", " ", m).split())
                for m in re.findall(r'<div class="abstract[^"]*">(.*?)</div>', page, re.S)]
    assert len(excerpts) == len(entries)
    for excerpt in excerpts:
        assert excerpt.endswith("…") or excerpt.endswith("&hellip;"), excerpt
        words = excerpt.removesuffix("&hellip;").removesuffix("…").split()
        source = next(a for a in ABSTRACTS.values() if a.startswith(words[0][:5]))
        if words[0][0] < "\u3000":  # words: each a whole word of the abstract
            assert " ".join(words) == " ".join(source.split()[:len(words)]), excerpt
        else:  # Chinese: 40 characters
            assert words == [source[:40]], excerpt
