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
    return "\n".join(lines) + "\n"
