"""`sitegen serve` as a user runs it: the open page reloads after a save, a broken
entry shows its error in the browser and the terminal, and the server keeps going."""

import errno
import ipaddress
import os
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


def _local_addresses() -> set[tuple[int, tuple]]:
    """This machine's own addresses, each as (family, socket address without the port),
    from every source that may know them: the host name, the address a UDP socket
    would send from towards a public address (connect() on UDP sends nothing), and on
    Linux the kernel's tables of local IPv4 (/proc/net/fib_trie) and IPv6
    (/proc/net/if_inet6) addresses, which list every interface's."""
    found: set[tuple[int, tuple]] = set()
    for host in {socket.gethostname(), socket.getfqdn()}:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except OSError:
            continue
        found |= {(family, sockaddr[:1] + sockaddr[2:]) for family, *_, sockaddr in infos
                  if family in (socket.AF_INET, socket.AF_INET6)}
    for family, public in ((socket.AF_INET, "8.8.8.8"), (socket.AF_INET6, "2001:4860:4860::8888")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((public, 53))
                sockaddr = sock.getsockname()
        except OSError:  # no route that way
            continue
        found.add((family, sockaddr[:1] + sockaddr[2:]))
    return found | _proc_ipv4_addresses() | _proc_ipv6_addresses()


def _proc_ipv4_addresses() -> set[tuple[int, tuple]]:
    """The local IPv4 addresses: the fib_trie entries followed by "/32 host LOCAL"."""
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        return set()
    return {(socket.AF_INET, (address.split()[-1],)) for address, kind in zip(lines, lines[1:])
            if address.strip().startswith("|--") and kind.split()[:3] == ["/32", "host", "LOCAL"]}


def _proc_ipv6_addresses() -> set[tuple[int, tuple]]:
    """The local IPv6 addresses, with the interface a link-local one needs."""
    try:
        lines = Path("/proc/net/if_inet6").read_text().splitlines()
    except OSError:
        return set()
    found = set()
    for line in lines:
        hexed, index, _, scope, *_ = line.split()
        address = str(ipaddress.IPv6Address(bytes.fromhex(hexed)))
        found.add((socket.AF_INET6, (address, 0, int(index, 16) if int(scope, 16) == 0x20 else 0)))
    return found


def _is_loopback(address: tuple) -> bool:
    return ipaddress.ip_address(address[0]).is_loopback


def _connect(family: int, address: tuple, port: int) -> int:
    """connect_ex to address:port: 0 if it accepted, else the errno."""
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex((address[0], port, *address[1:]))


def _reachable_when_listened_on(family: int, address: tuple) -> bool:
    """Whether a server listening on every address of the family answers there: only
    such an address can tell a server bound to 127.0.0.1 from one bound to all."""
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        if family == socket.AF_INET6:
            listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listener.bind(("0.0.0.0" if family == socket.AF_INET else "::", 0))
        listener.listen()
        return _connect(family, address, listener.getsockname()[1]) == 0


def test_server_only_answers_on_localhost_by_default(server):
    """Bound to 127.0.0.1, the server refuses connections on the machine's other
    addresses, where one bound to every address would answer. Where all of 127.0.0.0/8
    is local (Linux), 127.0.0.2 is probed too: a server bound to every address
    answers there even on a machine with no network."""
    _, url, _ = server
    port = int(url.split(":")[2].split("/")[0])
    others = {(family, address) for family, address in _local_addresses() if not _is_loopback(address)}
    others.add((socket.AF_INET, ("127.0.0.2",)))
    probes = {(family, address) for family, address in others if _reachable_when_listened_on(family, address)}
    if not any(not _is_loopback(address) for _, address in probes):
        message = (f"no address of this machine but loopback accepts connections (found: {sorted(others)}), "
                   "so nothing shows the server is unreachable from other machines")
        if os.environ.get("SITEGEN_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    for family, address in sorted(probes):
        error = _connect(family, address, port)
        assert error == errno.ECONNREFUSED, \
            f"sitegen serve on {address[0]}: {'accepted' if error == 0 else os.strerror(error)}, not refused"
