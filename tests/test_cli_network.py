"""Networks as they are: extra headers (plain and from the environment), a proxy (given or from
the environment with --trust-env), mutual TLS; secrets given this way never reach the report.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.servers import ReferenceServer, app_class
from conformance.servers.base import ReferenceApp, Reply, Request
from conformance.tls import CertificateFiles, make_certificate
from tests.helpers import PASSWORD_ENV, CliResult, assert_no_traceback, run_cli, run_in_process
from tests.proxy import LoopbackProxy

CREDENTIALS = ("--user", "conformance", "--password-env", PASSWORD_ENV)
# Two quick requirements: one read with credentials, one without (the extra headers still go).
SUBSET = ("--include", "BIGFIX-ACTION-GET-404", "--include", "BIGFIX-AUTH-401")
SECRET = "gw-Secret-7f3a9c"  # an API gateway key, given by --header-env
PROXY_PASSWORD = "pr0xy-Pa55:word"
PASSWORD = "bigfix-Pa55-4e1"


class HeaderRecorder:
    """Wraps an app: the headers of every request it answered."""

    def __init__(self, app: ReferenceApp) -> None:
        self.seen: list[dict[str, str]] = []
        self._lock = threading.Lock()
        original = app.dispatch

        def dispatch(request: Request) -> Reply:
            with self._lock:
                self.seen.append({name.lower(): value for name, value in request.headers.items()})
            return original(request)

        app.dispatch = dispatch  # type: ignore[method-assign]


@pytest.fixture
def bigfix() -> Iterator[tuple[str, HeaderRecorder]]:
    app = app_class("bigfix")()
    recorder = HeaderRecorder(app)
    with ReferenceServer(app) as server:
        yield server.url, recorder


def _run(url: str, tmp_path: Path, *extra: str, env: dict[str, str] | None = None) -> CliResult:
    result = run_in_process(
        "run",
        "--api",
        "bigfix",
        "--base-url",
        url,
        *CREDENTIALS,
        *SUBSET,
        *extra,
        report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance", **(env or {})},
    )
    assert_no_traceback(result)
    return result


def _written(result: CliResult, *more: Path) -> str:
    """Everything the run wrote or printed."""
    assert result.report_dir is not None
    texts = [result.stdout, result.stderr]
    for folder in (result.report_dir, *more):
        files = [folder] if folder.is_file() else sorted(folder.rglob("*"))
        texts += [
            file.read_text(encoding="utf-8", errors="replace") for file in files if file.is_file()
        ]
    return "\n".join(texts)


def test_headers_reach_the_server_and_env_values_stay_secret(
    bigfix: tuple[str, HeaderRecorder], tmp_path: Path
) -> None:
    url, recorder = bigfix
    events = tmp_path / "events.jsonl"
    result = _run(
        url,
        tmp_path,
        "--header",
        "X-Tenant: acme",
        "--header-env",
        "X-Api-Key=GATEWAY_KEY",
        "--events",
        str(events),
        env={"GATEWAY_KEY": SECRET},
    )
    assert result.code == 0, result.stdout + result.stderr
    assert recorder.seen, "the server saw no request"
    for headers in recorder.seen:  # the preflight probe, and requests with and without credentials
        assert headers.get("x-tenant") == "acme"
        assert headers.get("x-api-key") == SECRET
    assert any("authorization" not in headers for headers in recorder.seen)
    assert SECRET not in _written(result, events)
    assert result.report["target"]["network"]["headers"] == ["X-Api-Key", "X-Tenant"]


def test_a_failing_check_shows_plain_headers_and_redacts_env_ones(
    tmp_path: Path,
) -> None:
    app = app_class("bigfix")("action-404-body")
    with ReferenceServer(app) as server:
        result = _run(
            server.url,
            tmp_path,
            "--header",
            "X-Tenant: acme",
            "--header-env",
            "X-Api-Key=GATEWAY_KEY",
            env={"GATEWAY_KEY": SECRET},
        )
    assert result.code == 1, result.stdout + result.stderr
    record = result.requirement("BIGFIX-ACTION-GET-404")
    assert record["status"] == "failed"
    evidence = record["evidence"][0]
    assert evidence["request_headers"]["X-Tenant"] == "acme"
    assert evidence["request_headers"]["X-Api-Key"] == "[redacted]"
    reproduce = evidence["reproduce"]
    assert "'X-Tenant: acme'" in reproduce and '"X-Api-Key: $GATEWAY_KEY"' in reproduce
    assert SECRET not in _written(result)


@pytest.mark.parametrize(
    "header",
    ["Authorization: Basic abc", "Accept: application/json", "Host: x", "no colon", "Bad Name: x"],
)
def test_headers_the_suite_owns_or_malformed_ones_are_usage_errors(
    header: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--api", "bigfix", "--header", header]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("conformance: --header")


def test_header_env_names_a_missing_variable(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--api", "bigfix", "--header-env", "X-Api-Key=ACTIONCONFORM_UNSET_VAR"])
    assert code == 2
    error = capsys.readouterr().err
    assert "ACTIONCONFORM_UNSET_VAR" in error and "not set" in error


# -- proxies -------------------------------------------------------------------------------


def test_proxy_carries_every_request_and_its_password_is_redacted(
    bigfix: tuple[str, HeaderRecorder], tmp_path: Path
) -> None:
    url, recorder = bigfix
    with LoopbackProxy(credentials=("qa", PROXY_PASSWORD)) as proxy:
        proxy_url = proxy.url("qa:pr0xy-Pa55%3Aword")
        result = _run(url, tmp_path, "--proxy", proxy_url)
    assert result.code == 0, result.stdout + result.stderr
    # Every request the server answered went through the proxy, authenticated to it.
    assert len(proxy.passed) == len(recorder.seen) > 0
    assert all(passed.target.startswith(url) for passed in proxy.passed)
    assert {passed.proxy_authorization for passed in proxy.passed} == {proxy.expected}
    written = _written(result)
    assert PROXY_PASSWORD not in written and "pr0xy-Pa55%3Aword" not in written
    assert result.report["target"]["network"]["proxy"] == f"http://127.0.0.1:{proxy.port}"


def test_a_proxy_refusing_the_credentials_is_exit_3(bigfix: tuple[str, HeaderRecorder]) -> None:
    url, _ = bigfix
    with LoopbackProxy(credentials=("qa", PROXY_PASSWORD)) as proxy:
        result = run_cli(
            "run", "--api", "bigfix", "--base-url", url, *CREDENTIALS, "--proxy",
            proxy.url("qa:wrong-Pa55"), env={PASSWORD_ENV: "conformance"},
        )  # fmt: skip
    assert_no_traceback(result)
    assert result.code == 3, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "407" in line and "proxy credentials were rejected" in line
    assert "wrong-Pa55" not in result.stdout + result.stderr


def test_trust_env_sends_the_run_through_the_environment_proxy(
    bigfix: tuple[str, HeaderRecorder], tmp_path: Path
) -> None:
    url, recorder = bigfix
    with LoopbackProxy() as proxy:
        env = {"HTTP_PROXY": proxy.url(), "http_proxy": proxy.url(), "NO_PROXY": "", "no_proxy": ""}
        trusted = _run(url, tmp_path / "trusted", "--trust-env", env=env)
    assert trusted.code == 0, trusted.stdout + trusted.stderr
    assert len(proxy.passed) == len(recorder.seen) > 0
    assert all(passed.target.startswith(url) for passed in proxy.passed)


@pytest.mark.parametrize(
    ("trust_env", "no_proxy", "through_proxy"),
    [(False, "", False), (True, "", True), (True, "127.0.0.1", False), (True, "localhost", True)],
)
def test_the_client_uses_environment_proxies_only_with_trust_env_and_honours_no_proxy(
    trust_env: bool,
    no_proxy: str,
    through_proxy: bool,
    bigfix: tuple[str, HeaderRecorder],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from conformance.http import ApiClient
    from conformance.network import Network
    from conformance.redact import Redactor

    url, recorder = bigfix
    with LoopbackProxy() as proxy:
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, proxy.url())
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.setenv(name, no_proxy)
        client = ApiClient(
            url,
            authorization=None,
            redactor=Redactor(),
            timeout=10,
            max_response_bytes=1 << 20,
            allow_mutations=False,
            network=Network(trust_env=trust_env),
        )
        response = client.request("GET", "/api/login", retry=False)
    assert response.status == 401 and len(recorder.seen) == 1  # the server answered
    assert len(proxy.passed) == (1 if through_proxy else 0)


def test_https_through_a_proxy_tunnel(tmp_path: Path) -> None:
    files = make_certificate(tmp_path / "tls")
    with (
        ReferenceServer(app_class("bigfix")(), tls=files.server_context()) as server,
        LoopbackProxy() as proxy,
    ):
        result = _run(
            server.url, tmp_path, "--proxy", proxy.url(), "--ca-bundle", str(files.ca_cert)
        )
    assert result.code == 0, result.stdout + result.stderr
    assert proxy.passed and {passed.method for passed in proxy.passed} == {"CONNECT"}


@pytest.mark.parametrize("proxy", ["ftp://127.0.0.1:21", "127.0.0.1:3128", "http://h/path"])
def test_a_bad_proxy_url_is_a_usage_error(proxy: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--api", "bigfix", "--proxy", proxy]) == 2
    assert "--proxy" in capsys.readouterr().err


# -- mutual TLS ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mutual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, CertificateFiles]]:
    files = make_certificate(tmp_path_factory.mktemp("mtls"), client=True)
    app = app_class("bigfix")()
    with ReferenceServer(app, tls=files.server_context(require_client_cert=True)) as server:
        yield server.url, files


def test_a_server_requiring_a_client_certificate(
    mutual: tuple[str, CertificateFiles], tmp_path: Path
) -> None:
    url, files = mutual
    assert files.client_cert is not None and files.client_key is not None
    trust = ("--ca-bundle", str(files.ca_cert))
    refused = _run(url, tmp_path / "without", *trust)
    assert refused.code == 3, refused.stdout + refused.stderr
    assert "TLS" in refused.stderr
    accepted = _run(
        url,
        tmp_path / "with",
        *trust,
        "--client-cert",
        str(files.client_cert),
        "--client-key",
        str(files.client_key),
    )
    assert accepted.code == 0, accepted.stdout + accepted.stderr
    key_body = "".join(files.client_key.read_text().splitlines()[1:-1])
    assert key_body[:40] not in _written(accepted).replace("\n", "")
    assert accepted.report["target"]["network"]["client_cert"] == files.client_cert.name


def test_target_file_keys_for_the_network(
    mutual: tuple[str, CertificateFiles], tmp_path: Path
) -> None:
    url, files = mutual
    assert files.client_cert is not None and files.client_key is not None
    folder = tmp_path / "target"
    folder.mkdir()
    (folder / "client.pem").write_bytes(files.client_cert.read_bytes())
    (folder / "client.key").write_bytes(files.client_key.read_bytes())
    config = folder / "bigfix.toml"
    config.write_text(
        "[target]\n"
        'api = "bigfix"\n'
        f'base_url = "{url}"\n'
        'username = "conformance"\n'
        f'password_env = "{PASSWORD_ENV}"\n'
        f'ca_bundle = "{files.ca_cert}"\n'
        'client_cert = "client.pem"   # relative to the target file\n'
        'client_key = "client.key"\n'
        "trust_env = false\n"
        'headers = { "X-Tenant" = "acme" }\n'
        'header_env = { "X-Api-Key" = "GATEWAY_KEY" }\n',
        encoding="utf-8",
    )
    result = run_in_process(
        "run", "--config", str(config), *SUBSET, report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance", "GATEWAY_KEY": SECRET},
    )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    assert result.report["target"]["network"]["headers"] == ["X-Api-Key", "X-Tenant"]
    assert SECRET not in _written(result)


@pytest.mark.parametrize(
    "line", ['headers = "X-Tenant: acme"', "trust_env = 1", "header_env = { X-Key = 3 }"]
)
def test_target_file_network_keys_are_typed(
    line: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "t.toml"
    config.write_text(f'[target]\napi = "bigfix"\n{line}\n', encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 2
    assert line.split()[0] in capsys.readouterr().err


def test_a_client_certificate_that_is_not_one_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "client.pem"
    bogus.write_text("not a certificate\n", encoding="utf-8")
    assert main(["run", "--api", "bigfix", "--client-cert", str(bogus)]) == 2
    assert "--client-cert" in capsys.readouterr().err
    assert main(["run", "--api", "bigfix", "--client-key", str(bogus)]) == 2
    assert "--client-key needs --client-cert" in capsys.readouterr().err


def test_mock_requires_and_writes_a_client_certificate(tmp_path: Path) -> None:
    ca_file, client_file = tmp_path / "ca.pem", tmp_path / "client.pem"
    command = [sys.executable, "-m", "conformance", "mock", "bigfix", "--tls"]
    command += ["--cert-out", str(ca_file), "--client-cert-out", str(client_file)]
    mock = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert mock.stdout is not None
        url = mock.stdout.readline().split(" on ")[1].split()[0]
        assert "client certificate" in mock.stdout.readline() + mock.stdout.readline()
        assert client_file.stat().st_mode & 0o077 == 0  # it holds a private key
        trust = ("--ca-bundle", str(ca_file))
        without = _run(url, tmp_path / "without", *trust)
        assert without.code == 3, without.stdout + without.stderr
        with_cert = _run(url, tmp_path / "with", *trust, "--client-cert", str(client_file))
        assert with_cert.code == 0, with_cert.stdout + with_cert.stderr
    finally:
        mock.send_signal(signal.SIGINT)
        mock.communicate(timeout=30)
    assert mock.returncode == 0


def test_the_reproducer_goes_the_same_way_proxy_certificate_and_header_by_variable(
    tmp_path: Path,
) -> None:
    files = make_certificate(tmp_path / "tls", client=True)
    assert files.client_cert is not None and files.client_key is not None
    # A password unlike the user name, so that the user name stays readable in the command.
    app = app_class("bigfix")("action-404-body", password=PASSWORD)
    recorder = HeaderRecorder(app)
    mutual = files.server_context(require_client_cert=True)
    with (
        ReferenceServer(app, tls=mutual) as server,
        LoopbackProxy(credentials=("qa", PROXY_PASSWORD)) as proxy,
    ):
        result = _run(
            server.url,
            tmp_path,
            "--ca-bundle", str(files.ca_cert),
            "--client-cert", str(files.client_cert),
            "--client-key", str(files.client_key),
            "--proxy", proxy.url("qa:pr0xy-Pa55%3Aword"),
            "--header-env", "X-Api-Key=GATEWAY_KEY",
            env={"GATEWAY_KEY": SECRET, PASSWORD_ENV: PASSWORD},
        )  # fmt: skip
        assert result.code == 1, result.stdout + result.stderr
        item = result.requirement("BIGFIX-ACTION-GET-404")["evidence"][0]
        command = item["reproduce"]
        assert '--proxy-user "qa:$PROXY_PASSWORD"' in command
        assert f"--cert {files.client_cert}" in command and f"--key {files.client_key}" in command
        assert '-H "X-Api-Key: $GATEWAY_KEY"' in command
        assert SECRET not in command and PROXY_PASSWORD not in command
        seen = len(recorder.seen)
        env = {
            "PATH": "/usr/bin:/bin",
            "PROXY_PASSWORD": PROXY_PASSWORD,
            "GATEWAY_KEY": SECRET,
            PASSWORD_ENV: PASSWORD,
        }
        replay = subprocess.run(
            ["bash", "-c", command], capture_output=True, text=True, timeout=60, env=env
        )
    assert replay.returncode == 0, replay.stderr
    # curl -i shows the proxy's CONNECT answer first, then the server's: the failing one.
    statuses = re.findall(r"^HTTP/[\d.]+ (\d{3})", replay.stdout, re.MULTILINE)
    assert statuses[-1] == str(item["response"]["status"]) == "404"
    assert item["response"]["body_excerpt"] and item["response"]["body_excerpt"] in replay.stdout
    assert len(recorder.seen) == seen + 1 and recorder.seen[-1]["x-api-key"] == SECRET
    assert proxy.passed[-1].method == "CONNECT"
    assert proxy.passed[-1].proxy_authorization == proxy.expected


def test_the_reproducer_ignores_environment_proxies_when_the_run_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from conformance.network import Network

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert Network().curl_args() == ["--noproxy", "'*'"]
    assert Network(trust_env=True).curl_args() == []  # curl reads the same variables
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.delenv("https_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    assert Network().curl_args() == []


def test_cleanup_goes_through_the_same_network(tmp_path: Path) -> None:
    from conformance.ledger import Ledger

    app = app_class("bigfix")()
    recorder = HeaderRecorder(app)
    with ReferenceServer(app) as server, LoopbackProxy() as proxy:
        action = sorted(app.actions)[-1]
        path = tmp_path / "ledger-main.jsonl"
        ledger = Ledger(path, base_url_for=lambda api: server.url)
        ledger.created(
            ledger.intend("bigfix", f"action {action}"), "DELETE", f"/api/action/{action}"
        )
        result = run_in_process(
            "cleanup", str(path), *CREDENTIALS, "--proxy", proxy.url(),
            "--header-env", "X-Api-Key=GATEWAY_KEY",
            env={PASSWORD_ENV: "conformance", "GATEWAY_KEY": SECRET},
        )  # fmt: skip
    assert result.code == 0, result.stdout + result.stderr
    assert "1 removed" in result.stdout and action not in app.actions
    assert [p.method for p in proxy.passed] == ["GET", "DELETE"]  # the probe, the removal
    assert [headers.get("x-api-key") for headers in recorder.seen] == [SECRET, SECRET]
    assert SECRET not in result.stdout + result.stderr + path.read_text(encoding="utf-8")
