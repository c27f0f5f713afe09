"""``conformance diff``: regressions and fixes between two reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance.errors import UsageError

GOOD = {"passed", "unexpected-pass"}
BAD = {"failed", "expected-failure"}


def load_report(path: str) -> dict[str, Any]:
    file = Path(path)
    if file.is_dir():
        file = file / "report.json"
    try:
        report: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read report {file}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"{file} is not a JSON report") from None
    if not str(report.get("format", "")).startswith("actionconform-report/"):
        raise UsageError(f"{file} is not an actionconform report")
    return report


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Requirements whose status moved, grouped: regressions, fixes, new_failures, changed."""
    before = {record["id"]: record for record in old["requirements"]}
    result: dict[str, list[dict[str, str]]] = {
        "regressions": [],
        "fixes": [],
        "new_failures": [],
        "changed": [],
    }
    for record in new["requirements"]:
        previous = before.get(record["id"])
        now = record["status"]
        row = {"id": record["id"], "title": record["title"], "new": now}
        if previous is None:
            if now in BAD:
                result["new_failures"].append({**row, "old": "absent"})
            continue
        was = previous["status"]
        row["old"] = was
        if was == now:
            continue
        if was in GOOD and now in BAD:
            message = record["evidence"][0].get("message", "") if record["evidence"] else ""
            result["regressions"].append({**row, "evidence": message})
        elif was in BAD and now in GOOD:
            result["fixes"].append(row)
        else:
            result["changed"].append(row)
    return result


def render_diff(result: dict[str, list[dict[str, str]]]) -> str:
    labels = {
        "regressions": "regression",
        "fixes": "fixed",
        "new_failures": "new failure (not in the old report)",
        "changed": "changed",
    }
    lines = []
    for group, label in labels.items():
        for row in result[group]:
            detail = f" - {row['evidence']}" if row.get("evidence") else ""
            lines.append(f"{label}: {row['id']} {row['old']} -> {row['new']}{detail}")
    counts = ", ".join(f"{len(result[group])} {group.replace('_', ' ')}" for group in labels)
    lines.append(counts)
    return "\n".join(lines)
