"""Without --allow-mutations the Nexthink suite sends only requests a conformant server refuses.

The reference server records every run it dispatches to Engines; a read-only run of the whole
suite against it must leave that record empty, and still judge every refusal it can. The runs
go through the command's entry point in this interpreter (``run_in_process``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance import catalogue
from conformance.servers import ReferenceServer
from conformance.servers.nexthink import SEEDED_DEVICE_UIDS, NexthinkApp
from tests.helpers import (
    BUNDLED_ENV,
    CliResult,
    assert_no_traceback,
    run_in_process,
    write_target,
)

MUTATING = {
    "NEXTHINK-RUN-200",
    "NEXTHINK-RUN-RESULT-SCHEMA",
    "NEXTHINK-RUN-ALL-ENGINES",
    "NEXTHINK-RUN-ENGINE-FILTER",
    "NEXTHINK-RUN-ONE-PER-ENGINE",
    "NEXTHINK-RUN-TIMEOUT",
    "NEXTHINK-RUN-PARAMS-UNKNOWN",
    "NEXTHINK-RESULT-EXCLUDED",
}


@pytest.fixture
def served() -> Iterator[tuple[NexthinkApp, str]]:
    app = NexthinkApp()
    with ReferenceServer(app) as server:
        yield app, server.url


def _run(url: str, report_dir: Path, *extra: str) -> CliResult:
    report_dir.parent.mkdir(parents=True, exist_ok=True)
    config = write_target(
        report_dir.parent / "target.toml",
        "nexthink",
        url,
        NexthinkApp().fixtures(),
        restricted=True,
    )
    return run_in_process(
        "run",
        "--config",
        str(config),
        *extra,
        report_dir=report_dir,
        env=BUNDLED_ENV,
    )


def test_read_only_run_executes_nothing(served: tuple[NexthinkApp, str], tmp_path: Path) -> None:
    app, url = served
    result = _run(url, tmp_path / "report")
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    assert app.executions == [], "a read-only run made the server dispatch a run"
    for requirement in catalogue.load_api("nexthink"):
        record = result.requirement(requirement.id)
        if requirement.untested:
            assert record["status"] == "untested", requirement.id
        elif requirement.id in MUTATING:
            assert record["status"] == "skipped", requirement.id
            assert "mutations not allowed" in record["reason"], record
        else:
            assert record["status"] == "passed", requirement.id


def test_mutating_run_executes_a_bounded_number_of_runs(
    served: tuple[NexthinkApp, str], tmp_path: Path
) -> None:
    app, url = served
    result = _run(url, tmp_path / "report", "--allow-mutations")
    assert result.code == 0, result.stdout + result.stderr
    assert {result.requirement(rid)["status"] for rid in MUTATING} == {"passed"}
    # The strong device-limit check: one run of exactly the limit, on synthetic devices.
    limit_runs = [run for run in app.executions if run.request_uid == "actionconform-device-limit"]
    assert len(limit_runs) == 1 and len(limit_runs[0].device_uids) == app.device_limit
    runs = [run for run in app.executions if run not in limit_runs]
    # 2 documented examples, 1 excluded Engine, at most 5 examples for each of 3 properties.
    assert 4 <= len(runs) <= 18
    assert all(run.device_uids == list(SEEDED_DEVICE_UIDS) for run in runs)
