"""The cleanup ledger: what a run creates is removed at its end, after a failure, after Ctrl-C;
nothing else is ever touched. An interrupted run leaves a whole report with ``complete: false``.
After a crash (SIGKILL) ``conformance cleanup`` removes it: tests/test_safety_crash.py, on a real
BigFix run.

A tiny "things" server stands in for any API that creates objects, and a throw-away test file
uses the plugin's ``api_client`` and ``ledger`` fixtures exactly as a suite test does.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.ledger import Ledger
from conformance.servers import ReferenceServer, app_class
from conformance.servers.base import ReferenceApp, Reply, Request, route
from conformance.servers.recording import Recorder
from tests.helpers import PASSWORD_ENV, run_cli

ENV = {PASSWORD_ENV: "conformance"}
STUCK = "stuck"  # a thing whose removal the server refuses


class ThingsApp(ReferenceApp):
    """Creates and deletes "things"; answers the BigFix probe so the suite will talk to it."""

    API = "bigfix"

    def __init__(self) -> None:
        super().__init__()
        self.things: set[str] = set()

    def handle(self, request: Request, handler: object) -> Reply:
        if not self.authorized(request):
            return Reply(401)
        return super().handle(request, handler)  # type: ignore[arg-type]

    @route("GET", r"/api/login")
    def login(self, request: Request) -> Reply:
        return Reply(200, "ok", "text/plain")

    @route("POST", r"/things")
    def create(self, request: Request) -> Reply:
        name = uuid.uuid4().hex
        with self.lock:
            self.things.add(name)
        return Reply(201, name, "text/plain")

    @route("DELETE", r"/things/(?P<name>[^/]+)")
    def delete(self, request: Request, name: str) -> Reply:
        if name == STUCK:
            return Reply(500, "cannot delete", "text/plain")
        with self.lock:
            if name not in self.things:
                return Reply(404)
            self.things.discard(name)
        return Reply(200)


TEST_FILE = """
import os
import time

import pytest


@pytest.mark.requirement("BIGFIX-ACTIONS-POST-ROUNDTRIP")  # a mutation budget of more than 3
def test_creates_things(api_client, ledger):
    client = api_client("bigfix")
    for number in range(3):
        entry = ledger.intend("bigfix", f"thing {number}")
        response = client.request("POST", "/things")
        ledger.created(entry, "DELETE", "/things/" + response.text)
    mode = os.environ["THINGS_MODE"]
    if mode == "hang":
        time.sleep(120)  # interrupted or killed here
    assert mode != "fail", "the test failed after creating its objects"
"""


@pytest.fixture
def things() -> Iterator[tuple[ThingsApp, str]]:
    app = ThingsApp()
    with ReferenceServer(app) as server:
        yield app, server.url


def _start_suite(url: str, tmp_path: Path, mode: str) -> subprocess.Popen[str]:
    (tmp_path / "test_things.py").write_text(textwrap.dedent(TEST_FILE), encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(tmp_path / "test_things.py"),
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(tmp_path),
        "-c",
        str(tmp_path / "pytest.ini"),
        "--base-url",
        url,
        "--conformance-api",
        "bigfix",
        "--conformance-user",
        "conformance",
        "--conformance-password-env",
        PASSWORD_ENV,
        "--allow-mutations",
        "--conformance-report-dir",
        str(tmp_path / "report"),
    ]
    environment = {**os.environ, **ENV, "THINGS_MODE": mode}
    return subprocess.Popen(
        command,
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: object, seconds: float = 60) -> None:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def _created(tmp_path: Path) -> int:
    """How many objects the run's ledger says it created (the server may be a step ahead)."""
    path = tmp_path / "report" / "ledger-main.jsonl"
    return sum(entry.state == "created" for entry in Ledger(path).entries()) if path.exists() else 0


