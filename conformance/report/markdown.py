"""summary.md: a short Markdown page for a CI job summary."""

from __future__ import annotations

from typing import Any

_ICONS = {
    "passed": "✅",
    "failed": "❌",
    "expected-failure": "⚠️",
    "unexpected-pass": "❗",
    "skipped": "⏭️",
    "untested": "•",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _target(target: dict[str, Any]) -> str:
    if target.get("bundled"):
        return "the bundled reference servers"
    return f"`{target['base_url']}`"


def _passed(summary: dict[str, Any]) -> str:
    weak = summary.get("weak_passes", 0)
    return f"{summary['passed']} ({weak} weak)" if weak else str(summary["passed"])


def _status(record: dict[str, Any]) -> str:
    return "passed (weak)" if record.get("strength") == "weak" else str(record["status"])


def render_markdown(report: dict[str, Any]) -> str:
    summary = report["summary"]
    lines = [
        f"# actionconform: {summary['verdict']}",
        "",
        f"Target: {_target(report['target'])}; APIs: {', '.join(report['apis'])}. "
        f"Complete: {'yes' if report['complete'] else 'no'}.",
        "",
    ]
    if report.get("stop_reason"):
        lines += [f"Stopped: {_cell(str(report['stop_reason']))}.", ""]
    lines += [
        "| passed | failed | expected failures | unexpected passes | skipped | untested |",
        "|---|---|---|---|---|---|",
        f"| {_passed(summary)} | {summary['failed']} | {summary['expected_failures']} | "
        f"{summary['unexpected_passes']} | {summary['skipped']} | {summary['untested']} |",
        "",
    ]
    notable = [
        r for r in report["requirements"] if r["status"] != "passed" or r.get("strength") == "weak"
    ]
    reasons = {(record["status"], str(record.get("reason", ""))) for record in notable}
    if notable and len(notable) == len(report["requirements"]) and len(reasons) == 1:
        # Nothing ran (exit 3): one line, not a row per requirement with the same reason.
        status, reason = reasons.pop()
        lines.append(f"Every requirement is {status}: {_cell(reason)}.")
    elif notable:
        lines += [
            "| | requirement | level | operation | status | detail |",
            "|---|---|---|---|---|---|",
        ]
        for record in notable:
            detail = record.get("reason", "")
            if record["evidence"]:
                detail = record["evidence"][0].get("message", "")
            lines.append(
                f"| {_ICONS.get(record['status'], '')} | `{record['id']}` | {record['level']} | "
                f"`{_cell(record['operation'])}` | {_status(record)} | {_cell(detail)} |"
            )
    else:
        lines.append("Every requirement passed.")
    lines += coverage_matrix(report.get("coverage", {}).get("operations", []))
    return "\n".join(lines) + "\n"


def _covers(documented: str, status: int) -> bool:
    return documented == str(status) or (
        documented.upper().endswith("XX") and documented[0] == str(status)[0]
    )


def coverage_matrix(operations: list[dict[str, Any]]) -> list[str]:
    """Per API, operations by status: ✅ documented and seen, · documented but not seen,
    ❗ seen but not documented (the judge failed the operation's requirement, or the request
    was outside the spec)."""
    if not operations:
        return []
    lines = ["", "## Coverage of the spec", ""]
    lines.append("✅ documented and seen · ▫️ documented, not seen · ❗ seen, not documented")
    for api in dict.fromkeys(record["api"] for record in operations):
        records = [record for record in operations if record["api"] == api]
        columns: list[str] = []
        for record in records:
            columns += [key for key in record["documented"] if key not in columns]
            for status in record["seen"]:
                if not any(_covers(key, status) for key in columns):
                    columns.append(str(status))
        columns.sort()
        lines += ["", f"**{api}**", ""]
        lines.append("| operation | " + " | ".join(columns) + " |")
        lines.append("|---|" + "---|" * len(columns))
        for record in records:
            cells = []
            for column in columns:
                documented = column in record["documented"]
                seen = any(_covers(column, status) for status in record["seen"])
                cells.append(("✅" if seen else "▫️") if documented else ("❗" if seen else ""))
            lines.append(f"| `{_cell(record['operation'])}` | " + " | ".join(cells) + " |")
    return lines
