"""Real-browser fixtures: the sample site built under a sub-path, served on localhost,
and an installed Chromium driven by Playwright (Playwright's own browser download is not
needed): the executable named by SITEGEN_CHROMIUM, else the first of CHROMIUM_NAMES on
the PATH, else /usr/bin/chromium (Debian's).

Without Chromium or Playwright these tests skip, unless SITEGEN_REQUIRE_BROWSER=1
(as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socketserver
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from sitegen.engine.build import build
from sitegen.config import load_config
from sitegen.commands.serve import ServerState, make_app

REPO = Path(__file__).resolve().parents[2]
CHROMIUM_VARIABLE = "SITEGEN_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BASE_PATH = "/repo/"


def find_chromium() -> tuple[str | None, str]:
    """(the Chromium executable to drive, or None; why not, when None). A variable that
    names no executable is an error, not a reason to drive another browser."""
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        found = shutil.which(named)
        return found, "" if found else f"{CHROMIUM_VARIABLE}={named} is not an executable"
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found, ""
    return None, (f"no Chromium found: set {CHROMIUM_VARIABLE} to its executable, or install one of "
                  f"{', '.join(CHROMIUM_NAMES)} (Debian: apt-get install chromium)")


def _unavailable(reason: str):
    if os.environ.get("SITEGEN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here but {reason}")
    pytest.skip(reason)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve_folder(output: Path, base_path: str, state: ServerState | None = None):
    """Serve `output` under `base_path` on 127.0.0.1 in a thread; returns (server, root URL)."""
    server = make_server("127.0.0.1", 0, make_app(output, base_path, state or ServerState()),
                         server_class=_ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}{base_path}"


@pytest.fixture(scope="package")  # every browser test of this folder shares it
def sample_site(tmp_path_factory):
    """The bundled sample listing, built for publication under /repo/."""
    yield from _served_sample(tmp_path_factory.mktemp("browser-site"))


@pytest.fixture(scope="package")  # every browser test of this folder shares it
def subscribe_site(tmp_path_factory):
    """The sample listing with `subscribe_url` set: every header links it."""
    yield from _served_sample(tmp_path_factory.mktemp("browser-subscribe"),
                              "subscribe_url: https://buttondown.com/example\n")


def _served_sample(site: Path, settings: str = ""):
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "sitegen.yaml", site / "sitegen.yaml")
    if settings:
        with open(site / "sitegen.yaml", "a", encoding="utf-8") as handle:
            handle.write(settings)
    config, _ = load_config(site, base_url="https://example.github.io/repo/")
    build(config, jobs=1)
    server, url = serve_folder(site / "output", BASE_PATH)
    yield url
    server.shutdown()


@pytest.fixture(scope="package")  # every browser test of this folder shares it
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    executable, missing = find_chromium()
    if executable is None:
        _unavailable(missing)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh page that records requests to other hosts and console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.outside_requests = []
    page.console_errors = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:", "about:"))
            else page.outside_requests.append(r.url))
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
