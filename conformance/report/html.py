"""report.html: self-contained, opens offline, no scripts from anywhere."""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ddd;padding:4px 6px;
vertical-align:top;text-align:left}th{background:#f4f4f4}
.passed{color:#176f2c}.failed{color:#b00020;font-weight:bold}.skipped,.untested{color:#777}
.expected-failure{color:#a66300}.unexpected-pass{color:#6a1b9a;font-weight:bold}
pre{white-space:pre-wrap;background:#f8f8f8;padding:6px;max-height:30em;overflow:auto}
.verdict{font-size:1.4em}
"""


def _row(record: dict[str, Any]) -> str:
    status = record["status"]
    detail = escape(record.get("reason", ""))
    if record["evidence"]:
        items = "".join(
            f"<details><summary>{escape(str(item.get('message', '')))}</summary>"
            f"<pre>{escape(json.dumps(item, indent=2, ensure_ascii=False))}</pre></details>"
            for item in record["evidence"]
        )
        detail = items
    return (
        f"<tr><td><code>{escape(record['id'])}</code><br>{escape(record['title'])}</td>"
        f"<td>{escape(record['level'])}</td><td><code>{escape(record['operation'])}</code></td>"
        f"<td class='{escape(status)}'>{escape(status)}</td><td>{record['checks']}</td>"
        f"<td>{detail}<br><small>{escape(record['source'])}</small></td></tr>"
    )


def render_html(report: dict[str, Any]) -> str:
    summary = report["summary"]
    counts = ", ".join(
        f"{escape(name.replace('_', ' '))}: {value}"
        for name, value in summary.items()
        if name != "verdict"
    )
    rows = "\n".join(_row(record) for record in report["requirements"])
    target = report["target"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>actionconform report</title>
<style>{_STYLE}</style></head><body>
<h1>actionconform report</h1>
<p class="verdict">Verdict: <strong>{escape(summary["verdict"])}</strong>
{"" if report["complete"] else " (<strong>incomplete run</strong>)"}</p>
<p>Target: <code>{escape(str(target["base_url"]))}</code>
{"(bundled reference servers)" if target["bundled"] else ""};
APIs: {escape(", ".join(report["apis"]))};
started {escape(report["started_at"])}, finished {escape(str(report["finished_at"]))};
tool {escape(report["tool_version"])}.</p>
<p>{counts}</p>
<table><thead><tr><th>Requirement</th><th>Level</th><th>Operation</th><th>Status</th>
<th>Checks</th><th>Evidence and source</th></tr></thead><tbody>
{rows}
</tbody></table></body></html>
"""
