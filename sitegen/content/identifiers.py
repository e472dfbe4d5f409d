"""DOIs and arXiv ids as people write them, and the links they stand for.

A DOI is written bare (`10.48550/arXiv.2203.00555`, as BibTeX, Crossref and arXiv write
it), as a `doi:` URI or as a doi.org URL; an arXiv id bare (`2203.00555`, `1501.00001v2`,
`hep-th/9901001`, `math.GT/0309136`), with or without an `arXiv:` prefix. Validation
turns each into its one canonical link (`https://doi.org/…`, `https://arxiv.org/abs/…`),
which the model holds; metadata and BibTeX read the identifier back from that link.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

DOI_RESOLVER = "https://doi.org/"
ARXIV_ABS = "https://arxiv.org/abs/"

_DOI_URL = re.compile(r"https?://(?:www\.)?(?:dx\.)?doi\.org/", re.I)
_DOI_URI = re.compile(r"doi:\s*", re.I)
# A DOI is a prefix (10. and the registrant's code) and a suffix after the first '/'.
_DOI = re.compile(r"10\.[^/]+/.+", re.S)
# What a DOI keeps as is in the path of a doi.org URL: everything else (space, '"', '<',
# '>', '#', '?', '%', brackets, non-ASCII...) is percent-encoded, as the DOI Handbook
# asks of DOIs in URLs. '&' and "'" stay: HTML escaping deals with them.
_DOI_SAFE = "/:;()!$&'*+,=@~"

# New style (2007 on): 0704.0001, 2203.00555; old style: archive[.subject class]/YYMMNNN.
ARXIV_ID = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?")
_ARXIV_PREFIX = re.compile(r"arxiv:\s*", re.I)
_ARXIV_HOSTS = ("arxiv.org", "www.arxiv.org", "export.arxiv.org")


def doi_of(value: str) -> str | None:
    """The DOI a bare DOI, `doi:` URI or doi.org URL (http or https, doi.org or
    dx.doi.org, with or without www) names; None if the value is none of these.
    A URL's DOI is percent-decoded; a bare DOI is taken as written."""
    value = value.strip()
    if match := _DOI_URL.match(value):
        doi = unquote(value[match.end():])
    elif match := _DOI_URI.match(value):
        doi = value[match.end():]
    else:
        doi = value
    return doi if _DOI.fullmatch(doi) else None


def doi_url(doi: str) -> str:
    """The doi.org link of a DOI, safe in any URL and HTML attribute."""
    return DOI_RESOLVER + quote(doi, safe=_DOI_SAFE)


def arxiv_id_of(value: str) -> str | None:
    """The arXiv id a bare id (old or new style, with or without version, with or
    without `arXiv:`) names; None otherwise."""
    value = _ARXIV_PREFIX.sub("", value.strip(), count=1)
    return value if ARXIV_ID.fullmatch(value) else None


def arxiv_url(arxiv_id: str) -> str:
    return ARXIV_ABS + arxiv_id


def arxiv_id_of_link(url: str) -> str | None:
    """The arXiv id of an arxiv.org abstract or PDF link (the form the model holds), or
    of a bare id."""
    bare = arxiv_id_of(url)
    if bare is not None:
        return bare
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.hostname not in _ARXIV_HOSTS:
        return None
    path = parts.path.rstrip("/")
    for kind in ("/abs/", "/pdf/"):
        if path.startswith(kind):
            candidate = path[len(kind):].removesuffix(".pdf")
            return candidate if ARXIV_ID.fullmatch(candidate) else None
    return None
