"""The importers' one way to ask a web API: GET a URL with parameters and get the body's
bytes, or an ImportFailure whose text is the one line shown to the user.

Politeness and patience live here so every importer has the same:
- a timeout on every request;
- at least `interval` seconds between two requests to the same host (arXiv asks for 3),
  also between a failed request and its retry;
- 429, 502, 503, 504, a timeout or a connection that breaks off are retried a bounded
  number of times, after `Retry-After` (seconds or an HTTP date) when the server gives
  one, else after a doubling pause; a server asking for a longer wait than
  `longest_wait` is not waited for;
- anything else (another 4xx or 5xx, connection refused, an unknown host, a TLS
  failure) fails at once: asking again would get the same answer.

All waiting goes through a `Pacer`, so tests replace the clock and the sleep and do
not wait for real.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Callable

from sitegen import __version__
from sitegen.importers import ImportFailure

USER_AGENT = f"sitegen/{__version__} (static site generator for paper listings; python-urllib)"
RETRIED_STATUSES = frozenset({429, 502, 503, 504})
TIMEOUT = 30.0  # seconds a request may stay silent; read when a source is made
ATTEMPTS = 4
LONGEST_WAIT = 120.0  # a Retry-After beyond this is not waited for
NOT_A_WEB_ADDRESS = "not a web address it can ask (it should look like https://host/path)"


@dataclass
class Pacer:
    """When each host may be asked next. `now` is a monotonic clock, `sleep` waits,
    `wall` is the time of day (for a Retry-After date when the answer has no Date)."""

    now: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    wall: Callable[[], float] = time.time
    next_allowed: dict[str, float] = field(default_factory=dict)

    def pause(self, host: str) -> float:
        """Seconds until `host` may be asked (0 when it may be asked now)."""
        return max(0.0, self.next_allowed.get(host, -math.inf) - self.now())

    def wait_turn(self, host: str, interval: float) -> None:
        """Sleep until `host` may be asked, then book the next turn `interval` from now."""
        pause = self.pause(host)
        if pause > 0:
            self.sleep(pause)
        self.hold(host, interval)

    def hold(self, host: str, seconds: float) -> None:
        """Ask `host` again no sooner than `seconds` from now."""
        self.next_allowed[host] = max(self.next_allowed.get(host, -math.inf), self.now() + seconds)


PACER = Pacer()  # the process's memory of each host's next turn; read when a source is made


class _Retry(Exception):
    """A failure that may pass: the problem, and the wait the server asked for (or None)."""

    def __init__(self, problem: str, after: float | None = None):
        super().__init__(problem)
        self.problem = problem
        self.after = after


class HttpSource:
    """One web API: `get(params, asked=...)` returns the body of a 200 answer.

    `name` and `asked` make the error line: "arXiv API https://..., asked for id
    2203.00555: answered 404 Not Found". `notify` receives a line before each retry,
    and before a request that waits its turn ("waiting 3 s before the next request"
    and `reason`, why the API is asked no faster).
    """

    def __init__(self, url: str, *, name: str, interval: float = 3.0, attempts: int | None = None,
                 timeout: float | None = None, longest_wait: float | None = None, pacer: Pacer | None = None,
                 notify: Callable[[str], None] | None = None, accept: str = "*/*", reason: str = ""):
        self.url = url
        self.name = name
        self.interval = interval
        self.attempts = max(1, ATTEMPTS if attempts is None else attempts)
        self.timeout = TIMEOUT if timeout is None else timeout
        self.longest_wait = LONGEST_WAIT if longest_wait is None else longest_wait
        self.pacer = PACER if pacer is None else pacer
        self.notify = notify or (lambda line: None)
        self.accept = accept
        self.reason = reason
        parts = urllib.parse.urlsplit(url)
        self.host = f"{parts.scheme}://{parts.netloc}"

    def where(self, asked: str | None = None) -> str:
        """The source as the user reads it: the API, its URL and what was asked."""
        return f"{self.name} {self.url}" + (f", asked for {asked}" if asked else "")

    def get(self, params: dict | None = None, *, asked: str | None = None, said: str | None = None) -> bytes:
        """The body of a 200 answer to the URL with `params`. `said` is a line of
        progress for `notify`, said when the request is made (after its wait)."""
        url = self._url(params)
        where = self.where(asked)
        if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
            raise ImportFailure(where, NOT_A_WEB_ADDRESS)
        for attempt in range(1, self.attempts + 1):
            pause = self.pacer.pause(self.host)
            if attempt == 1 and pause > 0:  # a retry has said its wait already
                why = f", {self.reason}" if self.reason else ""
                self.notify(f"waiting {_seconds(pause)} before the next request{why}")
            self.pacer.wait_turn(self.host, self.interval)
            if attempt == 1 and said:
                self.notify(said)
            try:
                return self._once(url, where)
            except _Retry as retry:
                delay = self._delay(retry, attempt)
                if delay > self.longest_wait:
                    raise ImportFailure(where, f"{retry.problem} and asks to wait {delay:.0f} s before asking "
                                               "again; try again later") from None
                if attempt == self.attempts:
                    tries = f"{attempt} attempts" if attempt > 1 else "1 attempt"
                    raise ImportFailure(where, f"{retry.problem} ({tries}); try again later") from None
                self.pacer.hold(self.host, delay)
                self.notify(f"{self.name}: {retry.problem}; asking again in {delay:.0f} s "
                            f"(attempt {attempt + 1} of {self.attempts})")
        raise AssertionError("the loop returns or raises")

    def get_json(self, params: dict | None = None, *, asked: str | None = None, said: str | None = None):
        """The parsed JSON body; an answer that is not JSON is an ImportFailure."""
        data = self.get(params, asked=asked, said=said)
        try:
            return json.loads(data)
        except RecursionError:
            raise ImportFailure(self.where(asked), "answered with JSON nested too deeply to read") from None
        except (ValueError, UnicodeDecodeError) as error:
            if data.lstrip()[:1] in (b"[", b"{") and isinstance(error, json.JSONDecodeError):
                raise ImportFailure(self.where(asked), f"answered with JSON that breaks off or is malformed "
                                                       f"({error.msg}: line {error.lineno}, column {error.colno}); "
                                                       "try again later") from None
            raise ImportFailure(self.where(asked), f"answered with {describe_body(data)}, not JSON") from None

    def _url(self, params: dict | None) -> str:
        if not params:
            return self.url
        joiner = "&" if urllib.parse.urlsplit(self.url).query else "?"
        return f"{self.url}{joiner}{urllib.parse.urlencode(params)}"

    def _delay(self, retry: _Retry, attempt: int) -> float:
        """The server's Retry-After, else a pause doubling from `interval`; never under `interval`."""
        backoff = self.interval * 2 ** (attempt - 1)
        return max(self.interval, backoff if retry.after is None else retry.after)

    def _once(self, url: str, where: str) -> bytes:
        try:
            request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": self.accept})
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            detail = _error_detail(error)
            error.close()
            problem = f"answered {error.code} {error.reason}".rstrip() + (f" ({detail})" if detail else "")
            if error.code in RETRIED_STATUSES:
                raise _Retry(problem, retry_after(error.headers, self.pacer.wall)) from None
            raise ImportFailure(where, problem + _status_hint(error.code)) from None
        except urllib.error.URLError as error:
            raise self._connection_problem(error.reason, where) from None
        except (ValueError, http.client.InvalidURL):  # no scheme, an unknown one, a port that is not a number
            raise ImportFailure(where, NOT_A_WEB_ADDRESS) from None
        except (TimeoutError, http.client.HTTPException, OSError) as error:
            raise self._connection_problem(error, where) from None

    def _connection_problem(self, reason, where: str) -> Exception:
        """What a failed connection means to the user, as a retry or a failure."""
        if isinstance(reason, TimeoutError):
            return _Retry(f"no answer within {self.timeout:g} s")
        if isinstance(reason, http.client.IncompleteRead):
            return _Retry(f"the connection broke off after {len(reason.partial)} bytes of the answer")
        if isinstance(reason, (ConnectionResetError, ConnectionAbortedError, http.client.HTTPException)):
            return _Retry("the connection closed before the answer was complete")
        netloc = urllib.parse.urlsplit(self.url).netloc
        if isinstance(reason, socket.gaierror):
            return ImportFailure(where, f"cannot find the host {urllib.parse.urlsplit(self.url).hostname} "
                                        "(no network, or a mistyped address?)")
        if isinstance(reason, ConnectionRefusedError):
            return ImportFailure(where, f"connection refused by {netloc} (nothing answers there)")
        if isinstance(reason, ssl.SSLError):
            return ImportFailure(where, f"the secure connection to {netloc} failed: {reason}")
        text = reason.strerror if isinstance(reason, OSError) and reason.strerror else str(reason)
        return ImportFailure(where, f"cannot connect to {netloc}: {text}")


