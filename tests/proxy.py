"""A tiny forwarding HTTP proxy on loopback for the network tests.

Forwards plain-HTTP requests (absolute-form request targets) and tunnels ``CONNECT`` for
HTTPS; records what went through it; with ``credentials`` it answers 407 unless the request
carries the matching ``Proxy-Authorization``.
"""

from __future__ import annotations

import base64
import http.client
import select
import socket
import sys
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Passed:
    method: str
    target: str
    proxy_authorization: str | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    proxy: LoopbackProxy

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _authorized(self) -> bool:
        given = self.headers.get("Proxy-Authorization")
        self.proxy.record(Passed(self.command, self.path, given))
        if self.proxy.expected is None or given == self.proxy.expected:
            return True
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="test proxy"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def _forward(self) -> None:
        if not self._authorized():
            return
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            name: value
            for name, value in self.headers.items()
            if name.lower() not in ("proxy-authorization", "proxy-connection", "connection")
        }
        upstream = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=60)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        upstream.request(self.command, path or "/", body=body, headers=headers)
        answer = upstream.getresponse()
        payload = answer.read()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        upstream.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

    def do_CONNECT(self) -> None:
        if not self._authorized():
            return
        host, _, port = self.path.rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=60)
        self.send_response(200, "Connection established")
        self.end_headers()
        sockets = [self.connection, upstream]
        try:
            while True:
                readable, _, _ = select.select(sockets, [], [], 60)
                if not readable:
                    break
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    """A client that hangs up (its timeout, or its run's end) is not a proxy error: without
    this, socketserver prints a traceback into whatever ``sys.stderr`` is then, which an
    in-process run captures as its own (seen once on a loaded machine)."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class LoopbackProxy:
    """``with LoopbackProxy() as proxy: proxy.url``; ``proxy.passed`` lists what went through."""

    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.expected = None
        if credentials is not None:
            pair = f"{credentials[0]}:{credentials[1]}".encode()
            self.expected = "Basic " + base64.b64encode(pair).decode()
        handler = type("Handler", (_Handler,), {"proxy": self})
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.passed: list[Passed] = []
        self._lock = threading.Lock()

    def record(self, passed: Passed) -> None:
        with self._lock:
            self.passed.append(passed)

    @property
    def port(self) -> int:
        return int(self.httpd.server_address[1])

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackProxy:
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