def _report(tmp_path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((tmp_path / "report" / "report.json").read_text("utf-8"))
    return data


def test_objects_are_removed_after_a_failed_test(
    things: tuple[ThingsApp, str], tmp_path: Path
) -> None:
    app, url = things
    process = _start_suite(url, tmp_path, "fail")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, out + err
    assert app.things == set()
    report = _report(tmp_path)
    assert report["complete"] is True
    assert report["cleanup"] == {"ledgers": ["ledger-main.jsonl"], "left": [], "unresolved": []}


def test_ctrl_c_still_removes_what_was_created(
    things: tuple[ThingsApp, str], tmp_path: Path
) -> None:
    app, url = things
    process = _start_suite(url, tmp_path, "hang")
    _wait_for(lambda: _created(tmp_path) == 3)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == int(pytest.ExitCode.INTERRUPTED), out + err
    assert app.things == set()
    report = _report(tmp_path)
    assert report["complete"] is False
    assert report["stop_reason"] == "interrupted"
    assert report["finished_at"] is not None


def _ledger(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "ledger-main.jsonl"
    ledger = Ledger(path, base_url_for=lambda api: url)
    for name in ("a", "b"):
        ledger.created(ledger.intend("bigfix", f"thing {name}"), "DELETE", f"/things/{name}")
    ledger.removed(ledger.intend("bigfix", "a thing already removed"))
    return path


def test_cleanup_exit_codes(things: tuple[ThingsApp, str], tmp_path: Path) -> None:
    app, url = things
    app.things |= {"a", "b", "c"}
    path = _ledger(tmp_path, url)
    flags = ("--user", "conformance", "--password-env", PASSWORD_ENV)
    clean = run_cli("cleanup", str(path), "--base-url", url, *flags, env=ENV)
    assert clean.code == 0, clean.stdout + clean.stderr
    assert app.things == {"c"}  # only what the ledger named

    ledger = Ledger(path, base_url_for=lambda api: url)
    ledger.created(ledger.intend("bigfix", "a stuck thing"), "DELETE", f"/things/{STUCK}")
    ledger.intend("bigfix", "a thing whose creation was never confirmed")
    left = run_cli("cleanup", str(path), *flags, env=ENV)
    assert left.code == 1, left.stdout + left.stderr
    assert "left behind: bigfix: a stuck thing" in left.stderr
    assert "may exist (creation not confirmed)" in left.stderr

    down = run_cli("cleanup", str(path), "--base-url", "http://127.0.0.1:9", *flags, env=ENV)
    assert down.code == 3 and "cannot reach" in down.stderr
    missing = run_cli("cleanup", str(tmp_path / "nope.jsonl"), env=ENV)
    assert missing.code == 2 and "no ledger" in missing.stderr


def test_cleanup_never_sends_an_entry_to_another_server(
    things: tuple[ThingsApp, str], tmp_path: Path
) -> None:
    app, url = things
    app.things |= {"a", "b"}
    path = _ledger(tmp_path, "http://127.0.0.1:1")  # recorded for another server
    flags = ("--user", "conformance", "--password-env", PASSWORD_ENV)
    result = run_cli("cleanup", str(path), "--base-url", url, *flags, env=ENV)
    assert result.code == 1
    assert "not touched" in result.stderr
    assert app.things == {"a", "b"}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_mid_run_leaves_a_whole_partial_report(tmp_path: Path, signum: int) -> None:
    app = app_class("bigfix")()
    recorder = Recorder(app, delay=0.3)
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
            "--user",
            "conformance",
            "--password-env",
            PASSWORD_ENV,
            "--report-dir",
            str(tmp_path / "report"),
        ]
        process = subprocess.Popen(
            command,
            env={**os.environ, **ENV},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _wait_for(lambda: len(recorder.calls) >= 8)
        process.send_signal(signum)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert "interrupted: partial report" in err
    assert "Traceback" not in out + err
    report = _report(tmp_path)
    assert report["complete"] is False and report["stop_reason"] == "interrupted"
    statuses = {record["status"] for record in report["requirements"]}
    assert statuses - {"untested"}, "the results so far are in the report"
    assert not [path for path in (tmp_path / "report").iterdir() if path.suffix == ".tmp"]


def test_lines_that_add_something_to_remove_reach_the_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``intend`` and ``created`` are fsync'ed before the request they announce; the closing
    lines only flushed (README: crash safe). Every line is in the file at once either way."""
    synced: list[list[str]] = []
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        synced.append([json.loads(line)["state"] for line in path.read_text().splitlines()])
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    path = tmp_path / "ledger-main.jsonl"
    ledger = Ledger(path)
    kept = ledger.intend("bigfix", "kept")
    ledger.created(kept, "DELETE", "/api/action/1")
    ledger.removed(kept)
    refused = ledger.intend("bigfix", "refused")
    ledger.not_created(refused)
    states = ["intended", "created", "removed", "intended", "not-created"]
    assert [json.loads(line)["state"] for line in path.read_text().splitlines()] == states
    assert synced == [states[:1], states[:2], states[:4]]
    assert [entry.state for entry in ledger.entries()] == ["removed", "not-created"]
