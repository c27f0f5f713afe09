"""``conformance diff``: regressions exit 1, fixes and other moves are listed.

A regression and an unreadable report are judged by real ``conformance diff`` processes (exit 1,
exit 2 with one stderr line); the other comparisons go through the command's entry point in this
interpreter (``run_in_process``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import assert_no_traceback, run_cli, run_in_process


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
    result = run_in_process("diff", old, new, "--format", "json")
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


def _scoped(path: Path, statuses: dict[str, str], **scope: Any) -> str:
    report = _report(statuses)
    report["apis"] = scope.get("apis", ["bigfix", "nexthink"])
    report["target"] = {
        "base_url": scope.get("base_url", "https://bigfix.example.com"),
        "bundled": False,
        "allow_mutations": scope.get("allow_mutations", True),
    }
    if "vendor_version" in scope:
        report["target"]["vendor_version"] = scope["vendor_version"]
    for record in report["requirements"]:
        if record["status"] == "skipped":
            record["reason"] = scope.get("skip_reason", "not selected")
    path.mkdir(parents=True)
    (path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    return str(path)


def test_a_narrower_run_is_a_regression_and_says_what_changed(tmp_path: Path) -> None:
    old = _scoped(tmp_path / "old", {"A-B": "passed", "C-D": "passed", "E-F": "failed"})
    new = _scoped(
        tmp_path / "new",
        {"A-B": "passed"},
        apis=["bigfix"],
        base_url="https://staging.example.com",
        allow_mutations=False,
        vendor_version="11.0",
    )
    result = run_in_process("diff", old, new)
    assert result.code == 1, result.stdout
    assert "regression (absent now): C-D passed -> absent" in result.stdout
    assert "regression (absent now): E-F failed -> absent" in result.stdout
    for line in (
        "scope changed: target https://bigfix.example.com -> https://staging.example.com",
        "scope changed: apis bigfix, nexthink -> bigfix",
        "scope changed: mutations allowed -> read-only",
        "scope changed: vendor version None -> 11.0",
    ):
        assert line in result.stdout
    assert "the new run is narrower: 2 requirement(s)" in result.stdout


def test_allow_narrower_lists_absent_requirements_and_exits_0(tmp_path: Path) -> None:
    old = _scoped(tmp_path / "old", {"A-B": "passed", "C-D": "passed"})
    new = _scoped(tmp_path / "new", {"A-B": "passed"}, apis=["bigfix"])
    result = run_in_process("diff", old, new, "--allow-narrower")
    assert result.code == 0, result.stdout
    assert "absent now: C-D passed -> absent" in result.stdout
    listed = run_in_process("diff", old, new, "--allow-narrower", "--format", "json")
    moved = json.loads(listed.stdout)
    assert [row["id"] for row in moved["absent"]] == ["C-D"]
    assert moved["scope"] == [{"field": "apis", "old": "bigfix, nexthink", "new": "bigfix"}]


def test_not_selected_counts_as_absent_but_other_skips_do_not(tmp_path: Path) -> None:
    old = _scoped(tmp_path / "old", {"A-B": "passed", "C-D": "passed"})
    narrowed = _scoped(tmp_path / "narrowed", {"A-B": "passed", "C-D": "skipped"})
    result = run_in_process("diff", old, narrowed, "--format", "json")
    assert result.code == 1
    assert json.loads(result.stdout)["absent"][0]["new"] == "skipped (not selected)"
    other = _scoped(
        tmp_path / "other", {"A-B": "passed", "C-D": "skipped"}, skip_reason="fixture missing"
    )
    result = run_in_process("diff", old, other, "--format", "json")
    assert result.code == 0
    assert json.loads(result.stdout)["changed"][0]["id"] == "C-D"


def test_same_scope_reports_no_scope_change(tmp_path: Path) -> None:
    old = _scoped(tmp_path / "old", {"A-B": "passed"})
    new = _scoped(tmp_path / "new", {"A-B": "passed"})
    result = run_in_process("diff", old, new)
    assert result.code == 0
    assert "scope changed" not in result.stdout
    assert "0 regressions, 0 absent now" in result.stdout


def test_a_not_assessed_run_is_narrower_and_incomplete(tmp_path: Path) -> None:
    old = _scoped(tmp_path / "old", {"A-B": "passed", "C-D": "failed"})
    report = json.loads((Path(old) / "report.json").read_text(encoding="utf-8"))
    report["complete"] = True
    (Path(old) / "report.json").write_text(json.dumps(report), encoding="utf-8")
    new_dir = tmp_path / "new"
    new_dir.mkdir()
    reason = "https://bigfix.example.com answered 401 to GET /api/login: credentials were rejected"
    for record in report["requirements"]:
        record.update(status="untested", reason=f"not assessed: {reason}", evidence=[])
    report.update(complete=False, stop_reason=reason)
    (new_dir / "report.json").write_text(json.dumps(report), encoding="utf-8")
    result = run_in_process("diff", old, str(new_dir), "--format", "json")
    assert result.code == 1
    moved = json.loads(result.stdout)
    assert [row["id"] for row in moved["absent"]] == ["A-B", "C-D"]
    assert moved["changed"] == [] and moved["regressions"] == []
    assert moved["scope"] == [{"field": "complete", "old": "yes", "new": f"no ({reason})"}]
