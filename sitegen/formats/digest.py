"""The weekly digest: an RSS 2.0 feed with one item per week, whose content is the week's
top papers as HTML that mail clients show as it is meant.

RSS-to-email services (Buttondown, Mailchimp's RSS campaigns and the like) mail an
item's `content:encoded` as the body of a message. Mail clients drop what a web page
may rely on, so the HTML keeps to what they all render: a one-column table of simple
blocks, every style inline (clients strip <style> and ignore classes), no script or
event handler, every link and image absolute (a message has no site to be relative
to), and every image with `alt` and its width, the text alone saying everything (many
readers never load images).

A format: it takes the weeks as plain data (`Week`) and their papers as the pages show
them (`DigestPaper`, which `pages.views.PaperView` is); fields are written through
feeds.py's `channel` and `item`, as every feed's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from typing import Protocol, Sequence

from sitegen.config import Config
from sitegen.formats import feeds
from sitegen.formats.shown import Memo, ShownPaper
from sitegen.formats.search import snippet
from sitegen.lru import LRUCache

DIGEST_AUTHORS = 8  # names a paper's block gives; "and N more" says the rest
THUMBNAIL_WIDTH = 480  # pixels: the width attribute Outlook sizes an image by (its height follows the image's)

# Inline styles. Mail clients ignore stylesheets and classes, and a few (Outlook) use
# the HTML attributes (width, cellpadding, border) rather than CSS.
_FONT = "font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
_TABLE = f"width:100%;max-width:640px;border-collapse:collapse;{_FONT}color:#1a1b1e;"
_INTRO = "padding:0 0 16px 0;font-size:15px;line-height:1.5;"
_CELL = "padding:16px 0;border-top:1px solid #e3e4e8;"
_LAST_CELL = "padding:16px 0 0 0;border-top:1px solid #e3e4e8;font-size:15px;line-height:1.5;"
_META = "margin:0 0 4px 0;font-size:13px;line-height:1.4;color:#52565e;"
_TITLE = "margin:0 0 6px 0;font-size:18px;line-height:1.3;font-weight:bold;"
_AUTHORS = "margin:0 0 8px 0;font-size:14px;line-height:1.4;color:#52565e;"
_ABSTRACT = "margin:0 0 8px 0;font-size:15px;line-height:1.5;color:#1a1b1e;"
_LINKS = "margin:0;font-size:14px;line-height:1.4;"
_PARAGRAPH = "margin:0;"
_LINK = "color:#1d4ed8;text-decoration:underline;"
_TITLE_LINK = "color:#1d4ed8;text-decoration:none;"
_IMAGE = f"display:block;width:100%;max-width:{THUMBNAIL_WIDTH}px;height:auto;border:0;margin:0 0 8px 0;"


class Labelled(Protocol):
    label: str  # "arXiv", "PDF", "Code"...
    url: str  # an http(s) URL or a link in the site (under its base path)


class DigestPaper(ShownPaper, Protocol):
    upvotes: int
    links: Sequence[Labelled]


@dataclass(frozen=True)
class Week:
    """One ISO week of the listing, as its digest shows it."""

    key: str  # '2024-W11'
    name: str  # how pages name it: 'week 11 of 2024 (from Mar 11)'
    path: str  # its page's site path
    start: date  # its first and last listing days
    end: date
    count: int  # papers listed that week
    papers: Sequence[DigestPaper]  # its top papers, by upvotes, as its page orders them


def feed(config: Config, *, title: str, description: str, page_path: str, feed_path: str,
         weeks: Sequence[Week], blocks: Memo | None = None) -> bytes:
    """The digest's channel: an item per week in `weeks` (newest first). Each item's date
    is the week's last listing day, so the output is reproducible and an item's date
    moves on while its week fills. A paper's block is the same in every build in which
    it shows the same: `blocks` (a process's cache) keeps them."""
    if blocks is None:
        blocks = LRUCache()
    return feeds.channel(config, title=title, description=description, page_path=page_path, feed_path=feed_path,
                         last=weeks[0].end if weeks else None,
                         items=[_week_item(config, week, blocks) for week in weeks])


def _week_item(config: Config, week: Week, blocks: Memo) -> bytes:
    titles = "; ".join(f"{rank}. {paper.title_text}" for rank, paper in enumerate(week.papers, 1))
    return feeds.item(title=f"Top papers of {week.name}", link=config.absolute(week.path), published=week.end,
                      description=f"{summary(week)} {titles}" if titles else summary(week),
                      content=week_html(config, week, blocks))


def summary(week: Week) -> str:
    """What the week's item holds, in a sentence: 'The 10 most upvoted of the 23 papers
    listed from March 11, 2024 to March 15, 2024.'"""
    shown, count = len(week.papers), week.count
    span = f"on {_long_date(week.start)}" if week.start == week.end else \
        f"from {_long_date(week.start)} to {_long_date(week.end)}"
    if shown < count:
        return f"The {shown} most upvoted of the {count} papers listed {span}."
    return f"The paper listed {span}." if count == 1 else f"The {count} papers listed {span}, by upvotes."


def week_html(config: Config, week: Week, blocks: Memo | None = None) -> str:
    """The week's top papers as email-safe HTML: a sentence saying what they are, a block
    per paper, and a link to the week's page."""
    if blocks is None:
        blocks = LRUCache()
    rows = [f'<tr><td style="{_INTRO}"><p style="{_PARAGRAPH}">{feeds.html_field(summary(week))}</p></td></tr>']
    for rank, paper in enumerate(week.papers, 1):
        upvotes = f"{paper.upvotes} upvote" + ("" if paper.upvotes == 1 else "s")
        # Kept as UTF-8, as every fragment a build's processes share is.
        block = blocks.get_or_make(("digest-paper", paper.id), lambda: paper_html(config, paper).encode()).decode()
        rows.append(f'<tr><td style="{_CELL}"><p style="{_META}">#{rank} · {upvotes}</p>{block}</td></tr>')
    everything = f"All {week.count} paper{'' if week.count == 1 else 's'} of {week.name}"
    rows.append(f'<tr><td style="{_LAST_CELL}"><p style="{_PARAGRAPH}">'
                f'{_link(config.absolute(week.path), everything, _LINK)}</p></td></tr>')
    return (f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="{_TABLE}">'
            + "".join(rows) + "</table>")


def paper_html(config: Config, paper: DigestPaper) -> str:
    """A paper's block: its title linked to its page, its authors, a thumbnail if it has
    one, its abstract's opening and its links. Plain text all of it (a title's or an
    abstract's markup and math as their text): mail clients show no MathML."""
    title = paper.title_text
    parts = [f'<h3 style="{_TITLE}">{_link(_absolute(config, paper.url), title, _TITLE_LINK)}</h3>']
    names = [author.name for author in paper.authors]
    if names:
        if len(names) > DIGEST_AUTHORS + 1:  # "and 1 more" would take the place of the name
            shown = ", ".join(names[:DIGEST_AUTHORS]) + f" and {len(names) - DIGEST_AUTHORS} more"
        else:
            shown = ", ".join(names)
        parts.append(f'<p style="{_AUTHORS}">{feeds.html_field(shown)}</p>')
    thumbnail = _absolute(config, paper.thumbnail) if paper.thumbnail else None
    if thumbnail:
        parts.append(f'<img src="{_attribute(thumbnail)}" alt="{_attribute("Thumbnail of " + title)}" '
                     f'width="{THUMBNAIL_WIDTH}" style="{_IMAGE}">')
    opening = snippet(paper.abstract_text)
    if opening:
        parts.append(f'<p style="{_ABSTRACT}">{feeds.html_field(opening)}</p>')
    links = [_link(url, link.label, _LINK) for link in paper.links if (url := _absolute(config, link.url))]
    if links:
        parts.append(f'<p style="{_LINKS}">{" · ".join(links)}</p>')
    return "".join(parts)


def _link(url: str, text: str, style: str) -> str:
    return f'<a href="{_attribute(url)}" style="{style}">{feeds.html_field(text)}</a>'


def _attribute(value: str) -> str:
    return html.escape(value, quote=True)


def _absolute(config: Config, url: str) -> str | None:
    """A link as a message gives it: absolute, http(s) only. A link in the site (under its
    base path) gets the site's origin; without one (a base_url with no host) it stays
    root-relative, as every feed's links do. Anything else is left out."""
    if url.startswith("/") and not url.startswith("//"):
        if config.site_url is None:
            return url
        return config.site_url[: len(config.site_url) - len(config.base_path)] + url
    return url if url.lower().startswith(("https://", "http://")) else None


def _long_date(day: date) -> str:
    return f"{day:%B} {day.day}, {day.year}"
