"""Scholarly metadata for a paper page, read by Google Scholar, Zotero and social sites:
Highwire Press `citation_*` tags, schema.org ScholarlyArticle JSON-LD, OpenGraph and
Twitter cards."""

from __future__ import annotations


from datetime import date

from markupsafe import Markup

from sitegen.formats import jsontext
from sitegen.formats import search
from sitegen.formats.bibtex import arxiv_id
from sitegen.content.identifiers import doi_of
from sitegen.config import Config
from sitegen.formats.shown import ShownPaper


def _absolute(config: Config, url: str) -> str:
    if url.startswith("/") and config.site_url:
        origin = config.site_url[: len(config.site_url) - len(config.base_path)]
        return origin + url
    return url


def highwire(paper: ShownPaper, config: Config) -> list[tuple[str, str]]:
    """`citation_*` meta tags, one `citation_author` per author in credit order."""
    record = paper.record
    tags = [("citation_title", paper.title_text)]
    tags += [("citation_author", author.name) for author in paper.authors]
    tags.append(("citation_publication_date", _slashed(record.published)))
    tags.append(("citation_online_date", _slashed(record.day)))
    links = dict(record.links)
    eprint = arxiv_id(record)
    pdf = links.get("pdf") or (f"https://arxiv.org/pdf/{eprint}" if eprint else None)
    if pdf:
        tags.append(("citation_pdf_url", _absolute(config, pdf)))
    if eprint:
        tags.append(("citation_arxiv_id", eprint))
        tags.append(("citation_technical_report_institution", "arXiv"))
    doi = doi_of(links["doi"]) if "doi" in links else None
    if doi:
        tags.append(("citation_doi", doi))
    if record.venue:
        tags.append(("citation_conference_title", record.venue))
    tags.append(("citation_abstract_html_url", config.absolute(paper.url[len(config.base_path):])))
    if record.tags:
        tags.append(("citation_keywords", "; ".join(record.tags)))
    tags.append(("citation_language", config.language))
    return tags


def description(paper: ShownPaper) -> str:
    """What the page's description, its cards for social sites and its JSON-LD say of
    the paper: its abstract's opening, cut after a whole word with an ellipsis
    (search.snippet). The whole abstract is on the page; repeated in the JSON-LD it was
    a seventh of a paper page's bytes."""
    return search.snippet(paper.abstract_text)


def _slashed(day: date) -> str:
    """2023/07/28: strftime took 1.2 us, a sixth of these tags' time."""
    return day.isoformat().replace("-", "/")


def json_ld(paper: ShownPaper, config: Config, summary: str) -> Markup:
    """ScholarlyArticle JSON, safe inside <script>: '<', '>' and '&' are \\u-escaped.
    `summary`: the paper's `description`."""
    record = paper.record
    data = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        # The whole title: Google's Article guidelines dropped their 110-character limit
        # for `headline` (they now ask only for concise titles), and a cut title says
        # something the paper does not; a reader's device may still shorten it as it shows it.
        "headline": paper.title_text,
        "name": paper.title_text,
        "author": [{"@type": "Person", "name": a.name, "url": _absolute(config, a.url)} for a in paper.authors],
        "datePublished": record.published.isoformat(),
        "description": summary,
        "url": config.absolute(paper.url[len(config.base_path):]),
        "identifier": record.id,
    }
    if record.tags:
        data["keywords"] = list(record.tags)
    if record.venue:
        data["isPartOf"] = {"@type": "PublicationEvent", "name": record.venue}
    identifiers = _identifiers(record)
    if identifiers:
        data["identifier"] = [record.id, *identifiers]
    same_as = [url for kind, url in record.links
               if kind in ("arxiv", "doi", "project") and url.lower().startswith(("https://", "http://"))]
    if same_as:
        data["sameAs"] = same_as
    if paper.thumbnail:
        data["image"] = _absolute(config, paper.thumbnail)
    text = jsontext.dumps_text(data)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def _identifiers(record) -> list[dict]:
    """The paper's DOI and arXiv id (those its meta tags give) as schema.org PropertyValues."""
    found = []
    doi = doi_of(dict(record.links).get("doi", ""))
    if doi:
        found.append({"@type": "PropertyValue", "propertyID": "DOI", "value": doi})
    eprint = arxiv_id(record)
    if eprint:
        found.append({"@type": "PropertyValue", "propertyID": "arXiv", "value": eprint})
    return found


def social(paper: ShownPaper, config: Config, summary: str) -> list[tuple[str, str, str]]:
    """(attribute, name, content) for OpenGraph (property=) and Twitter (name=) tags.
    `summary`: the paper's `description`."""
    tags = [
        ("property", "og:type", "article"),
        ("property", "og:site_name", config.title),
        ("property", "og:title", paper.title_text),
        ("property", "og:description", summary),
        ("property", "og:url", config.absolute(paper.url[len(config.base_path):])),
        ("property", "article:published_time", paper.record.published.isoformat()),
    ]
    tags += [("property", "article:tag", tag) for tag in paper.record.tags]
    card = "summary"
    if paper.thumbnail:
        tags.append(("property", "og:image", _absolute(config, paper.thumbnail)))
        card = "summary_large_image"
    tags += [("name", "twitter:card", card), ("name", "twitter:title", paper.title_text),
             ("name", "twitter:description", summary)]
    return tags
