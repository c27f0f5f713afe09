"""The suite's HTTP client: bounded, redacting, read-only unless mutations are allowed.

Every exchange is kept (redacted) so a failed check can show the request and the response.
Redirects are never followed, so credentials never reach another host.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from conformance.redact import Redactor

EXCERPT_CHARS = 2000
MUTATING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
DEFAULT = object()  # sentinel: "use the target's credentials"


class NoResponse(Exception):
    """The server did not answer in time, refused the connection, or sent too much."""


@dataclass
class Exchange:
    """One request and its response, redacted, for evidence."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    body_excerpt: str = ""
    elapsed: float = 0.0

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.url}"

    def evidence(self) -> dict[str, Any]:
        return {
            "request": self.request_line,
            "request_body_excerpt": self.request_body,
            "response": {
                "status": self.status,
                "headers": self.response_headers,
                "body_excerpt": self.body_excerpt,
            },
            "reproduce": self.curl(),
        }

    def curl(self) -> str:
        parts = ["curl", "-sS", "-X", self.method]
        for name, value in self.request_headers.items():
            if name.lower() in {"user-agent", "accept-encoding", "connection", "content-length"}:
                continue
            parts += ["-H", f"{name}: {value}"]
        if self.request_body:
            parts += ["--data-binary", self.request_body]
        parts.append(self.url)
        return " ".join(shlex.quote(part) for part in parts)


@dataclass
class Response:
    """A fully read response with the exchange that produced it."""

    status: int
    headers: CaseInsensitiveDict[str]
    content: bytes
    exchange: Exchange

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.content)


def _excerpt(data: bytes | str, redactor: Redactor) -> str:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if len(text) > EXCERPT_CHARS:
        text = text[:EXCERPT_CHARS] + f"... [{len(text) - EXCERPT_CHARS} more characters]"
    return redactor.text(text)


class ApiClient:
    """Sends requests to one base URL under the target's limits and safety rules."""

    def __init__(
        self,
        base_url: str,
        *,
        authorization: str | None,
        redactor: Redactor,
        timeout: float,
        verify: bool | str = True,
        max_response_bytes: int,
        allow_mutations: bool,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.authorization = authorization
        self.redactor = redactor
        self.timeout = timeout
        self.verify = verify
        self.max_response_bytes = max_response_bytes
        self.allow_mutations = allow_mutations
        self._local = threading.local()
        self.last_exchange: Exchange | None = None

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            self._local.session = session
        return session

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        authorization: Any = DEFAULT,
        mutating: bool | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request; skips the test if it would mutate and mutations are not allowed.

        ``mutating=False`` on a POST or DELETE declares that a conformant server must refuse it
        (the docs say so), which makes it safe to send in a read-only run.
        """
        method = method.upper()
        if mutating is None:
            mutating = method in MUTATING_METHODS
        if mutating and not self.allow_mutations:
            pytest.skip(f"mutations not allowed: {method} {path} (pass --allow-mutations)")
        send_headers = dict(headers or {})
        auth = self.authorization if authorization is DEFAULT else authorization
        if auth:
            send_headers["Authorization"] = auth
        data = body.encode("utf-8") if isinstance(body, str) else body
        limit = timeout or self.timeout
        prepared = self.session.prepare_request(
            requests.Request(
                method, self.base_url + path, params=params, data=data, headers=send_headers
            )
        )
        exchange = Exchange(
            method=method,
            url=self.redactor.text(prepared.url or path),
            request_headers=self.redactor.headers(dict(prepared.headers)),
            request_body=_excerpt(data or b"", self.redactor),
        )
        self.last_exchange = exchange
        started = time.monotonic()
        try:
            raw = self.session.send(
                prepared,
                stream=True,
                timeout=(min(limit, 10.0), limit),
                verify=self.verify,
                allow_redirects=False,
            )
        except requests.exceptions.SSLError as exc:
            raise NoResponse(f"TLS failure: {_first_line(exc)}") from None
        except requests.exceptions.Timeout:
            raise NoResponse(f"no answer within {limit:g} s") from None
        except requests.exceptions.ConnectionError as exc:
            raise NoResponse(f"connection failed: {_first_line(exc)}") from None
        try:
            content = self._read_body(raw, started, limit)
        finally:
            raw.close()
        exchange.status = raw.status_code
        exchange.response_headers = self.redactor.headers(dict(raw.headers))
        exchange.body_excerpt = _excerpt(content, self.redactor)
        exchange.elapsed = round(time.monotonic() - started, 3)
        return Response(raw.status_code, raw.headers, content, exchange)

    def _read_body(self, raw: requests.Response, started: float, limit: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in raw.raw.stream(65536, decode_content=True):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise NoResponse(
                        f"response body exceeds the {self.max_response_bytes}-byte limit"
                    )
                if time.monotonic() - started > limit:
                    raise NoResponse(f"response not complete within {limit:g} s")
                chunks.append(chunk)
        except requests.exceptions.RequestException as exc:
            raise NoResponse(f"reading the body failed: {_first_line(exc)}") from None
        except (OSError, urllib3.exceptions.HTTPError) as exc:
            raise NoResponse(f"reading the body failed: {_first_line(exc)}") from None
        return b"".join(chunks)


def _first_line(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:300]
