"""TLS: verification is on by default; ``--ca-bundle`` trusts a private CA; an untrusted
certificate exits 3 with one clear line; ``--insecure`` warns exactly once.

What the command prints (the one line of exit 3, the one warning, Python's own warnings on a
fresh interpreter's defaults) is read from real ``conformance`` processes; runs whose subject is
the verdict go through the command's entry point in this interpreter (``run_in_process``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.servers import ReferenceServer, app_class
from conformance.tls import CertificateFiles, make_certificate
from tests.helpers import PASSWORD_ENV, CliResult, assert_no_traceback, run_cli, run_in_process

ENV = {PASSWORD_ENV: "conformance"}
CREDENTIALS = ("--user", "conformance", "--password-env", PASSWORD_ENV)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def https_url(certificate: CertificateFiles) -> Iterator[str]:
    server = ReferenceServer(app_class("bigfix")(), tls=certificate.server_context())
    with server:
        assert server.url.startswith("https://")
        yield server.url


def _run(url: str, *extra: str, in_process: bool = False) -> CliResult:
    runner = run_in_process if in_process else run_cli
    return runner("run", "--api", "bigfix", "--base-url", url, *CREDENTIALS, *extra, env=ENV)


def test_ca_bundle_makes_a_private_ca_trusted(
    https_url: str, certificate: CertificateFiles, tmp_path: Path
) -> None:
    trusted = ("--ca-bundle", str(certificate.ca_cert), "--report-dir", str(tmp_path))
    result = _run(https_url, *trusted, in_process=True)
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr


def test_an_untrusted_certificate_exits_3_with_one_line(https_url: str) -> None:
    result = _run(https_url)
    assert_no_traceback(result)
    assert result.code == 3, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "TLS failure" in line and "certificate verify failed" in line
    assert "--ca-bundle" in line


def test_a_certificate_for_another_host_exits_3(certificate: CertificateFiles) -> None:
    # The certificate names 127.0.0.1 and localhost, not 127.0.0.2.
    server = ReferenceServer(app_class("bigfix")(), "127.0.0.2", tls=certificate.server_context())
    with server:
        result = _run(server.url, "--ca-bundle", str(certificate.ca_cert))
    assert result.code == 3, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "TLS failure" in line


def test_insecure_warns_once(https_url: str, tmp_path: Path) -> None:
    result = _run(https_url, "--insecure", "--report-dir", str(tmp_path))
    assert result.code == 0, result.stdout + result.stderr
    warnings = [line for line in result.stderr.splitlines() if "warning" in line.lower()]
    assert warnings == ["warning: TLS certificate verification is off (--insecure)"]
    assert "InsecureRequestWarning" not in result.stdout + result.stderr


def test_mock_serves_https_and_writes_its_ca(tmp_path: Path) -> None:
    ca_file = tmp_path / "ca.pem"
    command = [sys.executable, "-m", "conformance", "mock", "bigfix", "--tls"]
    command += ["--cert-out", str(ca_file)]
    mock = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert mock.stdout is not None
        serving = mock.stdout.readline()
        ca_line = mock.stdout.readline()
        url = serving.split(" on ")[1].split()[0]
        assert url.startswith("https://127.0.0.1:"), serving
        assert str(ca_file) in ca_line and ca_file.read_text().startswith("-----BEGIN")
        trusted = ("--ca-bundle", str(ca_file), "--report-dir", str(tmp_path / "r"))
        result = _run(url, *trusted, in_process=True)  # the mock is the process proven here
        assert result.code == 0, result.stdout + result.stderr
    finally:
        mock.send_signal(signal.SIGINT)
        mock.communicate(timeout=30)
    assert mock.returncode == 0


def test_cert_out_needs_tls() -> None:
    result = run_cli("mock", "bigfix", "--cert-out", "x.pem")
    assert result.code == 2 and "--cert-out needs --tls" in result.stderr