def _seconds(pause: float) -> str:
    return f"{pause:.0f} s" if pause >= 1 else f"{pause:.1f} s"


def _error_detail(error: urllib.error.HTTPError) -> str:
    """What a JSON API says in the body of its error answer ({"error": "Invalid date"}),
    in a few words; '' when it says nothing readable."""
    if "json" not in (error.headers.get("Content-Type") or "").lower():
        return ""
    try:
        said = json.loads(error.read(2048))
    except (ValueError, OSError, http.client.HTTPException):
        return ""
    message = said.get("error") or said.get("message") if isinstance(said, dict) else None
    if not isinstance(message, str):
        return ""
    message = " ".join(message.split())
    return message if len(message) <= 200 else message[:199] + "…"


def _status_hint(code: int) -> str:
    if code == 404:
        return " (is the API's URL right?)"
    if code in (401, 403):
        return " (a proxy or the API refuses this client)"
    return ""


def retry_after(headers, wall: Callable[[], float] = time.time) -> float | None:
    """Seconds a `Retry-After` header asks to wait: a number of seconds, or an HTTP date
    (measured from the answer's own `Date` when it has one, so clock skew does not
    matter). None when there is no such header or it cannot be read."""
    value = (headers.get("Retry-After") if headers is not None else None) or ""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    sent = _http_date(headers.get("Date") or "")
    return max(0.0, when - (sent if sent is not None else wall()))


def _http_date(text: str) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


def describe_body(data: bytes) -> str:
    """What an unexpected answer is, in a few words: 'an HTML page', 'an empty body'..."""
    head = data[:512].lstrip().lower()
    if not head:
        return "an empty body"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "an HTML page (a proxy, a network login page or an outage page?)"
    snippet = data[:40].decode("utf-8", "replace")
    snippet = "".join(ch if ch.isprintable() else " " for ch in snippet).strip()
    return f"something else (it starts '{snippet}')"
