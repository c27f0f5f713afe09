"""How the suite reaches a server through the network it is on: extra headers (an API
gateway's key, a tenant header), a proxy, the proxy environment, a client certificate.

``Network`` is built once from flags and the target file; the client reads from it. It knows
the secrets it carries (header values read from the environment, proxy passwords) so they are
redacted like passwords. The client key file is only ever handed to the TLS library by path.
"""

from __future__ import annotations

import os
import re
import shlex
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies

import requests.utils

from conformance.errors import UsageError
from conformance.redact import Redactor

# Headers the suite itself sets or judges: a fixed value would break its checks (a test that
# sends no credentials must send none) or the framing of the request.
RESERVED_HEADERS = {
    "authorization": "use --user/--password-env or --token-env",
    "proxy-authorization": "put the proxy credentials in the --proxy URL",
    "host": "the suite sends the host of --base-url",
    "content-type": "the suite sets it per request and judges the answer to it",
    "accept": "the suite sets it per request and judges the answer to it",
    "content-length": "it is computed per request",
    "transfer-encoding": "it is computed per request",
    "connection": "a hop-by-hop header",
    "te": "a hop-by-hop header",
    "upgrade": "a hop-by-hop header",
    "expect": "the suite does not wait for 100 Continue",
}
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 field name
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
PROXY_SCHEMES = ("http", "https")
PROXY_PASSWORD_VARIABLE = "PROXY_PASSWORD"  # what a reproducer reads the proxy password from


def _double_quoted(text: str) -> str:
    return re.sub(r'([\\"$`])', r"\\\1", text)


def check_header_name(name: str, where: str) -> str:
    name = name.strip()
    if not _TOKEN.match(name):
        raise UsageError(f"{where}: {name!r} is not a valid header name")
    reason = RESERVED_HEADERS.get(name.lower())
    if reason:
        raise UsageError(f"{where}: the {name} header cannot be set this way ({reason})")
    return name


def _check_value(name: str, value: str, where: str) -> str:
    if _BAD_VALUE.search(value):
        raise UsageError(f"{where}: the value of {name} holds a control character")
    return value.strip()


def parse_header(text: str) -> tuple[str, str]:
    """``--header 'Name: value'`` as (name, value)."""
    name, colon, value = text.partition(":")
    if not colon:
        raise UsageError(f"--header {text!r}: expected 'Name: value'")
    name = check_header_name(name, "--header")
    return name, _check_value(name, value, "--header")


def parse_header_env(text: str) -> tuple[str, str]:
    """``--header-env NAME=VAR`` as (header name, environment variable)."""
    name, equals, variable = text.partition("=")
    if not equals or not variable.strip():
        raise UsageError(f"--header-env {text!r}: expected HEADER-NAME=ENVIRONMENT_VARIABLE")
    return check_header_name(name, "--header-env"), variable.strip()


def check_proxy(url: str, where: str = "--proxy") -> str:
    parts = urlsplit(url)
    if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
        raise UsageError(f"{where}: expected an http:// or https:// proxy URL with a host")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise UsageError(f"{where}: the proxy URL has an invalid port") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise UsageError(f"{where}: a proxy URL is scheme://[user:password@]host[:port]")
    return url


def proxy_secrets(url: str | None) -> list[str]:
    """The password of a proxy URL, as given and percent-decoded."""
    if not url:
        return []
    parts = urlsplit(url)
    if not parts.password:
        return []
    return list(dict.fromkeys([parts.password, unquote(parts.password)]))


def _readable(path: str, what: str) -> str:
    if not Path(path).is_file():
        raise UsageError(f"{what} {path} is not a readable file")
    return path


def _refuse_passphrase() -> bytes:
    raise UsageError("the client key is protected by a passphrase; give an unencrypted key file")


def check_client_certificate(cert: str, key: str | None) -> None:
    """Load the pair once, so a wrong file is exit 2 now and not a TLS failure later."""
    _readable(cert, "--client-cert")
    if key is not None:
        _readable(key, "--client-key")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert, key, password=_refuse_passphrase)
    except ssl.SSLError as exc:
        hint = "" if key else " (give the key with --client-key, or put it in the same file)"
        raise UsageError(
            f"--client-cert {cert}: not a usable certificate and key{hint}: {exc.reason}"
        ) from None


