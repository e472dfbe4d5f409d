from io import BytesIO

import pytest

from sitekit import PAPER, build_dir
from sitegen.commands.serve import ServerState, make_app, resolve_request


@pytest.fixture
def output(make_site):
    site = make_site({"content/a.yaml": PAPER, "sitegen.yaml": "base_url: https://u.github.io/repo/\n"})
    build_dir(site)
    return site / "output"


def call(app, path, method="GET"):
    seen = {}

    def start_response(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method, "wsgi.input": BytesIO()}, start_response))
    return int(seen["status"].split()[0]), seen["headers"], body


def test_pages_are_served_under_the_base_path(output):
    app = make_app(output, "/repo/", ServerState())
    status, headers, body = call(app, "/repo/")
    assert status == 200 and headers["Content-Type"].startswith("text/html") and b"<h1>" in body
    assert call(app, "/")[0:2] == (301, {"Location": "/repo/", "Content-Type": "text/plain"})
    assert call(app, "/repo/papers/2203.00555")[1]["Location"] == "/repo/papers/2203.00555/"
    assert call(app, "/repo/feed.xml")[1]["Content-Type"].endswith("charset=utf-8")


@pytest.mark.parametrize("path", ["/repo/../secret", "/repo/%2e%2e/secret", "/repo/..%2fsecret", "/etc/passwd",
                                  "/repo//etc/passwd", "/repo/papers/../../secret", "/repo/%00", "/repo/..\\secret"])
def test_nothing_outside_the_output_folder_is_served(output, path):
    (output.parent / "secret").write_text("secret")
    status, _, body = call(make_app(output, "/repo/", ServerState()), path)
    assert status == 404 and b"secret" not in body.lower().replace(b"secret</", b"")


def test_symlink_out_of_output_is_not_served(output, tmp_path):
    (tmp_path / "outside.txt").write_text("outside")
    (output / "link.txt").symlink_to(tmp_path / "outside.txt")
    assert resolve_request(output, "/", "/link.txt") == ("missing", None)


def test_failed_build_shows_an_overlay(output):
    state = ServerState(error="content/a.yaml:3: title: missing required field")
    status, _, body = call(make_app(output, "/repo/", state), "/repo/")
    assert status == 500 and b"Build failed" in body and b"content/a.yaml:3" in body
    state.error = None
    assert call(make_app(output, "/repo/", state), "/repo/")[0] == 200


def test_only_get_and_head(output):
    assert call(make_app(output, "/repo/", ServerState()), "/repo/", method="POST")[0] == 405


def test_a_browser_that_connects_after_a_missed_reload_is_reloaded(tmp_path):
    """A page served before the last build, whose socket connects after that build's
    reload went out, is told to reload; a page of the current build is not."""
    from livereload.handlers import LiveReloadHandler

    from sitegen.commands.serve import BUILD_COOKIE, ServerState, catch_up_late_browsers

    (tmp_path / "index.html").write_text("<!DOCTYPE html><title>x</title>")
    state = ServerState()
    app = make_app(tmp_path, "/", state)
    headers = {}
    app({"PATH_INFO": "/", "REQUEST_METHOD": "GET"}, lambda status, h: headers.update(h))
    assert headers["Set-Cookie"].startswith(f"{BUILD_COOKIE}=0;")

    class Browser:
        def __init__(self, seen):
            self.seen, self.sent = seen, []

        def get_cookie(self, name):
            return self.seen if name == BUILD_COOKIE else None

        def send_message(self, message):
            self.sent.append(message)

    catch_up_late_browsers(state)
    state.generation = 1  # a build finished after the page was served
    late, current = Browser("0"), Browser("1")
    try:
        for browser in (late, current):
            LiveReloadHandler.on_message(browser, '{"command": "info", "url": "http://127.0.0.1/"}')
    finally:
        LiveReloadHandler.waiters.difference_update({late, current})
    assert [m["command"] for m in late.sent] == ["reload"]
    assert current.sent == []


def test_a_change_right_after_the_watcher_is_ready_is_built_once_the_first_build_is_done(tmp_path):
    import threading

    from sitegen.commands.serve import watch

    watched = tmp_path / "content"
    watched.mkdir()
    stop, ready, built = threading.Event(), threading.Event(), threading.Event()
    batches = []
    thread = threading.Thread(target=watch, args=([watched], batches.append, stop, ready, built), daemon=True)
    thread.start()
    try:
        assert ready.wait(10)
        (watched / "a.yaml").write_text("id: '1'\n")  # no pause: the watcher must already collect
        threading.Event().wait(0.5)
        assert batches == []  # held while the first build runs
        built.set()
        for _ in range(100):
            if batches:
                break
            threading.Event().wait(0.05)
        assert batches == [{str(watched / "a.yaml")}]
    finally:
        stop.set()
        thread.join(5)


def test_a_save_during_the_first_build_of_serve_is_built_next(tmp_path, monkeypatch):
    """The watcher starts before the first build, so an edit made while that build
    reads the content (a minute at 100,000 papers) is built again, not lost."""
    import threading

    import livereload

    from sitegen.config import load_config
    from sitegen.commands.serve import serve

    (tmp_path / "content").mkdir()
    entry = tmp_path / "content" / "a.yaml"
    entry.write_text("old\n")
    seen = []
    rebuilt = threading.Event()

    def rebuild():
        seen.append(entry.read_text())
        if len(seen) == 1:
            entry.write_text("saved during the first build\n")
        else:
            rebuilt.set()
        return None

    class Server:  # stands in for livereload's: serving ends when the second build is seen
        def __init__(self, app, watcher):
            pass

        def serve(self, **_options):
            rebuilt.wait(10)

    monkeypatch.setattr(livereload, "Server", Server)
    serve(load_config(tmp_path)[0], rebuild, host="127.0.0.1", port=0, theme_dir=None)
    assert seen == ["old\n", "saved during the first build\n"]
