"""A broken server never comes out conformant (issue 13): one exploit server per path.

Each server in tests/exploits.py breaks one thing in a way an earlier grader let through: a hang
cut by ``--deadline``, a 500 for valid bodies with escaped markup or CDATA, and a device limit
hidden behind the server's own check order.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from conformance.paths import SUITES_DIR
from tests.exploits import (
    ActionFirstNexthink,
    EscapeRefusingBigFix,
    FixletCheckingBigFix,
    HangingBigFix,
)
from tests.helpers import (
    PASSWORD_ENV,
    TOKEN_ENV,
    CliResult,
    assert_no_traceback,
    run_against,
    run_in_process,
    write_target,
)

ENV = {PASSWORD_ENV: "conformance", TOKEN_ENV: "conformance-token"}


def _suite(
    url: str, api: str, report_dir: Path, fixtures: dict[str, object], *args: str
) -> CliResult:
    """Run the suite as a pytest plugin (``pytest --pyargs conformance.suites``) in a subprocess."""
    import os
    import subprocess

    report_dir.parent.mkdir(parents=True, exist_ok=True)
    config = write_target(report_dir.parent / f"target-{api}.toml", api, url, fixtures)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "--pyargs",
        "conformance.suites",
        "-c",
        str(SUITES_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITES_DIR),
        "-p",
        "no:xdist",
        "--conformance-config",
        str(config),
        "--conformance-report-dir",
        str(report_dir),
        *args,
    ]
    environment = {**os.environ, **ENV}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=environment)
    return CliResult(done.returncode, done.stdout, done.stderr, report_dir)


def test_a_case_cut_by_the_deadline_is_untested_and_the_run_not_conformant(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    app = HangingBigFix()
    url = serve(app)
    try:
        result = _suite(
            url,
            "bigfix",
            tmp_path / "report",
            app.fixtures(),
            "--allow-mutations",
            "-k",
            "exactly_10000 or documented_single_action",
            "--conformance-deadline",  # counted from the run's start: room for a loaded
            "10",  # machine to start, collect and reach the hanging POST
        )
    finally:
        app.release.set()
    assert app.hung.is_set(), "the run never sent the 10000-target POST"
    report = result.report
    assert report["complete"] is False, report
    assert report["stop_reason"] == "the run deadline (--deadline) was reached"
    assert report["summary"]["verdict"] == "not-assessed"
    assert result.code == 3, result.stdout + result.stderr
    record = result.requirement("BIGFIX-ACTIONS-POST-10000")
    assert record["status"] == "untested", record
    assert record["reason"] == (
        "the case did not run to its end: the run deadline (--deadline) was reached"
    )
    assert record["checks"] == 0
    # What did finish still counts.
    assert result.requirement("BIGFIX-ACTIONS-POST-200")["status"] == "passed"


def test_a_refused_valid_body_fails_the_round_trip(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    app = EscapeRefusingBigFix()
    result = run_against(serve(app), "bigfix", tmp_path / "report", in_process=True)
    assert_no_traceback(result)
    assert app.refused > 0
    assert result.code == 1, result.stdout + result.stderr
    assert result.report["summary"]["verdict"] == "non-conformant"
    record = result.requirement("BIGFIX-ACTIONS-POST-ROUNDTRIP")
    assert record["status"] == "failed", record
    evidence = record["evidence"][0]
    assert "was refused with 500" in evidence["message"]
    assert evidence["response"]["status"] == 500
    assert evidence["request"].startswith("POST ")


def test_the_sourced_example_skips_only_for_a_missing_fixlet_fixture(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    """A 4xx to the documented SourcedFixletAction (Fixlet 83 of TestSite) skips, naming the
    fixture, only when the target file names no Fixlet; with one, a refusal fails."""
    selection = ("-k", "sourced_fixlet", "--allow-mutations")
    url = serve(FixletCheckingBigFix())
    named = {"fixlet_site": "Patches", "fixlet_id": 7}

    without = _suite(url, "bigfix", tmp_path / "without" / "report", {}, *selection)
    record = without.requirement("BIGFIX-ACTIONS-POST-SOURCED")
    assert record["status"] == "skipped", record
    assert "no [fixtures] fixlet_site and fixlet_id" in record["reason"]

    refusing = serve(FixletCheckingBigFix(refuse_all=True))
    refused = _suite(refusing, "bigfix", tmp_path / "refused" / "report", named, *selection)
    record = refused.requirement("BIGFIX-ACTIONS-POST-SOURCED")
    assert record["status"] == "failed", record
    assert record["evidence"][0]["response"]["status"] == 400
    assert "<Sitename>Patches</Sitename>" in record["evidence"][0]["request_body_excerpt"]
    assert refused.code == 1


def test_a_device_limit_behind_the_action_check_is_weak_read_only_and_caught_with_mutations(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    app = ActionFirstNexthink()
    url = serve(app)
    acting = run_against(url, "nexthink", tmp_path / "acting" / "report", in_process=True)
    assert_no_traceback(acting)
    assert acting.code == 1, acting.stdout + acting.stderr
    record = acting.requirement("NEXTHINK-ERR-TOO-MANY-DEVICES")
    assert record["status"] == "failed", record
    assert (
        "10000 devices (limit 10000) answered TOO_MANY_DEVICES"
        in (record["evidence"][0]["message"])
    )
    assert record["evidence"][0]["response"]["status"] == 400

    config = write_target(tmp_path / "read-only.toml", "nexthink", url, app.fixtures())
    reading = run_in_process(
        "run",
        "--config",
        str(config),
        report_dir=tmp_path / "read-only" / "report",
        env=ENV,
    )
    assert_no_traceback(reading)
    record = reading.requirement("NEXTHINK-ERR-TOO-MANY-DEVICES")
    assert record["status"] == "passed" and record["strength"] == "weak", record
    assert record["evidence"] == [{"message": record["evidence"][0]["message"], "strength": "weak"}]
    assert "unknown remote action" in record["evidence"][0]["message"]
    summary = reading.report["summary"]
    assert summary["weak_passes"] >= 1
    assert f"{summary['passed']} passed ({summary['weak_passes']} weak)" in reading.stdout
    assert "weak" in (tmp_path / "read-only" / "report" / "summary.md").read_text("utf-8")


def test_spec_drawn_requests_alone_never_pass_a_requirement(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    """Every GET /bulk_responses/{id} answers 404 (fault bulk-response-lost). Read-only, the
    suite's own test cannot create a bulk response; the spec-derived property test draws IDs that
    answer a documented 404. That exchange shows nothing about EDGEIQ-BULK-RESPONSE-GET (its
    operation's x-requirement): untested with the reason, never passed."""
    from conformance.servers import app_class

    app = app_class("edgeiq")("bulk-response-lost")
    config = write_target(tmp_path / "target.toml", "edgeiq", serve(app), app.fixtures())
    selection = ("--operation", "/bulk_responses")
    reading = run_in_process(
        "run", "--config", str(config), *selection, report_dir=tmp_path / "read", env=ENV
    )
    assert_no_traceback(reading)
    record = reading.requirement("EDGEIQ-BULK-RESPONSE-GET")
    assert record["status"] == "untested", record
    assert "spec-drawn" in record["reason"], record
    assert reading.report["summary"]["verdict"] == "not-assessed", reading.report["summary"]
    # With mutations allowed, the suite's own test follows a returned ID and fails it.
    acting = run_in_process(
        "run",
        "--config",
        str(config),
        "--allow-mutations",
        *selection,
        report_dir=tmp_path / "act",
        env=ENV,
    )
    assert acting.requirement("EDGEIQ-BULK-RESPONSE-GET")["status"] == "failed"
