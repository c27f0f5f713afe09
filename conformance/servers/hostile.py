"""Deliberately hostile HTTP servers, for proving the suite survives them.

Each mode answers every request the same hostile way. They speak raw HTTP over a socket so
they can do what a well-behaved server library would not: never answer, trickle, send an
endless body, lie about encodings. Loopback only; every loop ends when the client goes away
or the server stops.

Run one by hand: ``python -m conformance.servers.hostile MODE [--port N]``.
"""

from __future__ import annotations

import argparse
import base64
import socketserver
import threading
import time
import zlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

MODES: dict[str, str] = {
    "external-entity": "XML whose DOCTYPE declares an external entity pointing at a local file",
    "billion-laughs": "XML with nested entity definitions that expand exponentially",
    "endless-body": "200 with a chunked body that never ends",
    "gzip-bomb": "200 with a gzip body that inflates to 256 MiB",
    "no-answer": "reads the request and never answers",
    "trickle": "sends the headers, then the body one byte a second",
    "trickle-headers": "sends the whole response one byte a second",
    "redirect": "302 to the same path on another host (redirect_to)",
    "invalid-utf8": "200 application/xml whose body is not valid UTF-8",
    "echo": "200 echoing the credentials it received, with secret headers and a SecureParameter",
    "retry-after": "the first request to each path gets retry_status with Retry-After, then 200",
    "header-flood": "200 followed by header lines that never end",
    "long-header": "200 with one header line of 1 MiB",
    "bad-chunks": "200 chunked, the second chunk's size is not hexadecimal",
    "endless-continue": "100 Continue interim answers, forever",
    "interim-only": "102 Processing (an interim answer), then the connection closes",
    "short-body": "Content-Length 1 MiB, 20 bytes of body, then the connection closes",
    "stalled-body": "Content-Length 1 MiB, 20 bytes of body, then silence",
    "deep-json": "200 application/json nested 500000 arrays deep (1 MB)",
    "huge-number": "200 application/json holding numbers of 100000 digits",
}
MAX_HEAD = 65536
MAX_BODY = 1024 * 1024
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{n} "{("&lol" + (str(n - 1) if n > 1 else "") + ";") * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b"]>\n<BESAPI><Action><Name>&lol9;</Name><ID>1</ID></Action></BESAPI>\n"
)
INVALID_UTF8 = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<BESAPI>\n'
    b'    <Action Resource="http://127.0.0.1/api/action/1" '
    b'LastModified="Tue, 19 Mar 2013 21:23:10 +0000">\n'
    b"        <Name>caf\xe9 \xff\xfe \xc3\x28</Name>\n        <ID>1</ID>\n"
    b"    </Action>\n</BESAPI>\n"
)


@dataclass
class Seen:
    """One request a hostile server received."""

    method: str
    path: str
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)


