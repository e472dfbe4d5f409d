"""`sitegen.yaml` → a frozen Config. Every key is optional; unknown keys are warnings."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Iterator
from urllib.parse import urlsplit

from sitegen.problems import WARNING, Problem, did_you_mean
from sitegen.yamlfile import LinedDict, parse_yaml, read_text, type_name

CONFIG_FILE = "sitegen.yaml"
DEFAULT_ARXIV_API = "https://export.arxiv.org/api/query"
DEFAULT_HF_API = "https://huggingface.co/api/daily_papers"
DEFAULT_SOURCE_MAX = 200  # papers an arXiv query source writes at most
DEFAULT_DIGEST_SIZE = 10  # papers in a week's digest
# What a build never removes from output/ (Jekyll's keep_files): a checkout of the
# published branch, and the files GitHub Pages reads.
DEFAULT_KEEP_FILES = (".git", ".nojekyll", "CNAME")


@dataclass(frozen=True)
class Source:
    """One entry of `sources:`, what `sitegen update` imports: an arXiv API search query
    (`arxiv`), with how far back (`since`: days, or a date) and at most how many papers
    (`max`); or the Hugging Face Daily Papers of a day (`hf: daily`: today's). `update`:
    rewrite entries this source wrote before when it gives them again (upvotes, a new
    version); without it, an entry already in content/ is left as it is. `line`: where
    the entry is in sitegen.yaml."""

    kind: str  # "arxiv" or "hf"
    query: str = ""  # the arXiv search_query, or the Daily Papers' period ("daily")
    since: int | str = 1  # days back, or an ISO date (YYYY-MM-DD)
    max: int = DEFAULT_SOURCE_MAX
    update: bool = False
    line: int | None = field(default=None, compare=False)

    def describe(self) -> str:
        return f"arXiv {self.query!r}" if self.kind == "arxiv" else f"Daily Papers ({self.query})"


@dataclass(frozen=True)
class Config:
    root: Path
    title: str = "Papers"
    description: str = ""
    base_url: str = "/"
    theme: str = "default"
    content: str = "content"
    output: str = "output"
    language: str = "en"
    per_page: int = 50
    feed_items: int = 50
    index_days: int = 1
    arxiv_api: str = DEFAULT_ARXIV_API
    hf_api: str = DEFAULT_HF_API
    sources: tuple[Source, ...] = ()
    digest_size: int = DEFAULT_DIGEST_SIZE
    subscribe_url: str | None = None
    cname: str | None = None
    search: bool = True
    bibtex_abstracts: bool = False
    drafts: bool = False
    keep_files: tuple[str, ...] = DEFAULT_KEEP_FILES  # paths in output/, each kept whole
    jobs: int | None = None
    overrides: tuple = field(default=(), compare=False)

    @property
    def content_dir(self) -> Path:
        return (self.root / self.content).resolve()

    @property
    def output_dir(self) -> Path:
        return (self.root / self.output).resolve()

    @cached_property  # read for every link of every page
    def base_path(self) -> str:
        """The path part of base_url, always starting and ending with '/'."""
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"

    @cached_property
    def site_url(self) -> str | None:
        """Absolute base URL for feeds and the sitemap, or None if base_url has no host."""
        parts = urlsplit(self.base_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}{self.base_path}"
        return None

    def absolute(self, path: str) -> str:
        """A site path such as 'papers/x/' as a full URL (root-relative without a host)."""
        return (self.site_url or self.base_path) + path

    def link(self, path: str) -> str:
        """A site path as a link inside the site: root-relative, under the base path."""
        return self.base_path + path

    def public_settings(self) -> dict:
        """The settings pages may show; their digest is an input of every page."""
        return {
            "title": self.title,
            "description": self.description,
            "base_url": self.base_url,
            "language": self.language,
            "per_page": self.per_page,
            "feed_items": self.feed_items,
            "index_days": self.index_days,
            "search": self.search,
            "bibtex_abstracts": self.bibtex_abstracts,
            "subscribe_url": self.subscribe_url,  # every page's header links it
        }


_STRINGS = ("title", "description", "base_url", "theme", "content", "output", "language",
            "arxiv_api", "hf_api", "cname")
_URLS = ("subscribe_url",)
_POSITIVE_INTS = ("per_page", "feed_items", "index_days", "digest_size")
_FLAGS = ("search", "bibtex_abstracts")
_LISTS = ("keep_files", "sources")
KNOWN_KEYS = _STRINGS + _URLS + _POSITIVE_INTS + _FLAGS + _LISTS


def load_config(root: Path, **overrides) -> tuple[Config, list[Problem]]:
    """Read `root/sitegen.yaml` if present; command-line overrides win over the file."""
    root = root.resolve()
    problems: list[Problem] = []
    values: dict = {}
    path = root / CONFIG_FILE
    if path.is_file():
        values, problems = _read_file(path)
    for key, variable in (("arxiv_api", "SITEGEN_ARXIV_API"), ("hf_api", "SITEGEN_HF_API")):
        if os.environ.get(variable):
            values[key] = os.environ[variable]
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    if "base_url" in values:
        values["base_url"] = _normalise_base_url(values["base_url"])
        problems += _check_base_url(values["base_url"])
    config = Config(root=root, **values)
    return replace(config, overrides=tuple(sorted(given))), problems


def _read_file(path: Path) -> tuple[dict, list[Problem]]:
    shown = CONFIG_FILE
    text, problems = read_text(path, shown)
    if text is None:
        return {}, problems
    data, problems = parse_yaml(text, shown)
    if data is None:
        return {}, problems
    if not isinstance(data, LinedDict):
        return {}, problems + [Problem(shown, 1, None, f"expected a mapping of settings, got {type_name(data)}")]
    values = {}
    for key, value in data.items():
        line = data.lines.get(key)
        if key not in KNOWN_KEYS:
            problems.append(Problem(shown, line, key, "unknown setting, ignored",
                                    did_you_mean(key, KNOWN_KEYS), severity=WARNING))
        elif key in _POSITIVE_INTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(Problem(shown, line, key, f"expected a whole number of at least 1, got {value!r}"))
            else:
                values[key] = value
        elif key in _FLAGS:
            if not isinstance(value, bool):
                problems.append(Problem(shown, line, key, f"expected true or false, got {value!r}"))
            else:
                values[key] = value
        elif key == "keep_files":
            kept, bad = _keep_files(value, line)
            problems += bad
            if not bad:
                values[key] = kept
        elif key == "sources":
            sources, bad = _sources(value, line)
            problems += bad
            if not bad:
                values[key] = sources
        elif key in _URLS:
            if value is None:
                continue
            if not isinstance(value, str) or urlsplit(value.strip()).scheme not in ("http", "https") \
                    or not urlsplit(value.strip()).netloc or any(c.isspace() for c in value.strip()):
                problems.append(Problem(shown, line, key, f"expected an http(s) URL, got {value!r}",
                                        "write e.g. subscribe_url: https://buttondown.com/yourlist"))
            else:
                values[key] = value.strip()
        elif value is None:
            continue
        elif isinstance(value, (dict, list)):
            problems.append(Problem(shown, line, key, f"expected text, got {type_name(value)}"))
        else:
            values[key] = data.raw.get(key) if not isinstance(value, str) else value
    return values, problems


def _items(value: list, key: str, line: int | None) -> Iterator[tuple[object, int | None, str]]:
    """Each item of a list setting, with its line (the setting's, if the loader kept
    none) and its field name as problems give it ('sources[2]')."""
    lines = getattr(value, "lines", [])
    for index, item in enumerate(value):
        yield item, lines[index] if index < len(lines) else line, f"{key}[{index + 1}]"


def _keep_files(value, line: int | None) -> tuple[tuple[str, ...], list[Problem]]:
    """keep_files: a list of names or paths inside output/ ('.git', 'CNAME',
    'assets/vendor'), each keeping that file or that whole folder. As in Jekyll, the
    list replaces the default one; a path that leaves output/ is refused."""
    hint = "write e.g. keep_files: [.git, .nojekyll, CNAME], paths inside the output folder"
    if value is None:  # `keep_files:` with nothing after it, as other settings left empty
        return DEFAULT_KEEP_FILES, []
    if not isinstance(value, list):
        return (), [Problem(CONFIG_FILE, line, "keep_files", f"expected a list of names, got {type_name(value)}",
                            hint)]
    kept, problems = [], []
    for item, where, field_name in _items(value, "keep_files", line):
        if not isinstance(item, str):
            problems.append(Problem(CONFIG_FILE, where, field_name, f"expected a name, got {type_name(item)}", hint))
            continue
        path = PurePosixPath(item)
        if not item or item.startswith("/") or "\\" in item or "\x00" in item or ".." in path.parts \
                or path == PurePosixPath("."):
            problems.append(Problem(CONFIG_FILE, where, field_name,
                                    f"{item!r} is not a file or folder inside the output folder", hint))
            continue
        kept.append(path.as_posix())
    return tuple(dict.fromkeys(kept)), problems


_SOURCE_KEYS = ("arxiv", "hf", "since", "max", "update")
_SOURCE_HINT = 'write e.g. `- arxiv: "cat:cs.LG AND abs:diffusion"` with `since: 2` and `max: 200`, or `- hf: daily`'


def _sources(value, line: int | None) -> tuple[tuple[Source, ...], list[Problem]]:
    """sources: a list of arXiv queries and Daily Papers, each checked with its line and
    field, every problem reported (`sitegen update` runs none of them if one is wrong)."""
    if value is None:
        return (), []
    if not isinstance(value, list):
        return (), [Problem(CONFIG_FILE, line, "sources", f"expected a list of sources, got {type_name(value)}",
                            _SOURCE_HINT)]
    sources, problems = [], []
    for item, where, name in _items(value, "sources", line):
        if not isinstance(item, LinedDict):
            problems.append(Problem(CONFIG_FILE, where, name, f"expected a mapping, got {type_name(item)}", _SOURCE_HINT))
            continue
        source, bad = _source(item, name)
        problems += bad
        if source is not None:
            sources.append(source)
    return tuple(sources), problems


def _source(item: LinedDict, name: str) -> tuple[Source | None, list[Problem]]:
    problems = []

    def report(key: str | None, message: str, hint: str | None = _SOURCE_HINT) -> None:
        problems.append(Problem(CONFIG_FILE, item.lines.get(key, item.line) if key else item.line,
                                f"{name}.{key}" if key else name, message, hint))

    for key in item:
        if key not in _SOURCE_KEYS:
            report(key, "unknown field of a source", did_you_mean(str(key), _SOURCE_KEYS) or _SOURCE_HINT)
    kinds = [key for key in ("arxiv", "hf") if key in item]
    if len(kinds) != 1:
        report(None, "a source is either `arxiv: QUERY` or `hf: daily`" if kinds else "names no `arxiv` or `hf`")
        return None, problems
    kind = kinds[0]
    query = item[kind]
    if kind == "arxiv":
        if not isinstance(query, str) or not query.strip():
            report(kind, f"expected an arXiv search query such as 'cat:cs.LG AND abs:diffusion', got {query!r}")
    elif query != "daily":
        report(kind, f"expected 'daily' (the Daily Papers of the day), got {query!r}", "write `- hf: daily`")
    since = item.get("since", 1)
    if kind == "hf" and "since" in item:
        report("since", "a Daily Papers source takes the day's papers; `since` is for arXiv queries")
    elif isinstance(since, bool) or not (isinstance(since, int) and since >= 1 or isinstance(since, str)
                                         and _is_date(since)):
        report("since", f"expected a number of days (1 or more) or a date YYYY-MM-DD, got {since!r}")
    most = item.get("max", DEFAULT_SOURCE_MAX)
    if kind == "hf" and "max" in item:
        report("max", "a Daily Papers source takes all the day's papers; `max` is for arXiv queries")
    elif isinstance(most, bool) or not isinstance(most, int) or most < 1:
        report("max", f"expected a whole number of at least 1, got {most!r}")
    update = item.get("update", False)
    if not isinstance(update, bool):
        report("update", f"expected true or false, got {update!r}")
    if problems:
        return None, problems
    since = since.strip() if isinstance(since, str) else since
    return Source(kind, query.strip() if isinstance(query, str) else query, since, most, update, item.line), []


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return len(text.strip()) == 10


def _normalise_base_url(url: str) -> str:
    return url.strip().rstrip("/") + "/"


def _check_base_url(url: str) -> list[Problem]:
    parts = urlsplit(url)
    if parts.scheme and parts.scheme not in ("http", "https"):
        return [Problem(CONFIG_FILE, None, "base_url", f"must be an http(s) URL or a path, got {url!r}")]
    if not parts.scheme and not url.startswith("/"):
        return [Problem(CONFIG_FILE, None, "base_url", f"a path must start with '/', got {url!r}",
                        "write e.g. /repo/ or https://user.github.io/repo/")]
    return []


PACKAGE_DIR = Path(__file__).resolve().parent
# Installed wheels carry the theme inside the package; a source checkout has it at the top.
BUILTIN_THEMES = (PACKAGE_DIR / "themes", PACKAGE_DIR.parent / "themes")


def find_theme(config: Config) -> tuple[Path | None, list[Problem]]:
    name = config.theme
    candidates = [config.root / name, config.root / "themes" / name]
    if "/" not in name and "\\" not in name:
        candidates += [base / name for base in BUILTIN_THEMES]
    for candidate in candidates:
        if (candidate / "templates").is_dir():
            return candidate.resolve(), []
    return None, [Problem("sitegen.yaml", None, "theme", f"theme '{name}' not found",
                          "use 'default', a folder under themes/, or a path to a theme folder")]
