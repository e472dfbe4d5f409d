"""Every file the engine keeps in a site's `.sitegen/` folder, named in one place.

Everything here is a cache: deleting the folder makes the next build slower, never
different (a build over an output folder whose cache is gone removes what the content
no longer makes). Files that name the output folder do so by its path as the site
sees it, so that a site folder renamed, moved or copied keeps its caches.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from sitegen.problems import display_path

NAME = ".sitegen"


class CacheDir:
    def __init__(self, root: Path):
        self.root = root
        self.path = root / NAME

    @property
    def parsed(self) -> Path:
        """Validated entries of each content file (parsecache.py)."""
        return self.path / "content.sqlite"

    @property
    def texts(self) -> Path:
        """Rendered titles and abstracts (textstore.py)."""
        return self.path / "texts.sqlite"

    @property
    def snapshot(self) -> Path:
        """The model and the plan of a recent build (snapshot.py)."""
        return self.path / "warm.pickle"

    @property
    def templates(self) -> Path:
        """Compiled templates (Jinja's bytecode cache)."""
        return self.path / "templates"

    @property
    def api_spans(self) -> Path:
        """Where each record of each API page lies in its bytes (formats/api.py)."""
        return self.path / "api"

    @property
    def search_state(self) -> Path:
        """What the next build needs to patch the search index in output/ (search_job.py)."""
        return self.path / "search-state.pickle"

    @property
    def lock(self) -> Path:
        """Held by the build under way (lock.py)."""
        return self.path / "build.lock"

    def manifest(self, output_dir: Path) -> Path:
        """What output/ holds, file by file (write/manifest.py), with its journal beside it (.log)."""
        return self.path / f"manifest-{self._output_key(output_dir)}.bin"

    def stamp(self, output_dir: Path) -> Path:
        """The inputs of the last successful build into `output_dir` and its warnings (stamp.py)."""
        return self.path / f"stamp-{self._output_key(output_dir)}.json"

    def _output_key(self, output_dir: Path) -> str:
        return hashlib.sha1(display_path(output_dir, self.root).encode()).hexdigest()[:12]

    # Folders a build makes and removes; one killed leaves its own behind.
    STAGING = "staging-"  # rendered files waiting for the commit (write/staging.py)
    FRAGMENTS = "fragments-"  # fragments and texts the render processes share (shared_fragments.py)
    PUBLISHING = "publish-"  # the copy `sitegen deploy` publishes

    def made(self) -> Path:
        self.path.mkdir(parents=True, exist_ok=True)
        return self.path

    def remove_leftovers(self) -> None:
        """The folders of builds killed before they removed theirs (a whole build's files,
        each); called with the build lock held, so no running build owns one."""
        for prefix in (self.STAGING, self.FRAGMENTS):
            for folder in self.path.glob(prefix + "*"):
                shutil.rmtree(folder, ignore_errors=True)
