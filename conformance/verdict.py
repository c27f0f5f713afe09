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
  separate two behaviours (it says why), ``strong`` otherwise. A spec-drawn case (marker
  ``spec_drawn``: schemathesis drew its requests) is no evidence by its own pass, which comes
  whenever every answer was documented, a 404 to every drawn ID included: only what the judges
  found on its exchanges counts, and a requirement with nothing else is ``untested``
  (``SPEC_DRAWN_ONLY``);
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
NOTE_KEY = "actionconform-note"
UNFINISHED = "the case did not run to its end"
SPEC_DRAWN_ONLY = (
    "only spec-drawn requests reached it and no answer showed it holding (a documented 404 to a "
    "drawn ID, say); a spec-drawn test's own pass is no evidence"
)


@dataclass
class CaseResult:
    """One test case, as the controller saw it.

    ``outcome`` is ``running`` (started, not finished), ``passed``, ``failed``, ``skipped`` or
    ``untested`` (it could not be judged: e.g. no request could be sent). ``weak`` says why a
    pass is only weak; ``no_evidence`` why a pass proves nothing by itself (a spec-drawn case):
    the case is then ``untested`` with that reason, and only ``judged`` counts. ``judged`` holds
    what the case's exchanges showed about any requirement (its own or others), by requirement
    ID: ``{"passed": n, "failed": [evidence, ...]}``.
    """

    nodeid: str
    requirements: list[str]
    outcome: str = "running"
    reason: str = ""
    evidence: list[dict[str, Any]] = field(default_factory=list)
    weak: str | None = None
    judged: dict[str, dict[str, Any]] = field(default_factory=dict)
    no_evidence: str | None = None
    notes: list[str] = field(default_factory=list)  # what a pass rests on (``add_note``)

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
        no_evidence: str | None = None,
        notes: list[str] | None = None,
    ) -> None:
        """Fold one phase report (``setup``, ``call``, ``teardown``) into the case.

        ``outcome`` is pytest's (``passed``, ``failed``, ``skipped``); ``reason`` is the skip
        reason or the failure text; ``untested`` turns a failed or skipped phase into "could not
        judge" with that reason.
        """
        self.notes += [note for note in notes or [] if note not in self.notes]
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
            if no_evidence:
                self.outcome, self.reason, self.no_evidence = "untested", no_evidence, no_evidence
            else:
                self.outcome = "passed"
                self.weak = weak


def mark_weak(node: Any, why: str) -> None:
    """Declare the running test's pass weak: its probe cannot separate two behaviours.

    ``node`` is the pytest item (``request.node``); the reason reaches the report as evidence
    with ``strength: weak``.
    """
    node.user_properties.append((WEAK_KEY, why))


def add_note(node: Any, note: str) -> None:
    """Say what the running test's pass rests on when it judged less than it could (e.g. a
    share of examples left unsent, and why): the note reaches the report as the passed
    requirement's evidence. ``node`` is the pytest item (``request.node``)."""
    node.user_properties.append((NOTE_KEY, note))


def notes_of(user_properties: list[tuple[str, object]]) -> list[str]:
    return list(dict.fromkeys(str(value) for key, value in user_properties if key == NOTE_KEY))


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
        notes = [note for case in passed for note in case.notes]
        record["evidence"] = record.get("evidence", []) + [
            {"message": note} for note in dict.fromkeys(notes)
        ]
    elif unjudged:
        status = "untested"
        reasons = [case.reason for case in unjudged]
        if all(case.no_evidence for case in unjudged):
            # Only spec-drawn cases ran: what the suite lacked for its own skipped ones is why.
            reasons += [case.reason for case in cases if case.outcome == "skipped" and case.reason]
        reason = "; ".join(dict.fromkeys(reasons))
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
    _reason_from_operation(requirements, records)
    return records


def _reason_from_operation(requirements: list[Requirement], records: list[dict[str, Any]]) -> None:
    """A requirement judged only through its operation's exchanges (the spec names it, no case of
    its own), that no exchange reached, takes the reason of a test of the same operation that
    could not make the exchange: skipped when one was skipped (the suite lacked mutations or a
    fixture), untested with the reason when one could not be judged (say the route answered 404
    on a server that may predate it). A reason the catalogue gives is not borrowed."""
    skipped: dict[str, list[str]] = {}
    unjudged: dict[str, list[str]] = {}
    for requirement, record in zip(requirements, records, strict=True):
        reason = record.get("reason")
        if not reason or requirement.untested:
            continue
        if record["status"] == "skipped":
            skipped.setdefault(record["operation"], []).append(reason)
        elif record["status"] == "untested" and reason != NO_CASE:
            unjudged.setdefault(record["operation"], []).append(reason)
    for record in records:
        if record["status"] != "untested" or record.get("reason") != NO_CASE:
            continue
        if skipped.get(record["operation"]):
            record["status"] = "skipped"
            record["reason"] = "; ".join(dict.fromkeys(skipped[record["operation"]]))
        elif unjudged.get(record["operation"]):
            record["reason"] = "; ".join(dict.fromkeys(unjudged[record["operation"]]))


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
