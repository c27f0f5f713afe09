"""The suite's HTTP client: bounded, polite, redacting, read-only unless mutations are allowed.

Every exchange is kept (redacted) so a failed check can show the request and the response.
Redirects are never followed, so credentials never reach another host. Each request has a hard
deadline (a watchdog shuts its socket down), a cap on the body size, an optional shared rate
limit, and bounded retries of idempotent requests that a 429 or 503 asks to repeat later.
"""

from __future__ import annotations

import json
import re
import shlex
import threading
import time
import unittest
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
from requests.structures import CaseInsensitiveDict

from conformance.budget import MutationBudget
from conformance.failures import CheckFailure
from conformance.network import Network
from conformance.redact import REDACTED, Redactor
from conformance.transport import (
    GIVE_UP_AFTER,
    Breaker,
    Guard,
    RateLimiter,
    new_session,
    parse_retry_after,
    reason,
)

__all__ = [
    "DEFAULT",
    "GIVE_UP_AFTER",
    "MUTATING_METHODS",
    "ApiClient",
    "Breaker",
    "Exchange",
    "NoResponse",
    "RateLimiter",
    "Response",
    "RunDeadlineReached",
    "parse_retry_after",
    "reason",
]

EXCERPT_CHARS = 2000
REPLAY_CHARS = 256 * 1024  # request bodies up to this size are kept whole
MUTATING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
IDEMPOTENT_METHODS = {"GET", "HEAD", "OPTIONS"}
RETRY_STATUSES = {429, 503}
MAX_RETRIES = 2
DEFAULT = object()  # sentinel: "use the target's credentials"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class NoResponse(Exception):
    """The server did not answer in time, refused the connection, or sent too much.

    ``kind`` is one of ``timeout``, ``connect``, ``tls``, ``too-large``, ``read``,
    ``unresponsive`` (not sent: the server stopped answering) or ``other``. ``stop_run`` is set
    when this failure means the run should stop.
    """

    def __init__(
        self,
        message: str,
        kind: str = "other",
        exchange: Exchange | None = None,
        stop_run: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.exchange = exchange
        self.stop_run = stop_run

    def evidence(self) -> dict[str, Any]:
        record: dict[str, Any] = {"message": f"no usable response: {self.message}"}
        if self.exchange is not None:
            record.update(self.exchange.evidence())
        return record


class MutationRefused(unittest.SkipTest):
    """A request that may act on the server, in a run that does not allow mutations: the test
    that asked for it is skipped with this reason. A ``unittest.SkipTest``, which pytest reports
    as a skip and Hypothesis passes straight through (no example counts as failing); the client
    itself knows nothing of pytest."""


class RunDeadlineReached(KeyboardInterrupt):
    """The run's overall deadline passed: the run stops as if interrupted (cleanup, then a
    partial report). A KeyboardInterrupt so that nothing (Hypothesis included) retries it."""


# -- exchanges and responses ----------------------------------------------------------------


@dataclass
class Exchange:
    """One request and its response, redacted, for evidence, the HAR file and a reproducer.

    ``curl_auth`` and ``curl_tls`` are the curl arguments (already quoted for a POSIX shell)
    that stand for the client's credentials (as shell variables, never values) and its TLS
    settings; ``request_text`` is the whole redacted request body when it is short enough to
    replay (``REPLAY_CHARS``), else None.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    body_excerpt: str = ""
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)
    request_text: str | None = None
    request_size: int = 0
    curl_auth: list[str] = field(default_factory=list)
    curl_tls: list[str] = field(default_factory=list)
    curl_network: list[str] = field(default_factory=list)  # proxy, client certificate
    curl_header_variables: dict[str, str] = field(default_factory=dict)  # header -> VAR
    started: float = 0.0  # time.time() when the request was sent
    judged: list[str] = field(default_factory=list)  # requirements the spec judge judged on it
    # "default" (the target's credentials), "none" or "custom" (the test chose them)
    credentials: str = "default"

    @property
    def request_line(self) -> str:
        return f"{self.method} {self.url}"

    def evidence(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "request": self.request_line,
            "request_headers": self.request_headers,
            "request_body_excerpt": self.request_body,
            "response": {
                "status": self.status,
                "headers": self.response_headers,
                "body_excerpt": self.body_excerpt,
            },
            "reproduce": self.curl(),
        }
        if self.notes:
            record["notes"] = list(self.notes)
        return record

    def curl(self) -> str:
        """A curl command that sends this request again, secrets as shell variables."""
        parts = [shlex.quote(part) for part in ("curl", "-sS", "-i", "-X", self.method)]
        parts += self.curl_tls + self.curl_network
        for name, value in self.request_headers.items():
            lowered = name.lower()
            if lowered in {"user-agent", "accept-encoding", "connection", "content-length"}:
                continue
            if lowered == "authorization" and value == REDACTED:
                parts += self.curl_auth  # the client's own credentials, by variable
                continue
            variable = self.curl_header_variables.get(lowered)
            if variable and value == REDACTED:  # --header-env: the value by its variable
                parts += ["-H", f'"{_double_quoted(name)}: ${variable}"']
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        comment = ""
        if self.request_text is not None:
            if self.request_text:
                parts += ["--data-binary", shlex.quote(self.request_text)]
        elif self.request_size:
            parts += ["--data-binary", "@request-body"]
            comment = f"  # the {self.request_size}-byte body was too long to keep"
        parts.append(shlex.quote(self.url))
        return " ".join(parts) + comment


@dataclass
class Response:
    """A fully read response with the exchange that produced it."""

    status: int
    headers: CaseInsensitiveDict[str]
    content: bytes
    exchange: Exchange
    request_content: bytes = b""
    # The URL as sent, unredacted (the exchange's is redacted for reports): for the spec judge,
    # which must read the real path and query, never a report.
    request_url: str = ""
    # The body parsed (XML tree, JSON document) and judged (verdict per schema), once for
    # whoever reads it: the spec judge, the checks and the test (``schemas.BodyCache``).
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def text(self) -> str:
        """The body as UTF-8; invalid UTF-8 is a failed check (``CheckFailure``), not a crash."""
        try:
            return self.content.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"body is not valid UTF-8: {exc.reason} at byte {exc.start}"
            raise CheckFailure(message, self.exchange) from None

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON, decoded once (the same document on every call: read it, do not
        change it); raises ``ValueError`` (never RecursionError) if it is not."""
        found = self.cache.get("json")
        if found is None:
            try:
                found = self.cache["json"] = (json.loads(self.content), None)
            except RecursionError:
                found = self.cache["json"] = (None, ValueError("JSON nested too deeply"))
            except ValueError as exc:
                found = self.cache["json"] = (None, exc)
        document, error = found
        if error is not None:
            raise error
        return document


def _clean(text: str) -> str:
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _excerpt(data: bytes | str, redactor: Redactor) -> str:
    """The start of a body, redacted before it is cut (a cut never exposes half a secret)."""
    window = EXCERPT_CHARS * 4 + 4096
    total = len(data)
    head = data[:window]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    text = redactor.text(text)
    if len(text) > EXCERPT_CHARS or total > window:
        text = text[:EXCERPT_CHARS] + f"... [{total} bytes in all]"
    return _clean(text)


def _replayable(data: bytes, redactor: Redactor) -> str | None:
    """The whole request body, redacted, if it is UTF-8 text short enough to replay."""
    if len(data) > REPLAY_CHARS:
        return None
    try:
        return redactor.text(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _curl_tls(verify: bool | str) -> list[str]:
    """curl's spelling of the client's TLS trust: ``-k`` or ``--cacert FILE``."""
    if verify is False:
        return ["-k"]
    if isinstance(verify, str):
        return ["--cacert", shlex.quote(verify)]
    return []


def curl_basic(username: str, password_env: str | None) -> list[str]:
    """``-u "user:$VAR"``: Basic credentials with the password left to the shell."""
    user = _double_quoted(username)
    if password_env is None:
        return ["-u", f'"{user}:"']
    return ["-u", f'"{user}:${password_env}"']


def curl_token(token_env: str) -> list[str]:
    """``-H "Authorization: $VAR"``: a raw token left to the shell."""
    return ["-H", f'"Authorization: ${token_env}"']


def _double_quoted(text: str) -> str:
    return re.sub(r'([\\"$`])', r"\\\1", text)


# -- the client -----------------------------------------------------------------------------


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
        rate_limiter: RateLimiter | None = None,
        deadline: float | None = None,
        max_retries: int = MAX_RETRIES,
        breaker: Breaker | None = None,
        curl_auth: list[str] | None = None,
        recorder: Callable[[Exchange, bytes | None, str | None], None] | None = None,
        network: Network | None = None,
        budget: MutationBudget | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.network = network or Network()
        self.extra_headers = self.network.header_values()
        self.curl_network = self.network.curl_args()
        self.curl_header_variables = self.network.curl_header_variables()
        # curl arguments standing for ``authorization`` (shell variables, never the secret)
        self.curl_auth = list(curl_auth or [])
        self.recorder = recorder  # sees every exchange on the wire (the HAR file)
        self.authorization = authorization
        self.redactor = redactor
        self.timeout = timeout
        self.verify = verify
        self.max_response_bytes = max_response_bytes
        self.allow_mutations = allow_mutations
        self.rate_limiter = rate_limiter
        self.deadline = deadline  # time.monotonic() at which the whole run must end
        self.max_retries = max_retries
        self.breaker = breaker or Breaker()
        self.budget = budget  # None: no per-requirement limit (cleanup)
        self._local = threading.local()
        self.last_exchange: Exchange | None = None
        # Called with every complete response (after any retry), e.g. the contract judge.
        self.observers: list[Callable[[Response], object]] = []
        if verify is False:
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = new_session()
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
        expect_refusal: bool | None = None,
        timeout: float | None = None,
        retry: bool = True,
        headers_only: bool = False,
        max_bytes: int | None = None,
    ) -> Response:
        """Send one request; skips the test if it would mutate and mutations are not allowed.

        ``mutating=False`` on a POST or DELETE declares that a conformant server must refuse it
        (the docs say so), which makes it safe to send in a read-only run. A GET, HEAD or
        OPTIONS answered 429 or 503 with ``Retry-After`` is repeated (at most ``max_retries``
        times, each wait capped at the timeout) unless ``retry=False``. ``headers_only`` reads
        the status and headers and leaves the body unread. The mutation budget (``budget``)
        may refuse a POST, PUT, PATCH or DELETE: it raises ``budget.NotSent`` unsent.
        ``expect_refusal=True`` declares a request a conformant server refuses although it
        is only sent when mutations are allowed (a lenient server could act on it); like
        ``mutating=False``, a 2xx answer then raises ``budget.AlreadyProven`` at once.
        """
        method = method.upper()
        if mutating is None:
            mutating = method in MUTATING_METHODS
        if mutating and not self.allow_mutations:
            raise MutationRefused(
                f"mutations not allowed: {method} {path} (pass --allow-mutations)"
            )
        send_headers = CaseInsensitiveDict(self.extra_headers)
        send_headers.update(headers or {})  # the test's own headers win
        auth = self.authorization if authorization is DEFAULT else authorization
        if auth:
            send_headers["Authorization"] = auth
        data = body.encode("utf-8") if isinstance(body, str) else body
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
            request_text=_replayable(data or b"", self.redactor),
            request_size=len(data or b""),
            curl_auth=self._curl_auth(auth),
            curl_tls=_curl_tls(self.verify),
            curl_network=self.curl_network,
            curl_header_variables=self.curl_header_variables,
            credentials="default" if authorization is DEFAULT else ("custom" if auth else "none"),
        )
        self.last_exchange = exchange
        stop = self.breaker.reason
        if stop is not None:
            raise NoResponse(f"not sent: {stop}", "unresponsive", exchange, stop)
        ticket = None
        if self.budget is not None:  # may raise budget.NotSent: the request is not sent
            rule_breaking = (not mutating) if expect_refusal is None else expect_refusal
            ticket = self.budget.before_send(
                method, f"{method} {path}", mutating=mutating, rule_breaking=rule_breaking
            )
        limit = timeout or self.timeout
        cap = max_bytes or self.max_response_bytes
        attempt = 0
        while True:
            try:
                response = self._send(prepared, exchange, limit, cap, headers_only)
            except NoResponse as exc:
                self._record(exchange, None, exc.message)
                exc.stop_run = self.breaker.failure(self.base_url)
                raise
            try:
                self.breaker.success()
                if self.budget is not None:
                    self.budget.after_answer(
                        ticket, response.status, response.exchange.evidence, response
                    )
                delay = self._retry_delay(response, method, retry, attempt)
                if delay is None:
                    response.request_content = data or b""
                    response.request_url = prepared.url or ""
                    for observer in [] if headers_only else self.observers:
                        observer(response)
                    return response
            finally:  # every answer, also one refused by the budget; after the observers, so
                self._record(exchange, response.content, None)  # the judge names its verdicts
            attempt += 1
            exchange.notes.append(
                f"answered {response.status} with Retry-After: "
                f"{response.headers.get('Retry-After')}; repeated after {delay:g} s"
            )
            time.sleep(delay)

    def _curl_auth(self, auth: str | None) -> list[str]:
        if not auth:
            return []
        if auth == self.authorization and self.curl_auth:
            return self.curl_auth
        # Other credentials (a test's deliberately wrong ones) are no secret: sent as they were.
        return ["-H", shlex.quote(f"Authorization: {self.redactor.text(auth)}")]

    def _record(self, exchange: Exchange, content: bytes | None, error: str | None) -> None:
        if self.recorder is not None:
            self.recorder(exchange, content, error)

    def _retry_delay(
        self, response: Response, method: str, retry: bool, attempt: int
    ) -> float | None:
        if not retry or method not in IDEMPOTENT_METHODS or attempt >= self.max_retries:
            return None
        if response.status not in RETRY_STATUSES:
            return None
        seconds = parse_retry_after(response.headers.get("Retry-After"))
        if seconds is None:
            return None
        delay = min(seconds, self.timeout)
        if self.deadline is not None and time.monotonic() + delay >= self.deadline:
            return None
        return delay

    def _send(
        self,
        prepared: requests.PreparedRequest,
        exchange: Exchange,
        limit: float,
        cap: int,
        headers_only: bool,
    ) -> Response:
        by_run_deadline = False
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                raise RunDeadlineReached("the run deadline was reached before this request")
            if remaining < limit:
                limit, by_run_deadline = remaining, True
        if self.rate_limiter is not None:
            self.rate_limiter.wait()
        started = time.monotonic()
        exchange.started = time.time()
        with Guard(limit) as guard:
            try:
                raw = self.session.send(
                    prepared,
                    stream=True,
                    timeout=(min(limit, 10.0), limit),
                    verify=self.verify,
                    allow_redirects=False,
                    proxies=self.network.proxies_for(prepared),
                    cert=self.network.cert(),
                )
            except requests.exceptions.RequestException as exc:
                raise self._failure(exc, guard, limit, by_run_deadline, exchange) from None
            try:
                exchange.status = raw.status_code
                exchange.response_headers = {
                    name: _clean(value)
                    for name, value in self.redactor.headers(dict(raw.headers)).items()
                }
                if raw.status_code < 200:  # 100 Continue is skipped below us; 102, 103 are not
                    raise NoResponse(
                        f"answered only an interim {raw.status_code} status, no final answer",
                        "read",
                        exchange,
                    )
                content = b"" if headers_only else self._read_body(raw, cap, exchange)
                if guard.fired:  # a body "until close" cut short by the watchdog
                    raise self._failure(None, guard, limit, by_run_deadline, exchange)
            except (requests.exceptions.RequestException, OSError) as exc:
                raise self._failure(exc, guard, limit, by_run_deadline, exchange) from None
            except urllib3.exceptions.HTTPError as exc:
                raise self._failure(exc, guard, limit, by_run_deadline, exchange) from None
            finally:
                raw.close()
        exchange.body_excerpt = _excerpt(content, self.redactor)
        exchange.elapsed = round(time.monotonic() - started, 3)
        return Response(raw.status_code, raw.headers, content, exchange)

    def _failure(
        self,
        exc: BaseException | None,
        guard: Guard,
        limit: float,
        by_run_deadline: bool,
        exchange: Exchange,
    ) -> NoResponse:
        if guard.fired:
            if by_run_deadline:
                raise RunDeadlineReached("the run deadline was reached during this request")
            return NoResponse(f"no complete answer within {limit:g} s", "timeout", exchange)
        if isinstance(exc, requests.exceptions.SSLError):
            return NoResponse(f"TLS failure: {reason(exc)}", "tls", exchange)
        if isinstance(exc, requests.exceptions.Timeout):
            return NoResponse(f"no answer within {limit:g} s", "timeout", exchange)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return NoResponse(f"connection failed: {reason(exc)}", "connect", exchange)
        detail = reason(exc) if exc is not None else "interrupted"
        return NoResponse(f"reading the response failed: {detail}", "read", exchange)

    def _read_body(self, raw: requests.Response, cap: int, exchange: Exchange) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in raw.raw.stream(65536, decode_content=True):
            size += len(chunk)
            if size > cap:
                exchange.body_excerpt = _excerpt(b"".join(chunks[:1]), self.redactor)
                chunks.clear()  # a kept traceback must not keep the body alive
                raise NoResponse(
                    f"response body exceeds the {cap}-byte limit (--max-response-bytes)",
                    "too-large",
                    exchange,
                )
            chunks.append(chunk)
        return b"".join(chunks)
