"""Clean exits: a report directory that cannot be written is exit 2 with one line, before any
request; a reader that goes away (``| head``) ends any command quietly with its own exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assert_no_traceback, run_cli


def _unwritable(tmp_path: Path, kind: str) -> Path:
    if kind == "under-a-file":
        blocker = tmp_path / "a-file"
        blocker.write_text("not a directory\n", encoding="utf-8")
        return blocker / "report"
    # An existing directory no one can create files in, root included (tests run as root).
    path = Path("/proc/self/fdinfo")
    assert path.is_dir()
    return path


@pytest.mark.parametrize("kind", ["under-a-file", "existing-read-only"])
def test_unwritable_report_dir_is_one_line_and_exit_2(tmp_path: Path, kind: str) -> None:
    report_dir = _unwritable(tmp_path, kind)
    # The target is unreachable: exit 2 (not 3) shows the directory is checked before any request.
    result = run_cli(
        "run", "--api", "bigfix", "--base-url", "http://127.0.0.1:9", report_dir=report_dir
    )
    assert_no_traceback(result)
    assert result.code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"conformance: cannot write to report directory {report_dir}")
    assert "INTERNALERROR" not in result.stdout + result.stderr


def test_unwritable_report_dir_through_pytest_is_a_usage_error(tmp_path: Path) -> None:
    report_dir = _unwritable(tmp_path, "existing-read-only")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "conformance.suites",
            "-p",
            "no:cacheprovider",
            "--conformance-api",
            "bigfix",
            "--conformance-report-dir",
            str(report_dir),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "cannot write to report directory" in completed.stdout + completed.stderr
    assert "INTERNALERROR" not in completed.stdout + completed.stderr


def _closed_after(args: list[str], keep: int, tmp_path: Path) -> tuple[int, str]:
    """Run ``conformance ARGS``, read ``keep`` bytes of its output, then close the pipe."""
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={key: value for key, value in os.environ.items() if key != "ACTIONCONFORM_DEBUG"},
    )
    assert process.stdout is not None and process.stderr is not None
    if keep:
        process.stdout.read(keep)
    process.stdout.close()
    error = process.stderr.read().decode("utf-8", "replace")
    return process.wait(timeout=240), error


@pytest.mark.parametrize(
    ("args", "keep"),
    [
        (["requirements", "--format", "json"], 10),
        (["requirements"], 0),
        (["mock", "bigfix", "--list-faults"], 40),
        (["mock", "edgeiq", "--list-faults"], 0),
        (["--help"], 5),
    ],
    ids=["requirements-json", "requirements-table", "mock-list-faults", "list-faults-0", "help"],
)
def test_a_closed_pipe_ends_a_command_quietly(args: list[str], keep: int, tmp_path: Path) -> None:
    code, error = _closed_after(args, keep, tmp_path)
    assert code == 0, error
    assert error == "", error


def test_a_closed_pipe_keeps_the_run_verdict(tmp_path: Path) -> None:
    """Also the default report directory: reports/<UTC timestamp>Z under the working directory."""
    code, error = _closed_after(["run", "--api", "bigfix"], 0, tmp_path)
    assert code == 0, error  # conformant: the verdict, not a pipe error
    assert "internal error" not in error and "Traceback" not in error, error
    (report_dir,) = (tmp_path / "reports").iterdir()
    assert report_dir.name.endswith("Z") and (report_dir / "report.json").is_file()
