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


NOT_SELECTED = "not selected"
NOT_ASSESSED = "not assessed"  # the reason prefix of an exit-3 report
SCOPE_FIELDS = {
    "target": lambda report: report.get("target", {}).get("base_url"),
    "apis": lambda report: ", ".join(report.get("apis", [])) or None,
    "mutations": lambda report: _mutations(report),
    "vendor version": lambda report: report.get("target", {}).get("vendor_version"),
    "complete": lambda report: _complete(report),
}


def _complete(report: dict[str, Any]) -> str | None:
    if "complete" not in report:
        return None
    if report["complete"]:
        return "yes"
    return f"no ({report.get('stop_reason') or 'stopped'})"


def _mutations(report: dict[str, Any]) -> str | None:
    allowed = report.get("target", {}).get("allow_mutations")
    if allowed is None:
        return None
    return "allowed" if allowed else "read-only"


def _narrowed(record: dict[str, Any] | None) -> bool:
    """Absent from the run, present only as not selected, or not assessed (exit 3)."""
    if record is None:
        return True
    reason = str(record.get("reason", ""))
    if record["status"] == "untested" and reason.startswith(NOT_ASSESSED):
        return True
    return record["status"] == "skipped" and reason == NOT_SELECTED


def _absence(record: dict[str, Any] | None) -> str:
    if record is None:
        return "absent"
    return f"{record['status']} ({record.get('reason', '')})"


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """What moved between two runs.

    ``regressions``, ``fixes``, ``new_failures`` and ``changed`` are status moves; ``absent`` are
    requirements the old run had and the new one does not (or skipped as not selected);
    ``scope`` lists a changed target, API set, mutation mode or vendor version.
    """
    before = {record["id"]: record for record in old["requirements"]}
    after = {record["id"]: record for record in new["requirements"]}
    result: dict[str, list[dict[str, str]]] = {
        "regressions": [],
        "fixes": [],
        "new_failures": [],
        "changed": [],
        "absent": [],
        "scope": [],
    }
    for name, read in SCOPE_FIELDS.items():
        was, now = read(old), read(new)
        if was != now:
            result["scope"].append({"field": name, "old": str(was), "new": str(now)})
    for record in old["requirements"]:
        if _narrowed(after.get(record["id"])) and not _narrowed(record):
            now = _absence(after.get(record["id"]))
            result["absent"].append(
                {"id": record["id"], "title": record["title"], "old": record["status"], "new": now}
            )
    narrowed = {row["id"] for row in result["absent"]}
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
        if was == now or record["id"] in narrowed:
            continue
        if was in GOOD and now in BAD:
            message = record["evidence"][0].get("message", "") if record["evidence"] else ""
            result["regressions"].append({**row, "evidence": message})
        elif was in BAD and now in GOOD:
            result["fixes"].append(row)
        else:
            result["changed"].append(row)
    return result


def is_regression(result: dict[str, list[dict[str, str]]], *, allow_narrower: bool) -> bool:
    """Exit 1: a requirement got worse, or (unless allowed) the new run covers less."""
    return bool(result["regressions"]) or (bool(result["absent"]) and not allow_narrower)


def render_diff(result: dict[str, list[dict[str, str]]], *, allow_narrower: bool = False) -> str:
    lines = [
        f"scope changed: {row['field']} {row['old']} -> {row['new']}" for row in result["scope"]
    ]
    labels = {
        "regressions": "regression",
        "absent": "absent now" if allow_narrower else "regression (absent now)",
        "fixes": "fixed",
        "new_failures": "new failure (not in the old report)",
        "changed": "changed",
    }
    for group, label in labels.items():
        for row in result[group]:
            detail = f" - {row['evidence']}" if row.get("evidence") else ""
            lines.append(f"{label}: {row['id']} {row['old']} -> {row['new']}{detail}")
    names = {**{group: group.replace("_", " ") for group in labels}, "absent": "absent now"}
    names["scope"] = "scope changes"
    lines.append(", ".join(f"{len(result[group])} {name}" for group, name in names.items()))
    if result["absent"] and not allow_narrower:
        lines.append(
            f"the new run is narrower: {len(result['absent'])} requirement(s) absent now count "
            "as regressions (--allow-narrower accepts a narrower run)"
        )
    return "\n".join(lines)
