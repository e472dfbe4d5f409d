"""A paper's rendered text: its title and abstract as HTML and as plain text, and what
the search index takes of them. Markdown and MathML are the costliest part of
rendering a paper, so the engine renders each text once and keeps it (by the paper's
`text_key`); every page that shows the paper reads it from there."""

from __future__ import annotations

from dataclasses import dataclass

from sitegen.content.model import Paper
from sitegen.formats import search
from sitegen.formats.markup import Rendered, render_abstract, render_title


@dataclass(frozen=True)
class PaperText:
    """A paper's title and abstract as pages show them."""

    title: Rendered
    abstract: Rendered


@dataclass(frozen=True)
class RenderedText:
    """All a paper's text gives the site: what pages show, the search index's snippet
    and weighted terms (JSON), and the warnings rendering found (field, message)."""

    text: PaperText
    snippet: str
    terms: str
    warnings: list[tuple[str, str]]


def paper_text(paper: Paper) -> PaperText:
    return PaperText(render_title(paper.title), render_abstract(paper.abstract))


def render_text(paper: Paper) -> RenderedText:
    text = paper_text(paper)
    title, abstract = text.title, text.abstract
    warnings = [("title", w) for w in title.warnings] + [("abstract", w) for w in abstract.warnings]
    return RenderedText(text, search.snippet(abstract.text), search.text_terms(title.text, abstract.text), warnings)
