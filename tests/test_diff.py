"""``conformance diff``: regressions exit 1, fixes and other moves are listed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import assert_no_traceback, run_cli


def _report(statuses: dict[str, str]) -> dict[str, Any]:
    return {
        "format": "actionconform-report/1",
        "requirements": [
            {
                "id": rid,
                "title": rid.lower(),
                "status": status,
                "evidence": [{"message": "expected 404, got 200"}] if status == "failed" else [],
            }
            for rid, status in statuses.items()
        ],
    }


def _write(path: Path, statuses: dict[str, str]) -> str:
    path.mkdir(parents=True)
    (path / "report.json").write_text(json.dumps(_report(statuses)), encoding="utf-8")
    return str(path)


def test_regression_exits_1_and_names_the_requirement(tmp_path: Path) -> None:
    old = _write(tmp_path / "old", {"A-B": "passed", "C-D": "failed"})
    new = _write(tmp_path / "new", {"A-B": "failed", "C-D": "passed"})
    result = run_cli("diff", old, new)
    assert result.code == 1
    assert "regression: A-B passed -> failed - expected 404, got 200" in result.stdout
    assert "fixed: C-D failed -> passed" in result.stdout


def test_no_regression_exits_0(tmp_path: Path) -> None:
    old = _write(tmp_path / "old", {"A-B": "failed", "C-D": "passed"})
    new = _write(tmp_path / "new", {"A-B": "passed", "C-D": "skipped", "E-F": "failed"})
    result = run_cli("diff", old, new, "--format", "json")
    assert result.code == 0
    moved = json.loads(result.stdout)
    assert [row["id"] for row in moved["fixes"]] == ["A-B"]
    assert [row["id"] for row in moved["changed"]] == ["C-D"]
    assert [row["id"] for row in moved["new_failures"]] == ["E-F"]


def test_unreadable_report_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "bogus.json").write_text("{}", encoding="utf-8")
    result = run_cli("diff", str(tmp_path / "missing"), str(tmp_path / "bogus.json"))
    assert result.code == 2
    assert_no_traceback(result)
    assert len(result.stderr.strip().splitlines()) == 1
