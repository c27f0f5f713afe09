"""When an injected fault counts as caught: the strictness rules of the fault test (issue 13).

A fault is caught only when (1) its requirement failed, (2) with evidence from the server (an
exchange: the request sent and the answer, or the lack of one), never a crash of the suite ("call
failed: ...", a traceback), (3) nothing anywhere in the report is such a crash, and (4) no other
requirement changed status compared with the clean reference run, except those the fault
declares: ``also_fails`` (may fail too) and ``also_untested`` (may be left with nothing to judge).
"""

from __future__ import annotations

from typing import Any

from conformance.servers import Fault

CRASH_PREFIXES = ("setup failed:", "call failed:", "teardown failed:")


def is_crash(evidence: dict[str, Any]) -> bool:
    """Evidence of the suite failing, not of the server: no exchange, or a crash text."""
    message = str(evidence.get("message", ""))
    crashed = message.startswith(CRASH_PREFIXES) or "Traceback" in message
    return crashed or "request" not in evidence


def from_server(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The evidence items of a requirement record that show the server's behaviour."""
    return [item for item in record.get("evidence", []) if not is_crash(item)]


def fault_problems(report: dict[str, Any], clean: dict[str, str], fault: Fault) -> list[str]:
    """Everything that keeps ``fault`` from counting as caught in ``report`` (empty: caught).

    ``clean`` is requirement ID -> status of the same run against the unbroken server.
    """
    problems: list[str] = []
    records = {record["id"]: record for record in report["requirements"]}
    own = records.get(fault.requirement)
    if own is None or own["status"] != "failed":
        status = own["status"] if own else "absent"
        problems.append(f"{fault.requirement} is {status}, not failed")
    elif not from_server(own):
        problems.append(f"{fault.requirement} failed without evidence from the server: {own}")
    for record in records.values():
        if record["status"] == "failed" and any(is_crash(item) for item in record["evidence"]):
            problems.append(f"{record['id']}: the suite crashed: {record['evidence']}")
    for requirement_id, record in records.items():
        before, now = clean.get(requirement_id), record["status"]
        if requirement_id == fault.requirement or before == now:
            continue
        if now == "failed" and requirement_id in fault.also_fails:
            continue
        if now in ("untested", "skipped") and requirement_id in fault.also_untested:
            continue
        reason = f" ({record['reason']})" if record.get("reason") else ""
        problems.append(
            f"{requirement_id}: {before} in the clean run, {now} with the fault{reason}"
        )
    return problems
