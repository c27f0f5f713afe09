"""The terminal: on a TTY a live display (per API: requirements done of total, failures so
far), then one summary in the suite's words and the report path once; off a TTY only the
summary. Run in a pseudo-terminal, as a user at a terminal would.
"""

from __future__ import annotations

import os
import pty
import re
import select
import sys
from pathlib import Path

from conformance import catalogue
from conformance.selection import Selection
from conformance.servers import ReferenceServer, app_class
from tests.helpers import PASSWORD_ENV, run_cli

FAULT, FAILED = "action-404-body", "BIGFIX-ACTION-GET-404"
SUBSET = ("--include", "BIGFIX-ACTION-GET-*", "--include", "BIGFIX-AUTH-401")
BIGFIX = catalogue.for_apis(["bigfix"])
SELECTED = [r for r in BIGFIX if Selection.of(include=SUBSET[1::2]).selects(r)]
SGR = re.compile(r"\x1b\[[0-9;]*m")
CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_in_pty(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ``python -m conformance ARGS`` with stdout and stderr on a pseudo-terminal."""
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", **(env or {})}
    if "NO_COLOR" not in (env or {}):
        environment.pop("NO_COLOR", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is the pty
        os.execve(sys.executable, [sys.executable, "-m", "conformance", *args], environment)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([fd], [], [], 300)
        if not ready:
            break
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), b"".join(chunks).decode("utf-8", "replace")


def _faulty_run_args(url: str, report_dir: Path, *extra: str) -> list[str]:
    return [
        "run", "--api", "bigfix", "--base-url", url, "--user", "conformance",
        "--password-env", PASSWORD_ENV, *SUBSET, "--report-dir", str(report_dir), *extra,
    ]  # fmt: skip


def _lines(output: str) -> list[str]:
    """What stays on the screen, line by line (a carriage return redraws the line)."""
    plain = CONTROL.sub("", output.replace("\r\n", "\n"))
    return [line.rsplit("\r", 1)[-1] for line in plain.split("\n") if line.strip()]


def test_a_terminal_shows_live_progress_then_one_summary(tmp_path: Path) -> None:
    with ReferenceServer(app_class("bigfix")(FAULT)) as server:
        code, output = run_in_pty(
            *_faulty_run_args(server.url, tmp_path / "r"), env={PASSWORD_ENV: "conformance"}
        )
    assert code == 1, output
    plain = CONTROL.sub("", output)
    # The live display: the API, requirements done of total, the failures so far.
    progress = re.findall(r"bigfix\s+\S*\s*(\d+)/(\d+) requirements", plain)
    assert progress, output
    assert {int(of) for _, of in progress} == {len(SELECTED)}
    assert "1 failure" in plain
    # Then one summary: the verdict once, the failed requirement, the report path once.
    lines = _lines(output)
    verdicts = [line for line in lines if line.startswith("non-conformant: ")]
    assert len(verdicts) == 1, lines
    unselected = len(BIGFIX) - len(SELECTED)
    assert f"({unselected} not selected)" in verdicts[0]
    assert f"of {len(BIGFIX)} requirements (bigfix) in " in verdicts[0]
    assert any(line.startswith(f"  failed: {FAILED} (MUST)") for line in lines), lines
    assert [line for line in lines if line.startswith("report: ")] == [
        f"report: {tmp_path / 'r' / 'report.html'}"
    ]
    # Nothing of pytest's own terminal: no dots, no "deselected", no session banners.
    assert "deselected" not in plain and "=====" not in plain and " passed in " not in plain
    assert "\x1b[31mnon-conformant\x1b[0m" in output  # the verdict in colour


def test_no_color_and_NO_COLOR_turn_colour_off(tmp_path: Path) -> None:
    with ReferenceServer(app_class("bigfix")(FAULT)) as server:
        env = {PASSWORD_ENV: "conformance"}
        _, flagged = run_in_pty(
            *_faulty_run_args(server.url, tmp_path / "a", "--no-color"), env=env
        )
        _, by_env = run_in_pty(
            *_faulty_run_args(server.url, tmp_path / "b"), env={**env, "NO_COLOR": "1"}
        )
    for output in (flagged, by_env):
        assert "non-conformant: " in output
        assert not SGR.search(output.split("non-conformant: ")[-1]), output
        assert "\x1b[31m" not in output  # the display draws its failures without colour too


def test_off_a_terminal_the_run_is_quiet_until_its_summary(tmp_path: Path) -> None:
    with ReferenceServer(app_class("bigfix")(FAULT)) as server:
        result = run_cli(
            *_faulty_run_args(server.url, tmp_path / "r"), env={PASSWORD_ENV: "conformance"}
        )
    assert result.code == 1
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 3, lines
    passed = len(SELECTED) - 1
    assert lines[0].startswith(f"non-conformant: {passed} passed, 1 failed, "), lines
    assert f" of {len(BIGFIX)} requirements (bigfix) in " in lines[0]
    assert lines[1].startswith(f"  failed: {FAILED} (MUST) ")
    assert lines[2] == f"report: {tmp_path / 'r' / 'report.html'}"
    assert "\x1b[" not in result.stdout


def test_ctrl_c_clears_the_display_and_says_where_the_partial_report_is(tmp_path: Path) -> None:
    import signal
    import threading

    from conformance.servers.base import Reply, Request

    app = app_class("bigfix")()
    held, release = threading.Event(), threading.Event()
    original = app.dispatch

    def dispatch(request: Request) -> Reply:
        if request.basic_auth() is None:  # the BIGFIX-AUTH-401 test's requests wait
            held.set()
            release.wait(120)
        return original(request)

    app.dispatch = dispatch  # type: ignore[method-assign]
    environment = {**os.environ, "TERM": "xterm-256color", PASSWORD_ENV: "conformance"}
    args = _faulty_run_args("", tmp_path / "r")
    with ReferenceServer(app) as server:
        args[args.index("--base-url") + 1] = server.url
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(sys.executable, [sys.executable, "-m", "conformance", *args], environment)
        chunks: list[bytes] = []
        try:
            assert held.wait(120), "the run never reached the held request"
            os.kill(pid, signal.SIGINT)
            while True:
                ready, _, _ = select.select([fd], [], [], 120)
                if not ready:
                    break
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            release.set()
            _, status = os.waitpid(pid, 0)
            os.close(fd)
    output = b"".join(chunks).decode("utf-8", "replace")
    assert os.waitstatus_to_exitcode(status) == 130, output
    assert "interrupted: partial report in" in output
    assert output.rfind("\x1b[?25h") > output.rfind("\x1b[?25l")  # the cursor is back
    assert (tmp_path / "r" / "report.json").exists()


def test_the_display_counts_a_revised_requirement_once_and_shows_its_failure() -> None:
    import io

    from conformance.progress import ProgressDisplay

    display = ProgressDisplay(io.StringIO(), color=False)
    display.pytest_actionconform_run_started({"requirements": {"bigfix": 2}})
    try:
        first = {"id": "A-B", "api": "bigfix", "status": "passed"}
        display.pytest_actionconform_requirement_finished(first)
        display.pytest_actionconform_requirement_finished(
            {**first, "status": "failed", "revised": True}
        )
        display.pytest_actionconform_requirement_finished(
            {"id": "C-D", "api": "bigfix", "status": "skipped", "reason": "not selected"}
        )
        (task,) = display.progress.tasks
        assert task.completed == 1 and task.total == 2
        assert "1 failure" in task.fields["failures"]
    finally:
        display.close()
