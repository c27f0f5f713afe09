"""The command leaves the process without tearing the interpreter down (``cli.entry``): what
it printed and the exit handlers (logging, temporary files) are still all there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import atexit, sys
from pathlib import Path
marker = Path(sys.argv[1])
atexit.register(lambda: marker.write_text("ran", encoding="utf-8"))
sys.argv = ["conformance", "requirements", "--api", "edgeiq", "--format", "json"]
from conformance.cli import entry
entry()
print("not reached")
"""


def test_entry_flushes_its_output_runs_exit_handlers_and_keeps_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "exit-handler"
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(marker)], capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.rstrip().endswith("]") and "EDGEIQ-AUTH-401" in completed.stdout
    assert "not reached" not in completed.stdout
    assert marker.read_text(encoding="utf-8") == "ran"


def test_entry_exits_with_mains_code(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--level", "SOMETIMES"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert completed.returncode == 2
    assert "--level" in completed.stderr


def test_under_a_profiler_the_process_ends_as_usual(tmp_path: Path) -> None:
    """``python -m cProfile -o FILE -m conformance ...`` writes its profile (after the module
    returns, not in an exit handler)."""
    profile = tmp_path / "run.prof"
    command = ["-m", "conformance", "requirements", "--api", "edgeiq"]
    completed = subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), *command],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert profile.stat().st_size > 0
