"""HTTP plumbing shared by the reference servers.

An app is protocol logic only: routes are methods decorated with ``@route``, they receive a
``Request`` and return a ``Reply``. ``ReferenceServer`` serves an app on loopback in a thread.

Besides faults (one documented behaviour broken), an app can play a *variant*: a conformant
way of answering that differs from the default only where the docs or HTTP leave latitude
(``HTTP_VARIANTS`` here serve every app; each app adds its own ``VARIANTS``). An app also plays
one vendor version (``VERSIONS``, oldest first; the newest by default).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import socket
import ssl
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

MAX_REQUEST_BYTES = 32 * 1024 * 1024
BUNDLED_USER = "conformance"
BUNDLED_PASSWORD = "conformance"
BUNDLED_TOKEN = "conformance-token"  # token-authenticated APIs (EdgeIQ)
# A valid user (and token) without the permission the actions need: each server refuses it 403.
BUNDLED_RESTRICTED_USER = "viewer"
BUNDLED_RESTRICTED_PASSWORD = "viewer"
BUNDLED_RESTRICTED_TOKEN = "conformance-restricted-token"


@dataclass(frozen=True)
class Fault:
    """One documented behaviour a reference server can be told to break."""

    name: str
    requirement: str
    description: str
    also_fails: tuple[str, ...] = ()
    # Requirements the fault leaves with nothing to judge (untested or skipped): e.g. a list
    # without usable IDs leaves the checks of one action without an action. Reason in a comment.
    also_untested: tuple[str, ...] = ()


_FAULT_KEYS = {"name", "requirement", "description", "also_fails", "also_untested"}


def load_faults(path: Path) -> dict[str, Fault]:
    """A ``FAULTS`` table from a TOML file of ``[[fault]]`` records, by name.

    Keys: ``name``, ``requirement``, ``description`` and optional ``also_fails`` (requirements
    the fault also breaks) and ``also_untested`` (requirements it leaves with nothing to judge),
    each with the reason in a comment. Unknown keys and duplicates are errors.
    """
    with path.open("rb") as handle:
        records = tomllib.load(handle).get("fault", [])
    faults: dict[str, Fault] = {}
    for index, record in enumerate(records, 1):
        where = f"{path.name} fault #{index}"
        if set(record) - _FAULT_KEYS or not {"name", "requirement", "description"} <= set(record):
            raise ValueError(f"{where}: keys must be {sorted(_FAULT_KEYS)}, got {sorted(record)}")
        fault = Fault(
            str(record["name"]),
            str(record["requirement"]),
            str(record["description"]),
            tuple(str(other) for other in record.get("also_fails", ())),
            tuple(str(other) for other in record.get("also_untested", ())),
        )
        if fault.name in faults:
            raise ValueError(f"{where}: duplicate fault {fault.name!r}")
        faults[fault.name] = fault
    return faults


@dataclass(frozen=True)
class Variant:
    """One conformant way of answering that the docs or HTTP allow; ``allowed_by`` says why."""

    name: str
    description: str
    allowed_by: str


HTTP_VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            "gzip",
            "bodies are gzip-compressed (Content-Encoding: gzip) when the request accepts gzip",
            "RFC 9110 8.4 and 12.5.3: a server may apply a content coding the client accepts",
        ),
        Variant(
            "chunked",
            "bodies are sent with Transfer-Encoding: chunked instead of Content-Length",
            "RFC 9112 6.1: chunked transfer coding is a valid HTTP/1.1 message framing",
        ),
        Variant(
            "charset",
            "media types carry parameters (application/json; charset=utf-8)",
            "RFC 9110 8.3.1: a media type may carry parameters; the type/subtype is what counts",
        ),
        Variant(
            "json-extra-fields",
            "every JSON object carries a member no page documents",
            "forward compatibility: the pages list the members an object has, never that it has "
            "no others (later versions add members, e.g. additional_info)",
        ),
        Variant(
            "json-list-order",
            "every JSON array is sent in reverse order",
            "no page documents an order for any JSON list",
        ),
        Variant(
            "json-layout",
            "JSON pretty-printed (tabs, spaces around separators), members in reverse order",
            "RFC 8259 2 and 4: whitespace around tokens is insignificant and an object is an "
            "unordered collection of members",
        ),
        Variant(
            "xml-layout",
            "XML is re-serialised: single-quoted declaration, indented, attributes in reverse "
            "order, text as CDATA, the XMLSchema-instance namespace under another prefix",
            "XML 1.0 (2.4, 2.7, 3.1: attribute order and CDATA are not significant) and "
            "Namespaces in XML 1.0 (a prefix is only a name for its namespace)",
        ),
        Variant(
            "xml-no-declaration",
            "XML answers start at the root element, without an XML declaration",
            "XML 1.0 2.8: the declaration is optional (UTF-8 is the default encoding); NOTES asks "
            "for one first in POSTed bodies only",
        ),
        Variant(
            "content-type-case",
            "media types in other letter case (Application/JSON; Charset=UTF-8, Text/Plain)",
            "RFC 9110 8.3.1: type, subtype and parameter names are case-insensitive, and so is "
            "the charset value",
        ),
        Variant(
            "cache-headers",
            "every answer carries ETag, Last-Modified and Cache-Control: no-cache",
            "RFC 9110 8.8 and RFC 9111 5.2: validators and cache directives may accompany any "
            "answer",
        ),
        Variant(
            "connection-close",
            "every answer says Connection: close and the server closes the connection",
            "RFC 9112 9.6: a server may close a connection after any answer, saying so",
        ),
    )
}
EXTRA_MEMBER = "x_actionconform_extension"
LAST_MODIFIED = "Tue, 19 Mar 2013 21:23:10 GMT"


def _vary_json(document: Any, variant: str) -> Any:
    """A JSON document with every object extended or reordered, or every array reversed."""
    if isinstance(document, list):
        items = [_vary_json(item, variant) for item in document]
        return items[::-1] if variant == "json-list-order" else items
    if isinstance(document, dict):
        varied = {key: _vary_json(value, variant) for key, value in document.items()}
        if variant == "json-extra-fields":
            varied[EXTRA_MEMBER] = {"since": "a later version", "values": [1, "two"]}
        if variant == "json-layout":
            varied = dict(reversed(varied.items()))
        return varied
    return document


def vary_json_body(payload: bytes, variant: str | None) -> bytes:
    """The JSON variants applied to a reply body (unchanged if not JSON or no such variant)."""
    if variant not in ("json-extra-fields", "json-list-order", "json-layout") or not payload:
        return payload
    try:
        document = json.loads(payload)
    except ValueError:
        return payload
    varied = _vary_json(document, variant)
    if variant == "json-layout":
        text = json.dumps(varied, indent="\t", separators=(" , ", " : "))
        return f"\r\n {text}\n\n".encode()
    return json.dumps(varied).encode("utf-8")


XSI = "http://www.w3.org/2001/XMLSchema-instance"


def vary_xml_body(payload: bytes) -> bytes:
    """The ``xml-layout`` variant of an XML reply body (unchanged if it does not parse)."""
    from lxml import etree

    try:
        root = etree.fromstring(payload, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return payload
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        attributes = list(element.attrib.items())
        element.attrib.clear()
        for name, value in reversed(attributes):
            element.set(name, value)
        if element.text and element.text.strip() and "]]>" not in element.text:
            element.text = etree.CDATA(element.text)
    etree.indent(root, space="   ")
    text = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    # Another prefix for the XMLSchema-instance namespace: the same names (Namespaces in XML).
    return text.replace(b"xmlns:xsi=", b"xmlns:inst=").replace(b"xsi:", b"inst:") + b"\n"


def vary_media_type(content_type: str) -> str:
    """``content-type-case``: ``Application/JSON; Charset=UTF-8`` for the lower-case form."""
    kind, _, parameters = content_type.partition(";")
    main, _, sub = kind.strip().partition("/")
    varied = f"{main.capitalize()}/{sub.upper() if len(sub) <= 4 else sub.capitalize()}"
    for parameter in parameters.split(";") if parameters else []:
        name, _, value = parameter.strip().partition("=")
        varied += f"; {name.capitalize()}={value.upper() if name.lower() == 'charset' else value}"
    return varied


_VARIANT_KEYS = {"name", "description", "allowed_by"}


def load_variants(path: Path) -> dict[str, Variant]:
    """A ``VARIANTS`` table from a TOML file of ``[[variant]]`` records (name, description,
    allowed_by), by name. Unknown keys and duplicates are errors."""
    with path.open("rb") as handle:
        records = tomllib.load(handle).get("variant", [])
    variants: dict[str, Variant] = {}
    for index, record in enumerate(records, 1):
        if set(record) != _VARIANT_KEYS:
            raise ValueError(f"{path.name} variant #{index}: keys must be {sorted(_VARIANT_KEYS)}")
        variant = Variant(
            str(record["name"]), str(record["description"]), str(record["allowed_by"])
        )
        if variant.name in variants or variant.name in HTTP_VARIANTS:
            raise ValueError(f"{path.name} variant #{index}: duplicate variant {variant.name!r}")
        variants[variant.name] = variant
    return variants


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    scheme: str = "http"

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def basic_auth(self) -> tuple[str, str] | None:
        value = self.header("Authorization") or ""
        scheme, _, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host}"


@dataclass
class Reply:
    status: int
    body: bytes | str = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


Handler = Callable[..., Reply]


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Mark an app method as the handler of ``METHOD pattern`` (a full-match regex)."""

    def mark(function: Handler) -> Handler:
        routes = getattr(function, "_routes", [])
        routes.append((method, re.compile(pattern)))
        function._routes = routes  # type: ignore[attr-defined]
        return function

    return mark


