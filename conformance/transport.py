"""Transport safety under the client: a hard deadline per request, a shared rate limit, a
breaker for a server that stopped answering, Retry-After parsing, short error reasons.

The deadline is a watchdog: every socket a request opens (or reuses from the pool) is
registered with the request's guard, and when the guard's timer fires the sockets are shut
down. That bounds everything a read timeout cannot: a server that trickles one byte a second,
a TLS handshake that never ends, a body "until close" that never closes.
"""

from __future__ import annotations

import contextlib
import heapq
import http.cookiejar
import itertools
import re
import socket
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

GIVE_UP_AFTER = 5  # consecutive requests without a usable answer


# -- politeness -----------------------------------------------------------------------------


class RateLimiter:
    """At most ``per_second`` request starts per second, shared by every thread that uses it."""

    def __init__(self, per_second: float) -> None:
        if per_second <= 0:
            raise ValueError("the rate must be positive")
        self.interval = 1.0 / per_second
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


class Breaker:
    """Counts requests in a row without a usable answer; past a threshold, stops sending.

    Shared by every client of one server, so a server that stopped answering costs the run
    ``threshold`` timeouts, not one per remaining request.
    """

    def __init__(self, threshold: int = GIVE_UP_AFTER) -> None:
        self.threshold = threshold
        self.reason: str | None = None
        self._failures = 0
        self._lock = threading.Lock()

    def success(self) -> None:
        with self._lock:
            self._failures = 0

    def failure(self, base_url: str) -> str | None:
        """Count one failure; returns the reason to stop if this one trips the breaker."""
        with self._lock:
            self._failures += 1
            if self.reason is None and self.threshold and self._failures >= self.threshold:
                self.reason = (
                    f"{base_url} gave no usable answer to {self._failures} requests in a row; "
                    "no further request is sent to it"
                )
                return self.reason
        return None


def parse_retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` value asks for (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


# -- the per-request watchdog ---------------------------------------------------------------

_current = threading.local()


class _Watchdog:
    """One daemon thread for every guard of the process: it sleeps until the earliest armed
    deadline and fires the guards whose deadline has passed (a thread per request cost more
    than many a request to a fast server)."""

    def __init__(self) -> None:
        self._armed: list[tuple[float, int, Guard]] = []  # a heap by deadline
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, guard: Guard, deadline: float) -> None:
        with self._wake:
            heapq.heappush(self._armed, (deadline, next(self._order), guard))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="actionconform-watchdog", daemon=True
                )
                self._thread.start()
            elif self._armed[0][2] is guard:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                due: list[Guard] = []
                while self._armed and (self._armed[0][2].done or self._armed[0][0] <= now):
                    _, _, guard = heapq.heappop(self._armed)
                    if not guard.done:
                        due.append(guard)
                for guard in due:
                    guard.fire()
                if self._armed:
                    self._wake.wait(self._armed[0][0] - now)
                else:
                    self._wake.wait()


_WATCHDOG = _Watchdog()


class Guard:
    """Shuts down every socket of one request when its deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(seconds, 0.0)
        self.fired = False
        self.done = False  # the request ended; the watchdog drops the guard
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.fired:
                _shutdown(sock)

    def fire(self) -> None:
        with self._lock:
            if self.done:
                return
            self.fired = True
            for sock in self._sockets:
                _shutdown(sock)

    def __enter__(self) -> Guard:
        _current.guard = self
        _WATCHDOG.arm(self, time.monotonic() + self.seconds)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.done = True
        _current.guard = None


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _watch(sock: socket.socket | None) -> None:
    guard: Guard | None = getattr(_current, "guard", None)
    if guard is not None and sock is not None:
        guard.watch(sock)


class GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a connection reused from the pool
        super().request(*args, **kwargs)


class GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)


class GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = GuardedHTTPConnection


class GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = GuardedHTTPSConnection


_GUARDED_POOLS = {"http": GuardedHTTPPool, "https": GuardedHTTPSPool}


class GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_GUARDED_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """Through a proxy too, every socket is watched (the tunnel included)."""
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_GUARDED_POOLS)
        return manager


def new_session() -> requests.Session:
    """A session that ignores the environment (proxies, netrc), keeps no cookies (every
    request carries exactly the credentials the test gives it) and guards every socket.

    Proxies (``--proxy``, or the environment's with ``--trust-env``) are chosen per request
    by ``Network.proxies_for``; netrc and the environment's CA bundle are never read."""
    session = requests.Session()
    session.trust_env = False
    session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    adapter = GuardedAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def reason(exc: BaseException) -> str:
    """A short, secret-free reason for a transport error."""
    while exc.args and isinstance(exc.args[0], BaseException):
        exc = exc.args[0]  # requests wraps urllib3 wraps the cause
    text = str(exc.args[0]) if exc.args and isinstance(exc.args[0], str) else str(exc)
    if len(exc.args) > 1 and isinstance(exc.args[1], BaseException):  # ("Connection aborted.", e)
        return f"{text.rstrip('.')}: {reason(exc.args[1])}"
    if "certificate verify failed" in text:
        detail = re.search(r"certificate verify failed: ([^(')\"]+)", text)
        return "certificate verify failed" + (f": {detail.group(1).strip()}" if detail else "")
    if "hostname" in text and "match" in text:
        return "certificate does not match the host name"
    errno = re.search(r"\[Errno -?\d+\] [^'\"()]+", text)
    if errno:
        return errno.group(0).strip()
    return text.splitlines()[0][:200] if text else exc.__class__.__name__
