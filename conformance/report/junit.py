"""junit.xml: one test case per requirement, with its time; an error case if the run stopped."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET


def _seconds(started: str | None, finished: str | None) -> float:
    if not started or not finished:
        return 0.0
    try:
        begin = datetime.fromisoformat(started.replace("Z", "+00:00"))
        end = datetime.fromisoformat(finished.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    return max(0.0, (end - begin).total_seconds())


def render_junit(report: dict[str, Any]) -> str:
    summary = report["summary"]
    stopped = not report.get("complete", True) and report.get("stop_reason")
    total = _seconds(report.get("started_at"), report.get("finished_at"))
    suite = ET.Element(
        "testsuite",
        name="actionconform",
        tests=str(len(report["requirements"]) + (1 if stopped else 0)),
        failures=str(summary["failed"]),
        skipped=str(summary["skipped"] + summary["untested"] + summary["expected_failures"]),
        errors="1" if stopped else "0",
        timestamp=report["started_at"],
        time=f"{total:.3f}",
    )
    if stopped:
        # A run that could not assess (exit 3) or stopped early: CI shows why as an error.
        case = ET.SubElement(suite, "testcase", classname="actionconform", name="run", time="0")
        error = ET.SubElement(case, "error", message=str(report["stop_reason"]))
        error.text = f"verdict {summary['verdict']}: {report['stop_reason']}"
    for record in report["requirements"]:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{record['api']}.{record['operation']}",
            name=f"{record['id']}: {record['title']}",
            time=f"{float(record.get('duration', 0.0)):.3f}",
        )
        status = record["status"]
        if status == "failed":
            first = record["evidence"][0] if record["evidence"] else {"message": "failed"}
            failure = ET.SubElement(case, "failure", message=str(first.get("message", "")))
            failure.text = json.dumps(record["evidence"], indent=2)
        elif status in ("skipped", "untested", "expected-failure"):
            reason = record.get("reason") or record.get("expected", {}).get("reason", "")
            ET.SubElement(case, "skipped", message=f"{status}: {reason}")
        properties = ET.SubElement(case, "properties")
        for name in ("level", "source", "status"):
            ET.SubElement(properties, "property", name=name, value=str(record[name]))
    ET.indent(suite)
    body = ET.tostring(suite, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