@dataclass(frozen=True)
class Network:
    """Extra headers, proxy and client certificate for every request of a run."""

    headers: tuple[tuple[str, str], ...] = ()
    header_env: tuple[tuple[str, str], ...] = ()  # (header name, environment variable)
    proxy: str | None = None
    trust_env: bool = False
    client_cert: str | None = None
    client_key: str | None = None

    def header_values(self) -> dict[str, str]:
        """Every extra header with its value (those from the environment read now)."""
        values = dict(self.headers)
        for name, variable in self.header_env:
            value = os.environ.get(variable)
            if value is None:
                raise UsageError(
                    f"--header-env {name}={variable}: environment variable {variable} is not set"
                )
            values[name] = _check_value(name, value, "--header-env")
        return values

    def secrets(self) -> list[str]:
        """Values to redact: headers read from the environment, proxy passwords."""
        found = [value for name, value in self.header_values().items() if self.is_secret(name)]
        found += proxy_secrets(self.proxy)
        if self.trust_env:
            for url in getproxies().values():
                found += proxy_secrets(url)
        return [value for value in found if value]

    def add_to(self, redactor: Redactor) -> None:
        """Teach a redactor these secrets, a proxy password also Base64-paired with its user."""
        for secret in self.secrets():
            redactor.add(secret)
        urls = [self.proxy] + (list(getproxies().values()) if self.trust_env else [])
        for url in urls:
            parts = urlsplit(url or "")
            if parts.password:
                for user in {parts.username or "", unquote(parts.username or "")}:
                    redactor.add(unquote(parts.password), user)

    def proxy_has_credentials(self) -> bool:
        urls = [self.proxy] + (list(getproxies().values()) if self.trust_env else [])
        return any(urlsplit(url or "").username for url in urls)

    def curl_args(self) -> list[str]:
        """curl's spelling of this network, quoted for a POSIX shell: the proxy (its password
        left to ``$PROXY_PASSWORD``), ``--noproxy '*'`` when the run ignored proxies the
        environment sets, the client certificate and key files."""
        args: list[str] = []
        if self.proxy:
            parts = urlsplit(self.proxy)
            port = f":{parts.port}" if parts.port else ""
            args += ["--proxy", shlex.quote(f"{parts.scheme}://{parts.hostname}{port}")]
            if parts.username:
                user = _double_quoted(unquote(parts.username))
                password = f":${PROXY_PASSWORD_VARIABLE}" if parts.password else ""
                args += ["--proxy-user", f'"{user}{password}"']
        elif not self.trust_env and getproxies():
            args += ["--noproxy", shlex.quote("*")]
        if self.client_cert:
            args += ["--cert", shlex.quote(self.client_cert)]
        if self.client_key:
            args += ["--key", shlex.quote(self.client_key)]
        return args

    def curl_header_variables(self) -> dict[str, str]:
        """Lower-cased header name -> the environment variable holding its (secret) value."""
        return {name.lower(): variable for name, variable in self.header_env}

    def is_secret(self, name: str) -> bool:
        return any(name.lower() == secret.lower() for secret, _ in self.header_env)

    def proxies_for(self, request: requests.PreparedRequest) -> dict[str, str]:
        """The proxies for one request: ``--proxy`` first, then (``--trust-env``) the
        environment's HTTP(S)_PROXY, ALL_PROXY and NO_PROXY; nothing else from it."""
        explicit = {"http": self.proxy, "https": self.proxy} if self.proxy else {}
        return dict(requests.utils.resolve_proxies(request, explicit, self.trust_env))

    def cert(self) -> str | tuple[str, str] | None:
        if self.client_cert is None:
            return None
        if self.client_key is None:
            return self.client_cert
        return (self.client_cert, self.client_key)

    def describe(self) -> dict[str, Any]:
        """What the report may say about the network (no values, no credentials)."""
        record: dict[str, Any] = {}
        if self.headers or self.header_env:
            record["headers"] = sorted({name for name, _ in (*self.headers, *self.header_env)})
        if self.proxy:
            parts = urlsplit(self.proxy)
            record["proxy"] = f"{parts.scheme}://{parts.hostname}" + (
                f":{parts.port}" if parts.port else ""
            )
        if self.trust_env:
            record["trust_env"] = True
        if self.client_cert:
            record["client_cert"] = Path(self.client_cert).name
        return record


def build_network(
    *,
    headers: Iterable[str] = (),
    header_env: Iterable[str] = (),
    proxy: str | None = None,
    trust_env: bool = False,
    client_cert: str | None = None,
    client_key: str | None = None,
    file: Mapping[str, Any] | None = None,
    base: Path | None = None,
) -> Network:
    """Merge target-file keys (``headers``, ``header_env``, ``proxy``, ``trust_env``,
    ``client_cert``, ``client_key``) with flags; flags win, header by header."""
    file = file or {}  # its types were checked by conformance.config_keys
    merged: dict[str, str] = {}
    for name, value in dict(file.get("headers") or {}).items():
        merged[check_header_name(str(name), "target file headers")] = _check_value(
            name, str(value), "target file headers"
        )
    for text in headers:
        name, value = parse_header(text)
        merged[name] = value
    from_env: dict[str, str] = {}
    for name, variable in dict(file.get("header_env") or {}).items():
        from_env[check_header_name(str(name), "target file header_env")] = str(variable)
    for text in header_env:
        name, variable = parse_header_env(text)
        from_env[name] = variable
    lower_env = {name.lower() for name in from_env}
    plain = tuple((name, value) for name, value in merged.items() if name.lower() not in lower_env)
    proxy_url = proxy or file.get("proxy")
    if proxy_url:
        check_proxy(str(proxy_url), "--proxy" if proxy else "target file proxy")
    cert = client_cert or _relative(file.get("client_cert"), base)
    key = client_key or (None if client_cert else _relative(file.get("client_key"), base))
    if key and not cert:
        raise UsageError("--client-key needs --client-cert")
    if cert:
        check_client_certificate(cert, key)
    network = Network(
        headers=plain,
        header_env=tuple(from_env.items()),
        proxy=str(proxy_url) if proxy_url else None,
        trust_env=trust_env or bool(file.get("trust_env", False)),
        client_cert=cert,
        client_key=key,
    )
    network.header_values()  # a missing variable is a usage error before anything is sent
    return network


def _relative(path: Any, base: Path | None) -> str | None:
    if not path:
        return None
    candidate = Path(str(path))
    if base is not None and not candidate.is_absolute():
        candidate = base / candidate
    return str(candidate)
