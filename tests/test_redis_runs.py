"""Whole Redis Enterprise runs against a server the test holds, so its state can be inspected.

What a user relies on: a SHOULD deviation (7.4's string progress) gates only with --strict and
is absorbed by an expectations file; a read-only run starts and cancels nothing; a run with
mutations leaves no started action behind and closes every ledger entry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance import catalogue
from conformance.servers.base import Fault, Reply, Request
from conformance.servers.redis_enterprise import (
    SEED_CLUSTER_ACTION_UID,
    RedisEnterpriseApp,
)
from tests.helpers import PASSWORD_ENV, CliResult, assert_no_traceback, run_against, run_in_process

API = "redis-enterprise"
MUTATING = {
    "REDIS-CONTENT-TYPE-400",
    "REDIS-CLUSTER-ACTION-POST-200",
    "REDIS-CLUSTER-ACTION-POST-409",
    "REDIS-CLUSTER-ACTION-POST-REPLACES",
    "REDIS-CLUSTER-ACTION-POST-400-CONTENT",
    "REDIS-CLUSTER-ACTION-DELETE-200",
    "REDIS-CLUSTER-ACTION-DELETE-REMOVES",
    "REDIS-CLUSTER-ACTION-POST-NODE-UNKNOWN",
    "REDIS-CLUSTER-ACTION-LIFECYCLE",
}


class RecordingApp(RedisEnterpriseApp):
    """The reference server, noting every request it is sent."""

    def __init__(self, fault: str | None = None) -> None:
        super().__init__(fault)
        self.seen: list[tuple[str, str]] = []

    def dispatch(self, request: Request) -> Reply:
        self.seen.append((request.method, request.path))
        return super().dispatch(request)


def _failed(result: CliResult) -> set[str]:
    return {rid for rid, status in result.statuses().items() if status == "failed"}


SHOULD_FAULTS = [
    fault
    for fault in RedisEnterpriseApp.FAULTS.values()
    if catalogue.load_all()[fault.requirement].level == "SHOULD"
]


@pytest.mark.parametrize("fault", SHOULD_FAULTS, ids=lambda fault: fault.name)
def test_strict_fault_fails_only_its_should_requirement_with_strict(
    serve: Callable[..., str], tmp_path: Path, fault: Fault
) -> None:
    name, requirement = fault.name, fault.requirement
    assert catalogue.load_all()[requirement].level == "SHOULD"
    url = serve(RedisEnterpriseApp(name))
    strict = run_against(url, API, tmp_path / "strict", "--strict", in_process=True)
    assert_no_traceback(strict)
    assert strict.code == 1, strict.stdout + strict.stderr
    assert _failed(strict) == {requirement}
    lenient = run_against(url, API, tmp_path / "lenient", in_process=True)
    assert lenient.code == 0, lenient.stdout + lenient.stderr
    assert _failed(lenient) == {requirement}
    assert lenient.report["summary"]["warnings"] == 1


def test_expectations_file_turns_7_4_progress_into_an_expected_failure(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    expectations = tmp_path / "expected.toml"
    expectations.write_text(
        "[[expected]]\n"
        'requirement = "REDIS-ACTIONS-PROGRESS-NUMBER"\n'
        'status = "failed"\n'
        'reason = "7.4 returns progress as a string"\n',
        encoding="utf-8",
    )
    url = serve(RedisEnterpriseApp("progress-string"))
    result = run_against(
        url,
        API,
        tmp_path / "report",
        "--strict",
        "--expectations",
        str(expectations),
        in_process=True,
    )
    assert result.code == 0, result.stdout + result.stderr
    assert result.requirement("REDIS-ACTIONS-PROGRESS-NUMBER")["status"] == "expected-failure"
    assert _failed(result) == set()


def test_read_only_run_starts_and_cancels_nothing(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    app = RecordingApp()
    url = serve(app)
    result = run_in_process(
        "run",
        "--api",
        API,
        "--base-url",
        url,
        "--user",
        "conformance",
        "--password-env",
        PASSWORD_ENV,
        report_dir=tmp_path / "report",
        env={PASSWORD_ENV: "conformance"},
    )
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    statuses = result.statuses()
    for requirement in MUTATING:
        assert statuses[requirement] == "skipped", requirement
        assert "mutations not allowed" in result.requirement(requirement).get("reason", "")
    real = {"/v1/cluster/actions/change_master"}
    touched = [(method, path) for method, path in app.seen if method != "GET" and path in real]
    assert touched == []
    invented = {path for method, path in app.seen if method in ("POST", "DELETE")}
    assert all(path.startswith("/v1/cluster/actions/actionconform_") for path in invented)
    assert [run.action_uid for run in app.cluster_runs] == [SEED_CLUSTER_ACTION_UID]


def test_run_with_mutations_cleans_up_after_itself(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    app = RecordingApp()
    url = serve(app)
    result = run_against(url, API, tmp_path / "report", in_process=True)
    assert result.code == 0, result.stdout + result.stderr
    for requirement in MUTATING:
        assert result.requirement(requirement)["status"] == "passed", requirement
    ledgers = list((tmp_path / "report").glob("ledger-*.jsonl"))
    assert ledgers
    latest: dict[str, str] = {}
    for ledger in ledgers:
        for line in ledger.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            latest[record["key"]] = record["state"]
    assert latest and set(latest.values()) == {"removed"}
    assert not any(run.running(time.monotonic()) for run in app.cluster_runs)
    starts = sum(
        1
        for method, path in app.seen
        if (method, path) == ("POST", "/v1/cluster/actions/change_master")
    )
    assert starts >= len(latest)
