"""Hostile servers: each run ends, in bounded time, with exit 1 or 3, no traceback, no leak.

Every case runs the suite of every API against a deliberately hostile server from
``conformance.servers.hostile`` with ``--timeout 1``: as a user would (a ``conformance``
subprocess), or, for the cases in ``IN_PROCESS``, through the command's entry point in this
interpreter (``run_in_process``). Peak memory of the run is read from ``RUSAGE_CHILDREN`` (the
largest child so far: a bound on this one), or for a run in this process from ``RUSAGE_SELF``
(this process's peak so far: a bound on the run's).
"""

from __future__ import annotations

import json
import resource
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.catalogue import API_NAMES
from conformance.servers.hostile import HostileServer
from tests.helpers import PASSWORD_ENV, CliResult, assert_no_traceback, run_cli, run_in_process

PASSWORD = "Hostile-Pw-5e1d"
CANARY = "CANARY-LOCAL-FILE-CONTENT-83b2"
GIB = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    mode: str
    exit_code: int
    says: str  # in a failed requirement's evidence (exit 1) or the one stderr line (exit 3)


CASES = [
    Case("external-entity", 1, "DOCTYPE"),
    Case("billion-laughs", 1, "DOCTYPE"),
    Case("endless-body", 1, "no usable response"),
    Case("gzip-bomb", 1, "exceeds the"),
    Case("no-answer", 3, "did not answer within 1 s"),
    Case("trickle", 1, "no complete answer within 1 s"),
    Case("trickle-headers", 3, "did not answer within 1 s"),
    Case("redirect", 1, "got 302"),
    Case("invalid-utf8", 1, "not valid UTF-8"),
    # framing (issue 11): every answer is input, including how it is framed
    Case("header-flood", 3, "got more than 100 headers"),
    Case("long-header", 3, "got more than 65536 bytes when reading header line"),
    Case("bad-chunks", 1, "InvalidChunkLength"),
    Case("endless-continue", 3, "did not answer within 1 s"),
    Case("interim-only", 3, "answered only an interim 102 status"),
    Case("short-body", 1, "IncompleteRead(17 bytes read, 1048559 more expected)"),
    Case("stalled-body", 1, "no complete answer within 1 s"),
    Case("deep-json", 1, "maximum recursion depth exceeded"),
    Case("huge-number", 1, "value has 100000 digits"),
]
# Cases where a regression could only give a wrong verdict run in this process (issue 12: no
# interpreter start per run). The others stay real processes, as a regression there could take
# the test process down with it or hide behind its state: a body, bomb or entity expansion without
# its cap (memory), a wait without its timeout (only the subprocess timeout bounds it), the
# recursion and integer-digit limits (interpreter-wide settings: a fresh interpreter has a user's
# defaults), the header limits (http.client module settings) and the one stderr line of exit 3.
IN_PROCESS = {"external-entity", "redirect", "invalid-utf8", "bad-chunks", "short-body"}


@pytest.fixture
def local_file(tmp_path: Path) -> Path:
    secret = tmp_path / "local-secret.txt"
    secret.write_text(CANARY + "\n", encoding="utf-8")
    return secret


@pytest.fixture
def other_host() -> Iterator[HostileServer]:
    """A server on 127.0.0.2 (loopback) that records anything a redirect brings to it."""
    with HostileServer("echo", "127.0.0.2") as server:
        yield server


def _run(url: str, report_dir: Path, *extra: str, in_process: bool = False) -> CliResult:
    args = ("run", "--base-url", url, "--user", "qa", "--password-env", PASSWORD_ENV)
    args += ("--timeout", "1", *extra)  # every API: a hostile answer must not crash any suite
    env = {PASSWORD_ENV: PASSWORD}
    if in_process:
        return run_in_process(*args, report_dir=report_dir, env=env)
    return run_cli(*args, report_dir=report_dir, env=env, timeout=240)


def _everything_written(result: CliResult) -> str:
    texts = [result.stdout, result.stderr]
    if result.report_dir is not None and result.report_dir.exists():
        texts += [path.read_text("utf-8", "replace") for path in result.report_dir.iterdir()]
    return "\n".join(texts)


def _messages(result: CliResult) -> str:
    return "\n".join(
        str(item.get("message", ""))
        for record in result.report["requirements"]
        for item in record["evidence"]
    )


@pytest.mark.parametrize("case", CASES, ids=[case.mode for case in CASES])
def test_hostile_server_ends_the_run_cleanly(
    case: Case, tmp_path: Path, local_file: Path, other_host: HostileServer
) -> None:
    server = HostileServer(case.mode, entity_file=str(local_file), redirect_to=other_host.url)
    in_process = case.mode in IN_PROCESS
    with server:
        result = _run(server.url, tmp_path / "report", in_process=in_process)
    assert_no_traceback(result)
    assert result.code == case.exit_code, result.stdout + result.stderr
    usage = resource.RUSAGE_SELF if in_process else resource.RUSAGE_CHILDREN
    assert resource.getrusage(usage).ru_maxrss * 1024 < GIB
    written = _everything_written(result)
    assert PASSWORD not in written
    assert CANARY not in written  # the external entity was never read
    assert "lollollollol" not in written  # the entities were never expanded
    assert other_host.seen == []  # nothing, credentials least of all, reached the other host
    if case.exit_code == 3:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and case.says in lines[0], result.stderr
        return
    report = result.report
    assert report["summary"]["failed"] >= 1
    assert case.says in _messages(result)
    leftovers = [path.name for path in tmp_path.joinpath("report").iterdir()]
    assert not [name for name in leftovers if name.endswith(".tmp")]
    json.dumps(report)


def test_the_cases_run_in_this_process_are_cases_ending_in_a_verdict() -> None:
    assert IN_PROCESS.issubset(case.mode for case in CASES if case.exit_code == 1)


def test_endless_body_is_cut_at_the_size_cap(tmp_path: Path) -> None:
    with HostileServer("endless-body") as server:
        result = _run(server.url, tmp_path / "report", "--max-response-bytes", "100000")
    assert_no_traceback(result)
    assert result.code == 1, result.stdout + result.stderr
    assert "response body exceeds the 100000-byte limit" in _messages(result)


def test_a_server_that_stops_answering_stops_the_run(tmp_path: Path) -> None:
    with HostileServer("trickle") as server:
        result = _run(server.url, tmp_path / "report")
    assert result.code == 1
    report = result.report
    assert report["complete"] is False
    assert "gave no usable answer to 5 requests in a row" in report["stop_reason"]
    # An incomplete run is never conformant, and nothing it did not finish passed.
    assert report["summary"]["verdict"] == "non-conformant"
    assert report["summary"]["passed"] == 0
    assert len(server.seen) <= len(API_NAMES) + 5  # the probes, five requests, then nothing
    assert "stopped:" in result.stderr
