"""`sitegen serve`: build, serve output/ under the site's base path, rebuild on
change and reload every open browser tab (livereload).

The server answers only with files inside the output folder. While the last build
failed, every page is replaced by an overlay listing the problems; the next good
build reloads the browser back to the site.
"""

from __future__ import annotations

import html
import logging
import mimetypes
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import unquote

from sitegen.config import Config

logger = logging.getLogger("sitegen.commands.serve")


@dataclass
class ServerState:
    """The outcome of the last build, shared between the watcher and the web app."""

    error: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    generation: int = 0  # builds finished; pages carry it in a cookie (see catch_up_late_browsers)


BUILD_COOKIE = "sitegen-build"


def resolve_request(output_dir: Path, base_path: str, request_path: str) -> tuple[str, Path | str | None]:
    """Map a URL path to ('file', path) | ('redirect', location) | ('missing', None)."""
    path = unquote(request_path)
    if "\x00" in path or "\\" in path:
        return "missing", None
    if not path.startswith(base_path):
        if (path + "/") == base_path or path == "/":
            return "redirect", base_path
        return "missing", None
    relative = path[len(base_path):]
    parts = [p for p in relative.split("/") if p]
    if any(p in (".", "..") for p in parts):
        return "missing", None
    target = output_dir.joinpath(*parts)
    try:
        resolved = target.resolve()
    except (OSError, RuntimeError):
        return "missing", None
    if not resolved.is_relative_to(output_dir.resolve()):
        return "missing", None
    if resolved.is_dir():
        if not path.endswith("/"):
            return "redirect", path + "/"
        resolved = resolved / "index.html"
    if resolved.is_file():
        return "file", resolved
    return "missing", None


def error_page(message: str) -> bytes:
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Build failed · sitegen</title><style>"
        "body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#1d1f23;color:#f4f4f5}"
        "main{max-width:60rem;margin:2rem auto;padding:1.5rem;border:2px solid #f87171;border-radius:12px;background:#2a1215}"
        "h1{color:#fca5a5;font-size:1.4rem;margin-top:0}pre{white-space:pre-wrap;font:14px/1.5 ui-monospace,monospace}"
        "</style></head><body><main role=\"alert\" id=\"sitegen-error\"><h1>Build failed</h1>"
        f"<pre>{html.escape(message)}</pre>"
        "<p>Fix the file and save: this page reloads by itself.</p></main></body></html>"
    ).encode()


def make_app(output_dir: Path, base_path: str, state: ServerState) -> Callable:
    """A WSGI app serving output_dir under base_path, or the error overlay."""

    def app(environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")])
            return [b"method not allowed\n"]
        kind, target = resolve_request(output_dir, base_path, environ.get("PATH_INFO", "/"))
        error = state.error
        built = ("Set-Cookie", f"{BUILD_COOKIE}={state.generation}; Path=/; SameSite=Strict")
        if error is not None and (kind != "file" or str(target).endswith(".html")):
            start_response("500 Build Failed", [("Content-Type", "text/html; charset=utf-8"),
                                                  ("Cache-Control", "no-store"), built])
            return [error_page(error)]
        if kind == "redirect":
            start_response("301 Moved Permanently", [("Location", str(target)), ("Content-Type", "text/plain")])
            return [b""]
        if kind == "missing":
            not_found = output_dir / "404.html"
            body = not_found.read_bytes() if not_found.is_file() else b"<!DOCTYPE html><title>Not found</title>"
            start_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8"), built])
            return [body]
        body = target.read_bytes()
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/xml", "application/rss+xml"):
            content_type += "; charset=utf-8"
        headers = [("Content-Type", content_type), ("Cache-Control", "no-cache")]
        start_response("200 OK", headers + [built] if content_type.startswith("text/html") else headers)
        return [body] if method == "GET" else [b""]

    return app


def watched_paths(config: Config, theme_dir: Path | None) -> list[Path]:
    paths = [config.content_dir, config.root / "sitegen.yaml", config.root / "templates", config.root / "static"]
    if theme_dir is not None:
        paths.append(theme_dir)
    return [p for p in paths if p.exists()]


class _EventWatcher:
    """Stands in for livereload's polling watcher: sitegen watches files itself (with
    watchfiles, on file system events) and tells the browsers to reload after a build."""

    def __init__(self):
        self._tasks = {"sitegen": None}  # livereload watches the working folder if this is empty
        self._changes: list = []
        self.filepath = None

    def start(self, callback) -> bool:
        return True  # no polling loop

    def examine(self):
        return None, None


_late_browsers: dict = {}


def catch_up_late_browsers(state: ServerState) -> None:
    """Reload a browser whose page was served before the last build finished but whose
    live-reload socket connected only after that build's reload went out (a page loading
    while a quick rebuild runs). Its page's cookie names the build it saw."""
    from livereload.handlers import LiveReloadHandler

    _late_browsers["state"] = state
    if "installed" in _late_browsers:
        return
    handshake = LiveReloadHandler.on_message

    def on_message(handler, message):
        handshake(handler, message)
        seen = handler.get_cookie(BUILD_COOKIE)
        current = str(_late_browsers["state"].generation)
        if handler in LiveReloadHandler.waiters and seen is not None and seen != current:
            handler.send_message({"command": "reload", "path": "*", "liveCSS": True, "liveImg": True})

    LiveReloadHandler.on_message = on_message
    _late_browsers["installed"] = True


WATCH_WAKE_MS = 200  # the watcher also wakes this often with no change (it first wakes when ready)


def watch(paths: list[Path], on_change: Callable[[set], None], stop: threading.Event,
          ready: threading.Event, built: threading.Event) -> None:
    """Call on_change with each batch of changed paths until `stop` is set. `ready` is
    set once the file system events are being collected: a change after it is never
    missed. Changes are held until `built` (the first build) is set, then built."""
    from watchfiles import watch as watch_files

    for changes in watch_files(*paths, stop_event=stop, debounce=50, step=20, rust_timeout=WATCH_WAKE_MS,
                               yield_on_timeout=True, raise_interrupt=False):
        ready.set()
        if changes:
            built.wait()
            on_change({path for _, path in changes})


def serve(config: Config, rebuild: Callable[[], str | None], *, host: str, port: int,
          theme_dir: Path | None, idle: Callable[[], None] = lambda: None) -> None:
    """Serve until interrupted. `rebuild()` builds and returns an error text or None;
    `idle()` is called after each rebuild, once browsers have been told to reload."""
    from livereload import Server
    from livereload.handlers import LiveReloadHandler
    from tornado.ioloop import IOLoop

    state = ServerState()
    loop = IOLoop.current()
    stop, ready, built = threading.Event(), threading.Event(), threading.Event()

    def on_change(_paths: set) -> None:
        state.error = rebuild()
        state.generation += 1
        loop.add_callback(LiveReloadHandler.reload_waiters, "*")
        idle()

    # Watch before the first build: a save made while it runs (a minute at 100,000
    # papers) or just after the server answers is built next, not lost.
    watcher = threading.Thread(target=watch, args=(watched_paths(config, theme_dir), on_change, stop, ready, built),
                               daemon=True)
    watcher.start()
    try:
        if not ready.wait(timeout=10):
            logger.warning("the file watcher did not start: changes may not be rebuilt")
        state.error = rebuild()
        idle()
        built.set()
        catch_up_late_browsers(state)
        server = Server(app=make_app(config.output_dir, config.base_path, state), watcher=_EventWatcher())
        logging.getLogger("livereload").setLevel(logging.WARNING)
        server.serve(port=port, host=host, debug=False, restart_delay=0)
    finally:
        stop.set()
