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


def render_markdown(report: dict[str, Any]) -> str:
    summary = report["summary"]
    lines = [
        f"# actionconform: {summary['verdict']}",
        "",
        f"Target `{report['target']['base_url']}` "
        f"({'bundled reference servers' if report['target']['bundled'] else 'server under test'}), "
        f"APIs: {', '.join(report['apis'])}. Complete: {report['complete']}.",
        "",
        "| passed | failed | expected failures | unexpected passes | skipped | untested |",
        "|---|---|---|---|---|---|",
        f"| {summary['passed']} | {summary['failed']} | {summary['expected_failures']} | "
        f"{summary['unexpected_passes']} | {summary['skipped']} | {summary['untested']} |",
        "",
    ]
    notable = [r for r in report["requirements"] if r["status"] not in ("passed",)]
    if notable:
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
                f"`{_cell(record['operation'])}` | {record['status']} | {_cell(detail)} |"
            )
    else:
        lines.append("Every requirement passed.")
    return "\n".join(lines) + "\n"
