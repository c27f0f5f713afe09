"""One path from flag to verdict: ``conformance run`` and ``pytest --pyargs conformance.suites``
build the same ``RunConfig`` from the one flag table; the HTTP client is free of pytest."""

from __future__ import annotations

import json
import subprocess
import sys
import unittest
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.http import ApiClient, MutationRefused
from conformance.paths import SUITES_DIR
from conformance.redact import Redactor
from conformance.runconfig import FLAGS, RunConfig

GRAB = """
import json, sys, pytest
from conformance.plugin import state_of
class Grab:
    def pytest_collection_finish(self, session):
        described = state_of(session.config).run.describe()
        print("RUN " + json.dumps(described, default=str))
code = pytest.main(["--collect-only", "-p", "no:terminal", "--pyargs", "conformance.suites",
    "-c", sys.argv[1], "--rootdir", sys.argv[2], *sys.argv[3:]], plugins=[Grab()])
sys.exit(int(code))
"""


def _pytest_run(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-c", GRAB, str(SUITES_DIR / "pytest.ini"), str(SUITES_DIR), *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RUN ")]
    assert completed.returncode == 0 and lines, completed.stdout + completed.stderr
    wire: dict[str, Any] = json.loads(lines[0].removeprefix("RUN "))
    return wire


def _pytest_spelling(cli_args: list[str]) -> list[str]:
    by_cli = {flag.cli: flag for flag in FLAGS}
    return [by_cli[arg].pytest or arg if arg in by_cli else arg for arg in cli_args]


def test_both_entry_points_build_the_same_run(
    tmp_path: Path, monkeypatch: Any, serve: Callable[..., str]
) -> None:
    import os

    expectations = tmp_path / "expected.toml"
    expectations.write_text(
        '[[expected]]\nrequirement = "BIGFIX-AUTH-401"\nstatus = "failed"\nreason = "known"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("STRUCTURE_TEST_SECRET", "conformance")  # the bundled password
    cli_args = [
        "--api",
        "bigfix",
        "--base-url",
        serve("bigfix"),  # the pytest entry point probes it first
        "--user",
        "conformance",
        "--password-env",
        "STRUCTURE_TEST_SECRET",
        "--timeout",
        "7",
        "--insecure",
        "--allow-mutations",
        "--expectations",
        str(expectations),
        "--profile",
        "ci",
        "--strict",
        "--max-response-bytes",
        "1000000",
        "--max-rps",
        "5",
        "--deadline",
        "60",
        "--report-dir",
        str(tmp_path / "report"),
        "--include",
        "BIGFIX-*",
        "--exclude",
        "BIGFIX-AUTH-*",
        "--level",
        "SHOULD",
        "--operation",
        "/api",
        "--header",
        "X-Structure-Test: 1",
        "--trust-env",
        "--events",
        str(tmp_path / "events.jsonl"),
    ]
    from_cli = RunConfig.from_options(cli._parser().parse_args(["run", *cli_args]))
    from_pytest = _pytest_run(_pytest_spelling(cli_args), dict(os.environ))
    expected = json.loads(json.dumps(from_cli.describe(), default=str))
    for wire in (expected, from_pytest):
        wire.pop("ends_at")  # the moment each run started
    assert from_pytest == expected
    assert expected["target"]["timeout"] == 7.0 and expected["profile"] == "ci"
    assert expected["selection"]["level"] == "SHOULD" and expected["target"]["network"]["headers"]
    assert from_cli.expectations["BIGFIX-AUTH-401"].status == "failed"


def test_every_flag_lands_in_the_run() -> None:
    from dataclasses import fields

    from conformance.network import Network
    from conformance.selection import Selection
    from conformance.target import Target

    known = {item.name for item in fields(RunConfig)} | {item.name for item in fields(Target)}
    known |= {item.name for item in fields(Selection)} | {item.name for item in fields(Network)}
    # the target file, Target.username, Target.restricted_username, the expectations file
    known |= {"config", "user", "restricted_user", "expectations"}
    for flag in FLAGS:
        assert flag.dest in known, flag.dest
        assert flag.cli.startswith("--") and (flag.pytest is None or flag.pytest.startswith("--"))
        assert flag.options.get("help"), f"{flag.cli} has no help line"


def test_the_http_client_and_cleanup_import_neither_pytest_nor_checks() -> None:
    script = (
        "import sys, conformance.http, conformance.cleanup, conformance.preflight\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('pytest', '_pytest',"
        " 'hypothesis') or m == 'conformance.checks')\n"
        "print(bad)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"


def test_a_refused_mutation_is_a_skip_sent_nowhere() -> None:
    client = ApiClient(
        "http://127.0.0.1:9",
        authorization=None,
        redactor=Redactor(),
        timeout=1,
        max_response_bytes=1000,
        allow_mutations=False,
    )
    with pytest.raises(MutationRefused, match="mutations not allowed: DELETE /x") as refused:
        client.request("DELETE", "/x")
    assert isinstance(refused.value, unittest.SkipTest)
    assert client.last_exchange is None  # refused before anything was prepared or sent


def test_a_run_inside_this_process_leaves_it_as_found(
    tmp_path: Path, serve: Callable[..., str]
) -> None:
    """``conformance run`` through its entry point in another program's interpreter (the
    in-process fault tests): the verdict as from the command, Hypothesis and SIGTERM as found."""
    import signal

    from hypothesis import settings

    from tests.helpers import run_against

    profile, on_sigterm = settings.get_current_profile_name(), signal.getsignal(signal.SIGTERM)
    result = run_against(serve("edgeiq"), "edgeiq", tmp_path / "report", in_process=True)
    assert result.code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("conformant") and result.report["summary"]["verdict"]
    assert settings.get_current_profile_name() == profile
    assert signal.getsignal(signal.SIGTERM) == on_sigterm
