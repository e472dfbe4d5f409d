"""The dev server under a small load: 200 concurrent requests from a local client,
traversal attempts among them, and a rebuild still happens meanwhile."""

import http.client
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sitekit import REPO



def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


REQUESTS = 200  # docs/testing.md, "What the tests prove": all of them connected at once
PAGES = ["", "papers/2203.00555/", "authors/michael-poli/", "feed.xml", "style.css"]
# Outside the output folder: each must be a 404.
ESCAPES = ["../sitegen.yaml", "%2e%2e/sitegen.yaml", "..%2f..%2fetc%2fpasswd", "papers/../../sitegen.yaml",
           "/etc/passwd", "%2fetc%2fpasswd", "/" + str(REPO / "pyproject.toml")]


def test_server_keeps_answering_and_rebuilding_under_load(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    (site / "sitegen.yaml").write_text("base_url: https://example.org/repo/\nsearch: false\n")
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "--port", str(port)], cwd=site,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/repo/"
    try:
        deadline = time.monotonic() + 30
        while _get_or_none(base) != 200:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.1)
        paths = PAGES + ESCAPES
        asked = [paths[i % len(paths)] for i in range(REQUESTS)]
        entry = site / "content/days/2024-03-13.yaml"
        ready = threading.Barrier(REQUESTS + 1)

        def get_with_the_others(path: str) -> int:
            """Connect, wait until every request is connected, then ask: the server holds
            all of them open at once (a connection refused breaks the barrier)."""
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            try:
                connection.connect()
                ready.wait(timeout=60)
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                return response.status
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
            futures = [pool.submit(get_with_the_others, "/repo/" + path) for path in asked]
            ready.wait(timeout=60)  # every request is sent now, as the edit is saved and rebuilt
            entry.write_text(entry.read_text().replace("Monarch: Expressive", "Monarch under load: Expressive"))
            statuses = [f.result() for f in futures]
        assert len(statuses) == REQUESTS
        for path, status in zip(asked, statuses):
            assert status == (404 if path in ESCAPES else 200), (path, status)
        assert {path for path in asked if path in ESCAPES} == set(ESCAPES)  # each escape was tried
        deadline = time.monotonic() + 15
        while b"Monarch under load" not in urllib.request.urlopen(base + "days/2024-03-13/").read():
            assert time.monotonic() < deadline, "no rebuild under load"
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get_or_none(url):
    try:
        return _get(url)
    except OSError:
        return None
