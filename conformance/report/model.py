"""Parts of the report model that more than one path builds: the target, a not-assessed run."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conformance import __version__, catalogue
from conformance.selection import Selection, not_selected_record
from conformance.target import Target
from conformance.verdict import summarise

REPORT_FORMAT = "actionconform-report/1"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def target_record(target: Target) -> dict[str, Any]:
    """``report["target"]``: where the run went and whether it could act."""
    record: dict[str, Any] = {
        "base_url": target.base_url or "bundled reference servers",
        "bundled": target.bundled,
        "allow_mutations": target.allow_mutations or target.bundled,
        "vendor_version": target.vendor_version,
    }
    network = target.network.describe()  # header names, proxy host, certificate file name
    if network:
        record["network"] = network
    return record


def not_assessed_report(
    target: Target, reason: str, started_at: str, selection: Selection | None = None
) -> dict[str, Any]:
    """The report of a run that could assess nothing (exit 3): every selected requirement
    untested (the others skipped, not selected), verdict ``not-assessed``, ``complete`` false
    and ``stop_reason`` saying why."""
    requirements = catalogue.for_apis(target.apis)
    selection = selection or Selection()
    records = []
    for requirement in requirements:
        if not selection.selects(requirement):
            records.append(not_selected_record(requirement))
            continue
        record: dict[str, Any] = requirement.as_dict()
        record.update(
            status="untested",
            checks=0,
            evidence=[],
            reason=f"not assessed: {reason}",
            duration=0.0,
        )
        records.append(record)
    return {
        "format": REPORT_FORMAT,
        "tool_version": __version__,
        "target": target_record(target),
        "apis": target.apis,
        "selection": selection.as_dict(),
        "started_at": started_at,
        "finished_at": now(),
        "complete": False,
        "stop_reason": reason,
        "summary": summarise(requirements, records, strict=False),
        "requirements": records,
    }
