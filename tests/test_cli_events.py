"""--events FILE: JSON lines written as the run goes, followed here while the run is held.

The server holds every request without credentials (the BIGFIX-AUTH-401 test sends them; the
earlier BIGFIX-ACTIONS-GET-RESOURCE test does not) until the test has read the file: what is
there by then was written live, not at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.servers import ReferenceServer, app_class
from conformance.servers.base import Reply, Request
from tests.helpers import PASSWORD_ENV

EARLY, HELD = "BIGFIX-ACTIONS-GET-RESOURCE", "BIGFIX-AUTH-401"


class Gate:
    def __init__(self) -> None:
        self.reached = threading.Event()
        self.open = threading.Event()


@pytest.fixture
def held_server() -> Iterator[tuple[str, Gate]]:
    app = app_class("bigfix")()
    gate = Gate()
    original = app.dispatch

    def dispatch(request: Request) -> Reply:
        if request.basic_auth() is None:
            gate.reached.set()
            gate.open.wait(120)
        return original(request)

    app.dispatch = dispatch  # type: ignore[method-assign]
    with ReferenceServer(app) as server:
        yield server.url, gate
    gate.open.set()


def _events(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def test_events_are_written_as_the_run_goes(held_server: tuple[str, Gate], tmp_path: Path) -> None:
    url, gate = held_server
    events_file = tmp_path / "events.jsonl"
    command = [sys.executable, "-m", "conformance", "run", "--api", "bigfix"]
    command += ["--base-url", url, "--user", "conformance", "--password-env", PASSWORD_ENV]
    command += ["--include", EARLY, "--include", HELD, "--timeout", "120"]
    command += ["--events", str(events_file), "--report-dir", str(tmp_path / "report")]
    env = {**os.environ, PASSWORD_ENV: "conformance"}
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        assert gate.reached.wait(120), "the run never reached the held request"
        during = _events(events_file)
        assert run.poll() is None  # still running: held by the server
    finally:
        gate.open.set()
        stdout, stderr = run.communicate(timeout=300)
    assert run.returncode == 0, stdout.decode() + stderr.decode()

    # While held: started, the early requirement finished (passed), nothing about the end.
    assert during[0]["event"] == "run-started"
    assert during[0]["requirements"] == {"bigfix": 2} and during[0]["total"] == 2
    finished_during = {e["id"]: e for e in during if e["event"] == "requirement-finished"}
    assert finished_during[EARLY]["status"] == "passed"
    assert HELD not in finished_during
    assert all(e["event"] != "run-finished" for e in during)

    # At the end: one line per requirement, statuses as in report.json, then run-finished.
    events = _events(events_file)
    assert events[: len(during)] == during  # appended, never rewritten
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    finished = [e for e in events if e["event"] == "requirement-finished"]
    assert [e["id"] for e in finished].count(HELD) == 1
    assert {e["id"]: e["status"] for e in finished} == {
        r["id"]: r["status"] for r in report["requirements"]
    }
    not_selected = [e for e in finished if e.get("reason") == "not selected"]
    assert len(not_selected) == len(report["requirements"]) - 2
    last = events[-1]
    assert last["event"] == "run-finished" and last["complete"] is True
    assert last["summary"] == report["summary"]
    assert last["report_dir"] == str(tmp_path / "report")
    assert all("time" in e for e in events)


def test_an_events_file_that_cannot_be_written_is_a_usage_error(tmp_path: Path) -> None:
    from conformance.cli import main

    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert main(["run", "--api", "bigfix", "--events", str(blocker / "events.jsonl")]) == 2


def test_a_run_that_cannot_assess_still_writes_its_events_and_honours_the_selection(
    tmp_path: Path,
) -> None:
    from tests.helpers import run_in_process

    events_file = tmp_path / "events.jsonl"
    result = run_in_process(
        "run", "--api", "bigfix", "--base-url", "http://127.0.0.1:9", "--include", HELD,
        "--events", str(events_file), report_dir=tmp_path / "report",
    )  # fmt: skip
    assert result.code == 3, result.stdout + result.stderr
    events = _events(events_file)
    assert [e["event"] for e in (events[0], events[-1])] == ["run-started", "run-finished"]
    assert events[0]["total"] == 1
    finished = {e["id"]: e for e in events if e["event"] == "requirement-finished"}
    assert finished[HELD]["status"] == "untested"
    assert finished[HELD]["reason"].startswith("not assessed: cannot reach")
    others = [e for rid, e in finished.items() if rid != HELD]
    assert others and all((e["status"], e["reason"]) == ("skipped", "not selected") for e in others)
    assert events[-1]["summary"]["verdict"] == "not-assessed"
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    assert {e["id"]: e["status"] for e in finished.values()} == {
        r["id"]: r["status"] for r in report["requirements"]
    }


REVISED_SUITE = """
import pytest


@pytest.mark.requirement("BIGFIX-ACTION-GET-404")
def test_own_case_passes():
    pass


@pytest.mark.requirement("BIGFIX-AUTH-401")
def test_later_exchange_is_judged(api_client):
    # The fault answers this 404 with a body: the spec judge fails BIGFIX-ACTION-GET-404.
    api_client("bigfix").request("GET", "/api/action/999999999")
"""


def test_a_status_changed_after_its_event_is_announced_again_as_revised(tmp_path: Path) -> None:
    """A requirement's own test passes and it is announced; a later test's exchange, judged
    against the spec, fails it: it is announced again, ``revised``, with the final status."""
    import subprocess
    import sys

    (tmp_path / "test_revised.py").write_text(REVISED_SUITE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    events_file = tmp_path / "events.jsonl"
    changed = "BIGFIX-ACTION-GET-404"
    with ReferenceServer(app_class("bigfix")("action-404-body")) as server:
        command = [
            sys.executable, "-m", "pytest", str(tmp_path / "test_revised.py"), "-p",
            "no:cacheprovider", "-q", "--rootdir", str(tmp_path), "-c",
            str(tmp_path / "pytest.ini"), "--base-url", server.url, "--conformance-api",
            "bigfix", "--conformance-user", "conformance", "--conformance-password-env",
            PASSWORD_ENV, "--conformance-report-dir", str(tmp_path / "report"),
            "--conformance-events", str(events_file),
        ]  # fmt: skip
        done = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, timeout=300,
            env={**os.environ, PASSWORD_ENV: "conformance"},
        )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    finished = [e for e in _events(events_file) if e["event"] == "requirement-finished"]
    about = [e for e in finished if e["id"] == changed]
    assert [(e["status"], e.get("revised")) for e in about] == [("passed", None), ("failed", True)]
    report = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    last = {e["id"]: e["status"] for e in finished}  # the last word on each requirement
    assert last == {r["id"]: r["status"] for r in report["requirements"]}
    assert all(e["status"] != previous for e, previous in _revisions(finished))


def _revisions(finished: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
    seen: dict[str, str] = {}
    pairs = []
    for event in finished:
        if event.get("revised"):
            pairs.append((event, seen[event["id"]]))
        seen[event["id"]] = event["status"]
    return pairs