@cache
def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(256)]
    parts.append(compressor.flush())
    return b"".join(parts)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server
    timeout = 10

    def handle(self) -> None:
        head = self._read_head()
        if head is None:
            return
        method, path, headers = head
        length = int(headers.get("content-length", "0") or 0)
        if 0 < length <= MAX_BODY:
            self.rfile.read(length)
        owner = self.server.owner
        owner.record(Seen(method, path, headers))
        getattr(self, "mode_" + owner.mode.replace("-", "_"))(method, path, headers)

    def _read_head(self) -> tuple[str, str, dict[str, str]] | None:
        lines: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(MAX_HEAD)
            size += len(line)
            if not line or size > MAX_HEAD:
                return None
            if line in (b"\r\n", b"\n"):
                break
            lines.append(line)
        if not lines:
            return None
        parts = lines[0].decode("latin-1").split()
        if len(parts) < 2:
            return None
        headers: dict[str, str] = {}
        for raw in lines[1:]:
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return parts[0], parts[1], headers

    # -- helpers ---------------------------------------------------------------------------

    def _reply(
        self,
        status: int,
        body: bytes,
        content_type: str | None = "application/xml",
        extra: dict[str, str] | None = None,
    ) -> None:
        reason = {200: "OK", 302: "Found", 429: "Too Many Requests", 503: "Service Unavailable"}
        lines = [f"HTTP/1.1 {status} {reason.get(status, 'Status')}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        for name, value in (extra or {}).items():
            lines.append(f"{name}: {value}")
        lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
        self.wfile.write("\r\n".join(lines).encode("latin-1") + body)

    def _stopped(self, seconds: float) -> bool:
        return self.server.owner.stopping.wait(seconds)

    def _dribble(self, data: bytes) -> None:
        for index in range(len(data)):
            if self._stopped(1.0):
                return
            try:
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
            except OSError:
                return

    # -- modes -----------------------------------------------------------------------------

    def mode_external_entity(self, method: str, path: str, headers: dict[str, str]) -> None:
        target = self.server.owner.entity_file or "/etc/passwd"
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<!DOCTYPE BESAPI [\n  <!ENTITY leak SYSTEM "file://{target}">\n]>\n'
            '<BESAPI><Action Resource="http://127.0.0.1/api/action/1" '
            'LastModified="Tue, 19 Mar 2013 21:23:10 +0000">'
            "<Name>&leak;</Name><ID>1</ID></Action></BESAPI>\n"
        )
        self._reply(200, body.encode())

    def mode_billion_laughs(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._reply(200, LAUGHS)

    def mode_invalid_utf8(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._reply(200, INVALID_UTF8, "application/xml; charset=utf-8")

    def mode_redirect(self, method: str, path: str, headers: dict[str, str]) -> None:
        location = (self.server.owner.redirect_to or "http://127.0.0.2:9").rstrip("/") + path
        self._reply(302, b"", None, {"Location": location})

    def mode_endless_body(self, method: str, path: str, headers: dict[str, str]) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        chunk = b"<Action><Name>again</Name></Action>\n" * 1800
        framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        try:
            self.wfile.write(head.encode() + b"9\r\n<BESAPI>\n\r\n")
            while not self.server.owner.stopping.is_set():
                self.wfile.write(framed)
        except OSError:
            return

    def mode_gzip_bomb(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._reply(200, _gzip_bomb(), "application/xml", {"Content-Encoding": "gzip"})

    def mode_no_answer(self, method: str, path: str, headers: dict[str, str]) -> None:
        self.connection.settimeout(0.2)
        while not self.server.owner.stopping.is_set():
            try:
                if not self.connection.recv(1024):
                    return  # the client gave up
            except TimeoutError:
                continue
            except OSError:
                return

    def mode_trickle(self, method: str, path: str, headers: dict[str, str]) -> None:
        body = b"<BESAPI>" + b" " * 100000 + b"</BESAPI>"
        head = (
            "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        try:
            self.wfile.write(head.encode())
            self.wfile.flush()
        except OSError:
            return
        self._dribble(body)

    def mode_trickle_headers(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._dribble(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: " + b"a" * 10000)

    def mode_echo(self, method: str, path: str, headers: dict[str, str]) -> None:
        owner = self.server.owner
        authorization = headers.get("authorization", "")
        password = ""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                password = base64.b64decode(encoded).decode("utf-8").partition(":")[2]
            except ValueError:
                password = ""
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<BESAPI>\n'
            f"  <Echo>Authorization: {authorization}</Echo>\n"
            f"  <Echo>password: {password}</Echo>\n"
            f'  <SecureParameter Name="pw">{owner.secure_value}</SecureParameter>\n'
            "</BESAPI>\n"
        )
        extra = {
            "SessionToken": owner.secure_value + "-session",
            "Set-Cookie": f"session={owner.secure_value}-cookie; HttpOnly",
            "X-Echo-Authorization": authorization,
        }
        self._reply(200, body.encode(), "text/plain", extra)

    def _send_slowly_forever(self, head: bytes, line: bytes) -> None:
        """``head``, then ``line`` again and again until the client goes away."""
        try:
            self.wfile.write(head)
            while not self.server.owner.stopping.is_set():
                self.wfile.write(line)
        except OSError:
            return

    def mode_header_flood(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._send_slowly_forever(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\n",
            b"X-Flood: " + b"f" * 64 + b"\r\n",
        )

    def mode_long_header(self, method: str, path: str, headers: dict[str, str]) -> None:
        head = b"HTTP/1.1 200 OK\r\nX-Long: " + b"l" * (1024 * 1024) + b"\r\n"
        self._reply_raw(head + b"Content-Length: 0\r\nConnection: close\r\n\r\n")

    def mode_bad_chunks(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._reply_raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            b"2\r\n[1\r\nzz-not-a-size\r\n,2]\r\n0\r\n\r\n"
        )

    def mode_endless_continue(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._send_slowly_forever(b"", b"HTTP/1.1 100 Continue\r\n\r\n")

    def mode_interim_only(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._reply_raw(b"HTTP/1.1 102 Processing\r\n\r\n")

    def _promise_more(self, then_close: bool) -> None:
        self._reply_raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1048576\r\n\r\n" + b'{"actions": [1, 2'
        )
        if not then_close:
            self._stopped(3600)  # hold the connection open, send nothing more

    def mode_short_body(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._promise_more(then_close=True)

    def mode_stalled_body(self, method: str, path: str, headers: dict[str, str]) -> None:
        self._promise_more(then_close=False)

    def mode_deep_json(self, method: str, path: str, headers: dict[str, str]) -> None:
        depth = 500000
        self._reply(200, b"[" * depth + b"]" * depth, "application/json")

    def mode_huge_number(self, method: str, path: str, headers: dict[str, str]) -> None:
        digits = b"7" * 100000
        body = b'{"actions": [' + digits + b'], "progress": ' + digits + b"." + digits + b"}"
        self._reply(200, body, "application/json")

    def _reply_raw(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:
            return

    def mode_retry_after(self, method: str, path: str, headers: dict[str, str]) -> None:
        owner = self.server.owner
        with owner.lock:
            first = (method, path) not in owner.answered
            owner.answered.add((method, path))
        if first:
            extra = {"Retry-After": owner.retry_after} if owner.retry_after else {}
            self._reply(owner.retry_status, b"busy", "text/plain", extra)
        else:
            self._reply(200, b"ok", "text/plain")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: HostileServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class HostileServer:
    """One hostile mode on loopback, in a background thread; records what it received."""

    def __init__(
        self,
        mode: str,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        entity_file: str | None = None,
        redirect_to: str | None = None,
        secure_value: str = "hostile-secure-parameter-value",
        retry_status: int = 503,
        retry_after: str = "1",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown hostile mode {mode!r}; choose from {sorted(MODES)}")
        self.mode = mode
        self.entity_file = entity_file
        self.redirect_to = redirect_to
        self.secure_value = secure_value
        self.retry_status = retry_status
        self.retry_after = retry_after
        self.seen: list[Seen] = []
        self.answered: set[tuple[str, str]] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.server = _Server((host, port), _Handler)
        self.server.owner = self
        self._thread: threading.Thread | None = None

    def record(self, seen: Seen) -> None:
        with self.lock:
            self.seen.append(seen)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> str:
        if self.mode == "gzip-bomb":
            _gzip_bomb()  # compress once, before the first client waits for it
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"hostile-{self.mode}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> HostileServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.servers.hostile")
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--entity-file")
    parser.add_argument("--redirect-to")
    options = parser.parse_args(argv)
    server = HostileServer(
        options.mode,
        options.host,
        options.port,
        entity_file=options.entity_file,
        redirect_to=options.redirect_to,
    )
    print(f"serving hostile mode {options.mode} on {server.url}; Ctrl-C stops", flush=True)
    try:
        server.server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping.set()
        server.server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
