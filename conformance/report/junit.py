"""junit.xml: one test case per requirement."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET


def render_junit(report: dict[str, Any]) -> str:
    summary = report["summary"]
    suite = ET.Element(
        "testsuite",
        name="actionconform",
        tests=str(len(report["requirements"])),
        failures=str(summary["failed"]),
        skipped=str(summary["skipped"] + summary["untested"] + summary["expected_failures"]),
        errors="0",
        timestamp=report["started_at"],
    )
    for record in report["requirements"]:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"{record['api']}.{record['operation']}",
            name=f"{record['id']}: {record['title']}",
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