class ReferenceApp:
    """Protocol logic of one bundled server. Subclasses define ``API``, ``FAULTS``, routes."""

    API: ClassVar[str] = ""
    FAULTS: ClassVar[dict[str, Fault]] = {}
    # Attributes holding records the API offers no way to remove (e.g. executions): a run
    # with mutations may add to these, and only to these.
    HISTORY: ClassVar[tuple[str, ...]] = ()
    VARIANTS: ClassVar[dict[str, Variant]] = {}  # this API's own; see variants()
    VERSIONS: ClassVar[tuple[str, ...]] = ()  # vendor versions it can play, oldest first
    BASE_PATH: ClassVar[str] = ""  # the documented base path routes are relative to, e.g. /api/v1
    # Seed options this app takes as keyword arguments (``conformance mock API --computers N``).
    SEED_OPTIONS: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        fault: str | None = None,
        username: str = BUNDLED_USER,
        password: str = BUNDLED_PASSWORD,
        *,
        variant: str | None = None,
        vendor_version: str | None = None,
    ) -> None:
        if fault is not None and fault not in self.FAULTS:
            raise ValueError(f"unknown fault {fault!r} for {self.API}")
        if variant is not None and variant not in self.variants():
            raise ValueError(f"unknown variant {variant!r} for {self.API}")
        if vendor_version is not None and vendor_version not in self.VERSIONS:
            known = ", ".join(self.VERSIONS) or "none"
            raise ValueError(
                f"{self.API} reference server cannot play version {vendor_version!r} "
                f"(it plays: {known})"
            )
        self.fault = fault
        self.variant = variant
        self.vendor_version = vendor_version or (self.VERSIONS[-1] if self.VERSIONS else None)
        self.username = username
        self.password = password
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        for name in dir(type(self)):
            function = getattr(type(self), name)
            for method, pattern in getattr(function, "_routes", []):
                self._routes.append((method, pattern, getattr(self, name)))

    def fixtures(self) -> dict[str, Any]:
        """The target-file ``[fixtures]`` that name this server's seeded objects."""
        return {}

    def faulty(self, name: str) -> bool:
        return self.fault == name

    @classmethod
    def variants(cls) -> dict[str, Variant]:
        """Every variant this app can play: the HTTP-level ones, then its own."""
        return {**HTTP_VARIANTS, **cls.VARIANTS}

    def varies(self, name: str) -> bool:
        return self.variant == name

    def plays(self, since: str | None = None, until: str | None = None) -> bool:
        """Whether the vendor version this app plays is in ``[since, until)``."""
        from conformance.versions import applies

        return applies(since, until, self.vendor_version)

    def authorized(self, request: Request) -> bool:
        return request.basic_auth() == (self.username, self.password)

    def not_found(self, request: Request) -> Reply:
        return Reply(404, "Not Found", "text/plain")

    def method_not_allowed(self, request: Request) -> Reply:
        return Reply(405, "Method Not Allowed", "text/plain")

    def dispatch(self, request: Request) -> Reply:
        """Route a request; a known path answers an unrouted method 405 with ``Allow`` (RFC 9110
        15.5.6) and ``OPTIONS`` with 204 and ``Allow``, as real servers do."""
        path = request.path
        if self.BASE_PATH:
            if path != self.BASE_PATH and not path.startswith(self.BASE_PATH + "/"):
                return self.not_found(request)
            path = path[len(self.BASE_PATH) :] or "/"
        allowed: set[str] = set()
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if not match:
                continue
            allowed.add(method)
            if method == request.method:
                request.params = {key: unquote(value) for key, value in match.groupdict().items()}
                return self.handle(request, handler)
        if not allowed:
            return self.not_found(request)
        allow = ", ".join(sorted(allowed | {"OPTIONS"}))
        if request.method == "OPTIONS":
            return Reply(204, headers={"Allow": allow})
        reply = self.method_not_allowed(request)
        reply.headers.setdefault("Allow", allow)
        return reply

    def handle(self, request: Request, handler: Handler) -> Reply:
        """Call a route handler; subclasses wrap this for authentication."""
        return handler(request, **request.params)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "actionconform-reference/0.1"
    disable_nagle_algorithm = True  # replies go out at once, not after the 40 ms ACK delay
    app: ReferenceApp
    scheme = "http"
    tls: ssl.SSLContext | None = None
    timeout = 60  # a client that stalls mid-request frees its thread

    def setup(self) -> None:
        # The TLS handshake runs here, in the connection's own thread, never in accept().
        if self.tls is not None:
            self.request.settimeout(10)
            self.request = self.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_REQUEST_BYTES:
            self._send(Reply(413, "Request body too large", "text/plain"))
            return
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={key: value for key, value in self.headers.items()},
            body=body,
            host=self.headers.get("Host") or "127.0.0.1",
            scheme=self.scheme,
        )
        try:
            reply = self.app.dispatch(request)
        except Exception as exc:  # a bug in a reference server is a 500, never a hang
            reply = Reply(500, f"reference server error: {exc}", "text/plain")
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        payload = reply.encoded()
        variant = getattr(self.app, "variant", None)
        content_type = reply.content_type
        if content_type and "json" in content_type.lower():
            payload = vary_json_body(payload, variant)
        is_xml = bool(content_type and "xml" in content_type.lower() and payload)
        if variant == "xml-layout" and is_xml:
            payload = vary_xml_body(payload)
        if variant == "xml-no-declaration" and is_xml:
            payload = re.sub(rb"^\s*<\?xml[^>]*\?>\s*", b"", payload)
        if variant == "charset" and content_type and "charset" not in content_type.lower():
            content_type += "; charset=utf-8"
        if variant == "content-type-case" and content_type:
            content_type = vary_media_type(content_type)
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "").lower()
        headers = dict(reply.headers)
        if variant == "cache-headers":
            digest = hashlib.sha256(payload).hexdigest()[:16]
            headers.setdefault("ETag", f'"{digest}"')
            headers.setdefault("Last-Modified", LAST_MODIFIED)
            headers.setdefault("Cache-Control", "no-cache")
        if variant == "connection-close":
            headers["Connection"] = "close"
            self.close_connection = True
        if variant == "gzip" and payload and accepts_gzip and "Content-Encoding" not in headers:
            payload = gzip.compress(payload, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        chunked = variant == "chunked" and reply.status not in (204, 304) and reply.status >= 200
        self.send_response(reply.status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not chunked:
            self.wfile.write(payload)
            return
        for start in range(0, len(payload), 1000):  # several chunks, so framing matters
            chunk = payload[start : start + 1000]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    # Every method RFC 9110 and the QUERY draft define reaches the app (405 + Allow when a path
    # does not route it); only a method nobody defines gets the standard library's 501.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve
    do_TRACE = do_QUERY = _serve


class _QuietServer(ThreadingHTTPServer):
    """A client that hangs up, or refuses our certificate, is no server error."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return


class _QuietServer6(_QuietServer):
    address_family = socket.AF_INET6


class ReferenceServer:
    """Serves one app on loopback in a background thread, over HTTP or HTTPS.

    ``tls`` is a server-side ``ssl.SSLContext`` (see ``conformance.tls``); with it the server
    speaks HTTPS and ``url`` starts with ``https://``.
    """

    def __init__(
        self,
        app: ReferenceApp,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        scheme = "https" if tls is not None else "http"
        attributes = {"app": app, "tls": tls, "scheme": scheme}
        handler = type("Handler", (_RequestHandler,), attributes)
        self.app = app
        self.scheme = scheme
        server_class = _QuietServer6 if ":" in host else _QuietServer
        self.httpd = server_class((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL clients use: the origin plus the app's documented base path."""
        host, port = self.httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{name}]" if ":" in name else name
        return f"{self.scheme}://{shown}:{port}{self.app.BASE_PATH}"

    def replace_app(self, app: ReferenceApp) -> None:
        """Serve ``app`` from now on (e.g. the same API with another fault, or fresh state),
        on the same socket and thread: tests start a server once per API and reset it."""
        self.app = app
        self.httpd.RequestHandlerClass.app = app  # type: ignore[attr-defined]

    def start(self) -> str:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"reference-{self.app.API}",
            daemon=True,
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReferenceServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
