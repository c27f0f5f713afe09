"""Crash safety: a real run, mutations allowed, killed with SIGKILL mid-way (one worker or two),
leaves ledgers from which ``conformance cleanup`` removes everything the run created, and only
that (the seeded objects stay); a second cleanup has nothing left to do.

The BigFix reference app, wrapped by the recording server, is held at a moment when objects
the suite created exist: every worker is blocked in a GET (so each has ledgered every answer it
received), then the whole process group is killed: no end-of-run cleanup, no final report.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conformance.ledger import Ledger, ledger_files
from conformance.servers import ReferenceServer, app_class
from conformance.servers.base import Reply, Request
from conformance.servers.recording import Recorder, history, snapshot
from tests.helpers import PASSWORD_ENV, assert_no_traceback, run_cli

ENV = {PASSWORD_ENV: "conformance"}
CREDENTIALS = ("--user", "conformance", "--password-env", PASSWORD_ENV)


class Gate:
    """Once the suite has created objects that still exist, hold every GET (never answer it)."""

    def __init__(self, app: object, seeded: set[int]) -> None:
        self.app = app
        self.seeded = seeded
        self.held = 0
        self.closed = threading.Event()  # set: the run was killed, answer 503
        self._lock = threading.Lock()
        original = app.dispatch  # type: ignore[attr-defined]

        def dispatch(request: Request) -> Reply:
            if request.method == "GET" and self._suite_objects() >= 1 and self._created() >= 2:
                with self._lock:
                    self.held += 1
                self.closed.wait(120)
                return Reply(503, "gone", "text/plain")
            return original(request)

        app.dispatch = dispatch  # type: ignore[attr-defined]

    def _suite_objects(self) -> int:
        return len(set(self.app.actions) - self.seeded)  # type: ignore[attr-defined]

    def _created(self) -> int:
        return len(self.app.created)  # type: ignore[attr-defined]


@pytest.mark.parametrize("workers", [1, 2], ids=["one-worker", "two-workers"])
def test_sigkill_mid_run_then_cleanup_removes_everything(workers: int, tmp_path: Path) -> None:
    app = app_class("bigfix")()
    recorder = Recorder(app)
    seeded = set(app.actions)
    exclude = history(app)
    before = snapshot(app, objects_only=True, exclude=exclude)
    gate = Gate(app, seeded)
    report_dir = tmp_path / "report"
    with ReferenceServer(app) as server:
        command = [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--api",
            "bigfix",
            "--base-url",
            server.url,
            *CREDENTIALS,
            "--allow-mutations",
            "--workers",
            str(workers),
            "--report-dir",
            str(report_dir),
        ]
        process = subprocess.Popen(
            command,
            env={**os.environ, **ENV},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: workers die with it
        )
        try:
            ends = time.monotonic() + 180
            while gate.held < workers and time.monotonic() < ends and process.poll() is None:
                time.sleep(0.05)
            assert gate.held >= workers, "the run never reached the gate"
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            gate.closed.set()
        assert gate._suite_objects() >= 1, "nothing was left to clean up: the test proves nothing"
        created_by_suite = set(app.actions) - seeded

        # The report written at the start is whole and says the run did not finish.
        report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
        assert report["complete"] is False and report["finished_at"] is None
        assert "not finished" in str(report["stop_reason"])

        files = ledger_files(report_dir)
        # One ledger per worker that asked to create something (a worker held in a read
        # before its first creation has none); nothing lost: see the next assertion.
        assert 1 <= len(files) <= workers, files
        entries = [entry for file in files for entry in Ledger(file).entries()]
        open_paths = {entry.path for entry in entries if entry.state == "created"}
        # Every object the suite created and did not remove is named by a ledger entry.
        assert {f"/api/action/{number}" for number in created_by_suite} <= open_paths

        result = run_cli(
            "cleanup", str(report_dir), "--base-url", server.url, *CREDENTIALS, env=ENV
        )
        again = run_cli("cleanup", str(report_dir), "--base-url", server.url, *CREDENTIALS, env=ENV)
    assert again.code == 0 and "0 removed" in again.stdout, again.stdout + again.stderr
    assert_no_traceback(result)
    assert result.code == 0, result.stdout + result.stderr
    assert f"{len(open_paths)} removed, 0 left, 0 not confirmed" in result.stdout
    assert snapshot(app, objects_only=True, exclude=exclude) == before
    deletes = [call for call in recorder.calls if call.method == "DELETE"]
    assert deletes, "the cleanup sent no removal"
