"""Secrets never reach a report file, the ledger, stdout or stderr; credentials never reach
another host.

Runs use a recognisable password and token, then every byte the run wrote is searched for
them in every spelling (as given, Base64 of ``user:password``, JSON/URL escaped). Whole runs go
through the command's entry point in this interpreter (``run_in_process``: what the run writes to
its files, stdout and stderr is the same); the refusals of the command line itself (exit 2 and 3)
run as real ``conformance`` processes.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from conformance.auth import uses_token
from conformance.http import ApiClient, Exchange, _excerpt
from conformance.paths import SUITES_DIR
from conformance.redact import REDACTED, Redactor
from conformance.servers import APPS, ReferenceApp, ReferenceServer, app_class
from conformance.servers.hostile import HostileServer
from tests.helpers import PASSWORD_ENV, CliResult, assert_no_traceback, run_cli, run_in_process

USER = "qa-safety"
PASSWORD = 'Pw-"9d1e"-\\-Secret'  # quotes and a backslash: escaped differently everywhere
TOKEN = "Tok-3f7a-Secret-Token"
TOKEN_ENV = "ACTIONCONFORM_SAFETY_TOKEN"
ENV = {PASSWORD_ENV: PASSWORD, TOKEN_ENV: TOKEN}
SECURE_VALUE = "hostile-secure-parameter-value-71c4"
CREDENTIALS = ("--user", USER, "--password-env", PASSWORD_ENV, "--token-env", TOKEN_ENV)


def _suite_secure_values() -> set[str]:
    """SecureParameter values the suites send (examples and constants)."""
    values: set[str] = set()
    for path in SUITES_DIR.rglob("*"):
        if path.suffix not in (".xml", ".py", ".bes", ".toml") or not path.is_file():
            continue
        text = path.read_text("utf-8", "replace")
        values |= set(re.findall(r"<SecureParameter\b[^>]*>([^<]+)</SecureParameter>", text))
        values |= set(re.findall(r'SECURE_VALUE\s*=\s*"([^"]+)"', text))
    return {value for value in values if value.strip()}


def _forbidden(*extra: str) -> set[str]:
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    words = {PASSWORD, TOKEN, pair, json.dumps(PASSWORD)[1:-1], quote(PASSWORD, safe="")}
    return words | _suite_secure_values() | set(extra)


def _leaks(result: CliResult, forbidden: set[str]) -> list[str]:
    sources = {"stdout": result.stdout, "stderr": result.stderr}
    if result.report_dir is not None:
        for path in result.report_dir.iterdir():
            sources[path.name] = path.read_text("utf-8", "replace")
    return [
        f"{word!r} in {name}"
        for name, text in sources.items()
        for word in forbidden
        if word in text
    ]


def _app(api: str) -> ReferenceApp:
    cls = app_class(api)
    if uses_token(api):
        return cls(token=TOKEN)  # type: ignore[call-arg]
    return cls(username=USER, password=PASSWORD)


@pytest.mark.parametrize("api", sorted(APPS))
def test_a_run_with_mutations_writes_no_secret(api: str, tmp_path: Path) -> None:
    with ReferenceServer(_app(api)) as server:
        result = run_in_process(
            "run",
            "--api",
            api,
            "--base-url",
            server.url,
            *CREDENTIALS,
            "--allow-mutations",
            report_dir=tmp_path / "report",
            env=ENV,
        )
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    assert _leaks(result, _forbidden()) == []


def test_secrets_echoed_by_a_server_are_redacted_everywhere(tmp_path: Path) -> None:
    with HostileServer("echo", secure_value=SECURE_VALUE) as server:
        result = run_in_process(
            "run", "--base-url", server.url, *CREDENTIALS, report_dir=tmp_path / "report", env=ENV
        )
    assert_no_traceback(result)
    assert result.code == 1, result.stdout + result.stderr
    forbidden = _forbidden(SECURE_VALUE, f"{SECURE_VALUE}-session", f"{SECURE_VALUE}-cookie")
    assert _leaks(result, forbidden) == []
    report = (tmp_path / "report" / "report.json").read_text("utf-8")
    assert REDACTED in report  # the echo was there, redacted


def test_rejected_credentials_do_not_echo_the_password(tmp_path: Path) -> None:
    with ReferenceServer(app_class("bigfix")()) as server:
        result = run_cli("run", "--api", "bigfix", "--base-url", server.url, *CREDENTIALS, env=ENV)
    assert result.code == 3
    assert _leaks(result, _forbidden()) == []


def test_credentials_in_the_base_url_are_refused() -> None:
    result = run_cli("run", "--base-url", f"http://{USER}:{TOKEN}@127.0.0.1:9", env=ENV)
    assert result.code == 2
    assert TOKEN not in result.stdout + result.stderr


@pytest.fixture
def other_host() -> Iterator[HostileServer]:
    with HostileServer("echo", "127.0.0.2") as server:
        yield server


def test_a_redirect_to_another_host_is_never_followed(other_host: HostileServer) -> None:
    with HostileServer("redirect", redirect_to=other_host.url) as server:
        client = ApiClient(
            server.url,
            authorization="Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
            redactor=Redactor([PASSWORD]),
            timeout=2,
            max_response_bytes=1000,
            allow_mutations=False,
        )
        response = client.request("GET", "/api/actions")
    assert response.status == 302
    assert response.headers["Location"].startswith(other_host.url)
    assert other_host.seen == []
    assert response.exchange.request_headers["Authorization"] == REDACTED


def test_exchange_redacts_secret_headers_and_secure_parameters() -> None:
    redactor = Redactor()
    redactor.add(PASSWORD, USER)
    body = f'<SecureParameter Name="p">{SECURE_VALUE}</SecureParameter>'.encode()
    with HostileServer("echo", secure_value=SECURE_VALUE) as server:
        client = ApiClient(
            server.url,
            authorization="Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
            redactor=redactor,
            timeout=2,
            max_response_bytes=100000,
            allow_mutations=True,
        )
        response = client.request(
            "POST", "/x", body=body, headers={"SessionToken": TOKEN, "X-Note": PASSWORD}
        )
    evidence = json.dumps(response.exchange.evidence())
    for secret in (PASSWORD, TOKEN, SECURE_VALUE, json.dumps(PASSWORD)[1:-1]):
        assert secret not in evidence, secret
    assert response.exchange.response_headers["SessionToken"] == REDACTED
    assert response.exchange.response_headers["Set-Cookie"] == REDACTED


def test_an_excerpt_cut_inside_a_secure_parameter_shows_none_of_it() -> None:
    text = "x" * 1990 + f'<SecureParameter Name="p">{SECURE_VALUE}</SecureParameter>'
    assert SECURE_VALUE[:5] not in _excerpt(text.encode(), Redactor())
    unclosed = f'<SecureParameter Name="p">{SECURE_VALUE}'
    assert SECURE_VALUE not in Redactor().text(unclosed)


def test_secure_parameter_contents_are_redacted_whatever_the_case_or_escaping() -> None:
    """The element's name in any case (IGNORECASE, long s included) and HTML-escaped."""
    for name in ("SecureParameter", "SECUREPARAMETER", "secureparameter", "\u017fecureParameter"):
        raw = f'<{name} Name="p">{SECURE_VALUE}</{name}>'
        escaped = f"&lt;{name} Name=&quot;p&quot;&gt;{SECURE_VALUE}&lt;/{name}&gt;"
        for text in (raw, escaped, f"prefix {raw} suffix"):
            assert SECURE_VALUE not in Redactor().text(text), text
    assert Redactor().text("<Parameter>kept</Parameter>") == "<Parameter>kept</Parameter>"


