"""`sitegen serve` as a user runs it: the open page reloads after a save, a broken
entry shows its error in the browser and the terminal, and the server keeps going."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
ENTRY = "content/days/2024-03-13.yaml"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    (site / "sitegen.yaml").write_text("title: Live\nbase_url: https://example.github.io/repo/\n")
    port = _free_port()
    log = open(tmp_path / "serve.log", "w+")
    process = subprocess.Popen([sys.executable, "-m", "sitegen", "serve", "--port", str(port)], cwd=site,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/repo/"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("sitegen serve did not answer: " + (tmp_path / "serve.log").read_text())
    yield site, url, log
    process.terminate()
    process.wait(timeout=10)
    log.close()


def _terminal(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()


def test_edit_reloads_the_open_page_and_errors_show_in_the_browser(browser, server):
    site, url, log = server
    page = browser.new_page()
    page.goto(url + "days/2024-03-13/")
    assert page.locator(".card-title a").first.inner_text().startswith("Monarch")
    page.wait_for_function("window.LiveReload !== undefined || document.querySelector('script[src*=livereload]')")

    entry = site / ENTRY
    text = entry.read_text()
    saved = time.monotonic()
    entry.write_text(text.replace("Monarch: Expressive", "Monarch (edited): Expressive"))
    page.wait_for_function("document.body.innerText.includes('Monarch (edited)')", timeout=10_000)
    reload_seconds = time.monotonic() - saved
    assert reload_seconds < 3, reload_seconds  # typically well under a second

    entry.write_text(text.replace("  title: 'Monarch", "  titel: 'Monarch"))
    page.wait_for_selector("#sitegen-error", timeout=10_000)
    overlay = page.locator("#sitegen-error").inner_text()
    assert "content/days/2024-03-13.yaml:" in overlay and "titel: unknown field" in overlay
    assert "content/days/2024-03-13.yaml:" in _terminal(log) and "did you mean 'title'?" in _terminal(log)

    entry.write_text(text)
    page.wait_for_selector(".card-title a", timeout=10_000)
    assert page.locator(".card-title a").first.inner_text().startswith("Monarch: Expressive")
    page.close()


def test_server_only_answers_on_localhost_by_default(server):
    _, url, _ = server
    port = int(url.split(":")[2].split("/")[0])
    addresses = {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    for address in addresses - {"127.0.0.1"}:
        with socket.socket() as sock:
            sock.settimeout(1)
            assert sock.connect_ex((address, port)) != 0, f"reachable on {address}"
