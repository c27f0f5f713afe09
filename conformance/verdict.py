"""From test outcomes to requirement statuses and a verdict.

A requirement passes when at least one of its cases ran and none failed; fails when any failed;
is skipped when every case skipped; is untested when the catalogue says it cannot be provoked
from outside, or no case of it was run. Expectations then turn known deviations into
``expected-failure`` and a known deviation that no longer shows into ``unexpected-pass``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.catalogue import Requirement
from conformance.expectations import Expectation

MAX_EVIDENCE = 5


@dataclass
class CaseResult:
    """One executed test case, as the controller saw it."""

    nodeid: str
    requirements: list[str]
    outcome: str  # passed | failed | skipped
    reason: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)


def _gating(requirement: Requirement, strict: bool, vendor_version: str | None = None) -> bool:
    if vendor_version is None and (requirement.since or requirement.until):
        # Judged by what any documented version allows: a rule that some documented versions
        # do not have cannot fail a server that may be one of them.
        return False
    return requirement.level == "MUST" or (strict and requirement.level == "SHOULD")


def requirement_status(
    requirement: Requirement,
    cases: list[CaseResult],
    expectation: Expectation | None,
) -> dict[str, Any]:
    """The report record of one requirement."""
    record: dict[str, Any] = requirement.as_dict()
    record["checks"] = sum(1 for case in cases if case.outcome != "skipped")
    record["evidence"] = []
    failed = [case for case in cases if case.outcome == "failed"]
    passed = [case for case in cases if case.outcome == "passed"]
    if requirement.untested:
        status, reason = "untested", requirement.untested
    elif failed:
        status, reason = "failed", ""
        for case in failed:
            record["evidence"].extend(case.evidence or [{"message": case.reason}])
        record["evidence"] = record["evidence"][:MAX_EVIDENCE]
    elif passed:
        status, reason = "passed", ""
    elif cases:
        status = "skipped"
        reason = "; ".join(sorted({case.reason for case in cases if case.reason}))
    else:
        status, reason = "untested", "no test case was run for this requirement"
    if expectation is not None:
        record["expected"] = {
            "status": expectation.status,
            "reason": expectation.reason,
            "tracking": expectation.tracking,
        }
        if status == "failed" and expectation.status in ("failed", "flaky"):
            status = "expected-failure"
        elif status == "passed" and expectation.status == "failed":
            status = "unexpected-pass"
    record["status"] = status
    if reason:
        record["reason"] = reason
    return record


def summarise(
    requirements: list[Requirement],
    records: list[dict[str, Any]],
    strict: bool,
    vendor_version: str | None = None,
) -> dict[str, Any]:
    """Counts and the verdict. Only MUST failures gate, SHOULD ones too with ``strict``."""
    counts = {
        "passed": 0,
        "failed": 0,
        "expected_failures": 0,
        "unexpected_passes": 0,
        "skipped": 0,
        "untested": 0,
        "warnings": 0,
    }
    key = {
        "passed": "passed",
        "failed": "failed",
        "expected-failure": "expected_failures",
        "unexpected-pass": "unexpected_passes",
        "skipped": "skipped",
        "untested": "untested",
    }
    gating_failures = 0
    for requirement, record in zip(requirements, records, strict=True):
        counts[key[record["status"]]] += 1
        if record["status"] == "failed":
            if _gating(requirement, strict, vendor_version):
                gating_failures += 1
            else:
                counts["warnings"] += 1
    assessed = counts["passed"] + counts["failed"] + counts["expected_failures"]
    assessed += counts["unexpected_passes"]
    if gating_failures:
        verdict = "non-conformant"
    elif assessed == 0:
        verdict = "not-assessed"
    else:
        verdict = "conformant"
    return {"verdict": verdict, **counts}