def test_a_secret_is_redacted_in_every_spelling() -> None:
    redactor = Redactor([PASSWORD])
    for spelling in (PASSWORD, json.dumps(PASSWORD)[1:-1], quote(PASSWORD, safe="")):
        assert PASSWORD not in redactor.text(f"before {spelling} after")
        assert redactor.text(f"before {spelling} after") == f"before {REDACTED} after"


def test_an_exchange_curl_line_holds_no_secret() -> None:
    redactor = Redactor([TOKEN])
    exchange = Exchange(
        "GET",
        "http://127.0.0.1/x",
        redactor.headers({"Authorization": TOKEN, "X-Other": f"a {TOKEN} b"}),
        "",
    )
    assert TOKEN not in exchange.curl()


def test_a_one_letter_password_does_not_break_the_report(tmp_path: Path) -> None:
    app = app_class("bigfix")(username=USER, password="e")
    with ReferenceServer(app) as server:
        result = run_in_process(
            "run",
            "--api",
            "bigfix",
            "--base-url",
            server.url,
            "--user",
            USER,
            "--password-env",
            PASSWORD_ENV,
            report_dir=tmp_path / "report",
            env={PASSWORD_ENV: "e"},
        )
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    summary = result.report["summary"]  # keys are never redacted, values are
    assert summary["expected_failures"] == 0 and summary["verdict"] == "conformant"
