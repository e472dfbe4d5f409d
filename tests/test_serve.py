from io import BytesIO

import pytest

from sitekit import PAPER, build_dir
from sitegen.serve import ServerState, make_app, resolve_request


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
