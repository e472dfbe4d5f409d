"""`sitegen check --links`: every internal link and image of a built site resolves.

Pages are scanned with a pattern rather than an HTML parser: sitegen's templates and
its sanitiser always write attributes in double quotes, and a 10,000-paper site has
some 60,000 pages to read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from sitegen.problems import Problem

_LINK = re.compile(r'\s(?:href|src)="([^"]*)"')


def _files(output: Path) -> set[str]:
    found = set()
    for dirpath, _, filenames in os.walk(output):
        relative = os.path.relpath(dirpath, output)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        found.update(prefix + name for name in filenames)
    return found


def _target(url: str, page_url: str, base_path: str) -> str | None:
    """The output file a link points to, '' for one outside the site, None for external."""
    parts = urlsplit(urljoin(page_url, url))
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path.startswith(base_path):
        return ""
    path = path[len(base_path):]
    return path + "index.html" if path == "" or path.endswith("/") else path


def check_links(output: Path, base_path: str) -> list[Problem]:
    files = _files(output)
    problems = []
    for name in sorted(f for f in files if f.endswith(".html")):
        page_url = base_path + name.removesuffix("index.html")
        text = (output / name).read_text(encoding="utf-8", errors="replace")
        for match in _LINK.finditer(text):
            url = match.group(1).replace("&amp;", "&")
            if not url or url.startswith(("#", "mailto:")):
                continue
            target = _target(url, page_url, base_path)
            if target is None:
                continue
            if target == "" or (target not in files and target.rstrip("/") + "/index.html" not in files):
                line = text.count("\n", 0, match.start()) + 1
                where = "outside the site's base path" if target == "" else "to a missing page or file"
                problems.append(Problem(f"{output.name}/{name}", line, None, f"broken link {where}: {url}"))
    return problems


