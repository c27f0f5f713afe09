"""From test outcomes to requirement statuses and a verdict: the one grading rule.

A case (one test item) is ``passed`` only when its call ran to its end without a failure; a case
that started and never finished (``--deadline``, Ctrl-C, a worker that died) stays ``running`` and
is graded ``untested`` with the reason the run stopped. A requirement

- fails when any of its cases failed, or when a case of another requirement found it broken (the
  contract layer judges every exchange against the spec: ``judged`` below);
- is ``untested`` when the catalogue says it cannot be provoked from outside, when one of its
  cases did not run to its end (even if others passed), or when none passed and a case could not
  be judged (``untested``: a prerequisite answered wrongly, the server stopped answering) or none
  ran;
- passes when at least one case passed (or an exchange was judged to hold it) and none failed
  or was cut short; the pass is ``weak`` when a passing case could only use a probe that cannot
  separate two behaviours (it says why), ``strong`` otherwise;
- is ``skipped`` when every case skipped (the suite lacked a fixture or the permission to act).

Expectations then turn known deviations into ``expected-failure`` and a known deviation that no
longer shows into ``unexpected-pass``. A run that is not complete is never ``conformant``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.catalogue import Requirement
from conformance.expectations import Expectation

MAX_EVIDENCE = 5
WEAK_KEY = "actionconform-weak"
UNFINISHED = "the case did not run to its end"


@dataclass
class CaseResult:
    """One test case, as the controller saw it.

    ``outcome`` is ``running`` (started, not finished), ``passed``, ``failed``, ``skipped`` or
    ``untested`` (it could not be judged: e.g. no request could be sent). ``weak`` says why a
    pass is only weak. ``judged`` holds what the case's exchanges showed about any requirement
    (its own or others), by requirement ID: ``{"passed": n, "failed": [evidence, ...]}``.
    """

    nodeid: str
    requirements: list[str]
    outcome: str = "running"
    reason: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    weak: str | None = None
    judged: dict[str, dict[str, Any]] = field(default_factory=dict)

    def record(
        self,
        when: str,
        outcome: str,
        *,
        evidence: list[dict[str, Any]] | None = None,
        reason: str = "",
        untested: str | None = None,
        weak: str | None = None,
        judged: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        """Fold one phase report (``setup``, ``call``, ``teardown``) into the case.

        ``outcome`` is pytest's (``passed``, ``failed``, ``skipped``); ``reason`` is the skip
        reason or the failure text; ``untested`` turns a failed or skipped phase into "could not
        judge" with that reason.
        """
        for requirement_id, verdict in (judged or {}).items():
            mine = self.judged.setdefault(requirement_id, {"passed": 0, "failed": []})
            mine["passed"] += int(verdict.get("passed", 0))
            mine["failed"].extend(verdict.get("failed", []))
        if self.outcome == "failed":
            if outcome == "failed":
                self.evidence.extend(evidence or [])
            return
        unjudged = outcome == "failed" or (outcome == "skipped" and when != "teardown")
        if untested is not None and unjudged:
            self.outcome, self.reason = "untested", untested
        elif outcome == "failed":
            self.outcome = "failed"
            self.evidence = list(evidence or []) or [{"message": reason}]
            self.reason = "" if evidence else reason
        elif outcome == "skipped" and when != "teardown":
            self.outcome, self.reason = "skipped", reason
        elif outcome == "passed" and when == "call" and self.outcome == "running":
            self.outcome = "passed"
            self.weak = weak


def mark_weak(node: Any, why: str) -> None:
    """Declare the running test's pass weak: its probe cannot separate two behaviours.

    ``node`` is the pytest item (``request.node``); the reason reaches the report as evidence
    with ``strength: weak``.
    """
    node.user_properties.append((WEAK_KEY, why))


def weak_reason(user_properties: list[tuple[str, object]]) -> str | None:
    reasons = [str(value) for key, value in user_properties if key == WEAK_KEY]
    return "; ".join(dict.fromkeys(reasons)) or None


def _gating(requirement: Requirement, strict: bool, vendor_version: str | None = None) -> bool:
    if vendor_version is None and (requirement.since or requirement.until):
        # Judged by what any documented version allows: a rule that some documented versions
        # do not have cannot fail a server that may be one of them.
        return False
    return requirement.level == "MUST" or (strict and requirement.level == "SHOULD")


NO_CASE = "no test case was run for this requirement"


def requirement_status(
    requirement: Requirement,
    cases: list[CaseResult],
    expectation: Expectation | None,
    *,
    found: list[dict[str, Any]] | None = None,
    judged_passes: int = 0,
    stop_reason: str | None = None,
) -> dict[str, Any]:
    """The report record of one requirement.

    ``cases`` are the requirement's own; ``found`` is the evidence exchanges of any case showed
    against it and ``judged_passes`` how many showed it holding; ``stop_reason`` is why the run
    stopped, if it did (the reason of an unfinished case).
    """
    record: dict[str, Any] = requirement.as_dict()
    record["checks"] = sum(1 for case in cases if case.outcome in ("passed", "failed"))
    record["checks"] += judged_passes + len(found or [])
    record["evidence"] = []
    failed = [case for case in cases if case.outcome == "failed"]
    passed = [case for case in cases if case.outcome == "passed"]
    cut = [case for case in cases if case.outcome == "running"]
    unjudged = [case for case in cases if case.outcome == "untested"]
    if failed or found:
        status, reason = "failed", ""
        for case in failed:
            record["evidence"].extend(case.evidence or [{"message": case.reason}])
        record["evidence"].extend(found or [])
        record["evidence"] = record["evidence"][:MAX_EVIDENCE]
    elif requirement.untested:
        status, reason = "untested", requirement.untested
    elif cut:
        status = "untested"
        reason = f"{UNFINISHED}: {stop_reason or 'the run was interrupted'}"
    elif passed or judged_passes:
        status, reason = "passed", ""
        weak = [case.weak for case in passed if case.weak]
        if weak:
            record["strength"] = "weak"
            why = "; ".join(dict.fromkeys(weak))
            record["evidence"] = [{"message": why, "strength": "weak"}]
        else:
            record["strength"] = "strong"
    elif unjudged:
        status = "untested"
        reason = "; ".join(dict.fromkeys(case.reason for case in unjudged))
    elif cases:
        status = "skipped"
        reason = "; ".join(sorted({case.reason for case in cases if case.reason}))
    else:
        status, reason = "untested", NO_CASE
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


def grade(
    requirements: list[Requirement],
    results: list[CaseResult],
    expectations: dict[str, Expectation],
    *,
    stop_reason: str | None = None,
) -> list[dict[str, Any]]:
    """The records of ``requirements`` from every case result of the run."""
    own: dict[str, list[CaseResult]] = {}
    found: dict[str, list[dict[str, Any]]] = {}
    passes: dict[str, int] = {}
    for result in results:
        for requirement_id in dict.fromkeys(result.requirements):
            own.setdefault(requirement_id, []).append(result)
        for requirement_id, verdict in result.judged.items():
            found.setdefault(requirement_id, []).extend(verdict["failed"])
            passes[requirement_id] = passes.get(requirement_id, 0) + verdict["passed"]
    records = [
        requirement_status(
            requirement,
            own.get(requirement.id, []),
            expectations.get(requirement.id),
            found=found.get(requirement.id),
            judged_passes=passes.get(requirement.id, 0),
            stop_reason=stop_reason,
        )
        for requirement in requirements
    ]
    _skip_with_operation(records)
    return records


def _skip_with_operation(records: list[dict[str, Any]]) -> None:
    """A requirement judged only through its operation's exchanges (the spec names it, no case of
    its own), that no exchange reached, is skipped when a test of the same operation was skipped:
    the suite lacked what that test needed to make the exchange (mutations not allowed, a
    fixture), and the record says which."""
    skipped: dict[str, list[str]] = {}
    for record in records:
        if record["status"] == "skipped" and record.get("reason"):
            skipped.setdefault(record["operation"], []).append(record["reason"])
    for record in records:
        reasons = skipped.get(record["operation"])
        if record["status"] == "untested" and record.get("reason") == NO_CASE and reasons:
            record["status"] = "skipped"
            record["reason"] = "; ".join(dict.fromkeys(reasons))


def summarise(
    requirements: list[Requirement],
    records: list[dict[str, Any]],
    strict: bool,
    vendor_version: str | None = None,
    *,
    complete: bool = True,
) -> dict[str, Any]:
    """Counts and the verdict. Only MUST failures gate, SHOULD ones too with ``strict``.

    A run that is not complete proves no conformance: ``non-conformant`` if a gating failure is
    already certain, ``not-assessed`` otherwise.
    """
    counts = {
        "passed": 0,
        "failed": 0,
        "expected_failures": 0,
        "unexpected_passes": 0,
        "skipped": 0,
        "untested": 0,
        "warnings": 0,
        "weak_passes": 0,
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
        if record["status"] == "passed" and record.get("strength") == "weak":
            counts["weak_passes"] += 1
        if record["status"] == "failed":
            if _gating(requirement, strict, vendor_version):
                gating_failures += 1
            else:
                counts["warnings"] += 1
    assessed = counts["passed"] + counts["failed"] + counts["expected_failures"]
    assessed += counts["unexpected_passes"]
    if gating_failures:
        verdict = "non-conformant"
    elif assessed == 0 or not complete:
        verdict = "not-assessed"
    else:
        verdict = "conformant"
    return {"verdict": verdict, **counts}
