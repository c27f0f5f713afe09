"""Requirement statuses and the verdict, from case outcomes and expectations."""

from __future__ import annotations

import dataclasses

from conformance.catalogue import Requirement
from conformance.expectations import Expectation
from conformance.verdict import (
    SPEC_DRAWN_ONLY,
    CaseResult,
    grade,
    requirement_status,
    summarise,
)


def _requirement(level: str = "MUST", untested: str | None = None) -> Requirement:
    return Requirement(
        id="BIGFIX-TEST-RULE",
        api="bigfix",
        operation="GET /api/actions",
        level=level,
        title="A rule",
        page="bigfix-rest-api-action.md",
        quote="a quote",
        untested=untested,
    )


def _case(outcome: str, reason: str = "") -> CaseResult:
    evidence = [{"message": "expected 404, got 200"}] if outcome == "failed" else []
    return CaseResult("node", ["BIGFIX-TEST-RULE"], outcome, reason, evidence)


def test_one_failed_case_fails_the_requirement_with_its_evidence() -> None:
    record = requirement_status(_requirement(), [_case("passed"), _case("failed")], None)
    assert record["status"] == "failed"
    assert record["evidence"] == [{"message": "expected 404, got 200"}]
    assert record["checks"] == 2


def test_all_skipped_is_skipped_with_reasons() -> None:
    record = requirement_status(_requirement(), [_case("skipped", "mutations not allowed")], None)
    assert record["status"] == "skipped"
    assert record["reason"] == "mutations not allowed"


def test_passed_and_skipped_is_passed() -> None:
    record = requirement_status(_requirement(), [_case("passed"), _case("skipped", "x")], None)
    assert record["status"] == "passed"


def test_no_case_is_untested_never_passed() -> None:
    record = requirement_status(_requirement(), [], None)
    assert record["status"] == "untested"


def test_catalogue_untested_wins_over_cases() -> None:
    record = requirement_status(_requirement(untested="needs a second user"), [], None)
    assert (record["status"], record["reason"]) == ("untested", "needs a second user")


def test_expected_failure_and_unexpected_pass() -> None:
    expectation = Expectation("BIGFIX-TEST-RULE", "failed", "known bug", "QA-1")
    failed = requirement_status(_requirement(), [_case("failed")], expectation)
    passed = requirement_status(_requirement(), [_case("passed")], expectation)
    assert failed["status"] == "expected-failure"
    assert failed["expected"]["tracking"] == "QA-1"
    assert passed["status"] == "unexpected-pass"


def test_flaky_expectation_accepts_either_outcome() -> None:
    expectation = Expectation("BIGFIX-TEST-RULE", "flaky", "timing", None)
    assert requirement_status(_requirement(), [_case("failed")], expectation)["status"] == (
        "expected-failure"
    )
    assert requirement_status(_requirement(), [_case("passed")], expectation)["status"] == "passed"


def test_must_failure_is_non_conformant_should_only_with_strict() -> None:
    must, should = _requirement("MUST"), _requirement("SHOULD")
    failed = {"status": "failed"}
    passed = {"status": "passed"}
    assert summarise([must, should], [failed, passed], strict=False)["verdict"] == "non-conformant"
    lenient = summarise([must, should], [passed, failed], strict=False)
    assert lenient["verdict"] == "conformant" and lenient["warnings"] == 1
    assert summarise([must, should], [passed, failed], strict=True)["verdict"] == "non-conformant"


def test_nothing_assessed_is_its_own_verdict() -> None:
    summary = summarise([_requirement()], [{"status": "skipped"}], strict=False)
    assert summary["verdict"] == "not-assessed"


# -- issue 13: no false passes -----------------------------------------------------------------


def _folded(*phases: tuple[str, str]) -> CaseResult:
    case = CaseResult("node", ["BIGFIX-TEST-RULE"])
    for when, outcome in phases:
        case.record(when, outcome, reason=f"{when} {outcome}")
    return case


def test_a_case_whose_call_never_reported_is_not_passed() -> None:
    case = _folded(("setup", "passed"))
    assert case.outcome == "running"
    record = requirement_status(_requirement(), [case], None, stop_reason="deadline reached")
    assert record["status"] == "untested"
    assert record["reason"] == "the case did not run to its end: deadline reached"
    assert record["checks"] == 0


def test_a_cut_case_beside_passed_ones_leaves_the_requirement_untested() -> None:
    passed = _folded(("setup", "passed"), ("call", "passed"), ("teardown", "passed"))
    cut = _folded(("setup", "passed"))
    record = requirement_status(_requirement(), [passed, cut], None, stop_reason="interrupted")
    assert record["status"] == "untested"
    failed = _folded(("setup", "passed"), ("call", "failed"))
    assert requirement_status(_requirement(), [failed, cut], None)["status"] == "failed"


def test_phases_fold_into_one_outcome() -> None:
    assert _folded(("setup", "skipped")).outcome == "skipped"
    assert _folded(("setup", "passed"), ("call", "passed")).outcome == "passed"
    failed_teardown = _folded(("setup", "passed"), ("call", "passed"), ("teardown", "failed"))
    assert failed_teardown.outcome == "failed"
    assert failed_teardown.evidence == [{"message": "teardown failed"}]
    skipped_teardown = _folded(("setup", "passed"), ("call", "passed"), ("teardown", "skipped"))
    assert skipped_teardown.outcome == "passed"


def test_untested_marks_a_case_that_could_not_be_judged() -> None:
    case = CaseResult("node", ["BIGFIX-TEST-RULE"])
    case.record("setup", "passed")
    case.record("call", "skipped", reason="x", untested="the action was not created; see POST")
    record = requirement_status(_requirement(), [case, _case("skipped", "no fixture")], None)
    assert (record["status"], record["reason"]) == (
        "untested",
        "the action was not created; see POST",
    )
    # like a skip, it does not undo what other cases judged
    assert requirement_status(_requirement(), [case, _case("passed")], None)["status"] == "passed"


def test_a_weak_pass_says_why_and_is_counted_apart() -> None:
    weak = CaseResult("weak", ["BIGFIX-TEST-RULE"])
    weak.record("setup", "passed")
    weak.record("call", "passed", weak="the probe cannot separate A from B")
    record = requirement_status(_requirement(), [_case("passed"), weak], None)
    assert (record["status"], record["strength"]) == ("passed", "weak")
    assert record["evidence"] == [
        {"message": "the probe cannot separate A from B", "strength": "weak"}
    ]
    strong = requirement_status(_requirement(), [_case("passed")], None)
    assert strong["strength"] == "strong"
    summary = summarise([_requirement(), _requirement()], [record, strong], strict=False)
    assert (summary["passed"], summary["weak_passes"], summary["verdict"]) == (2, 1, "conformant")


def test_an_incomplete_run_is_never_conformant() -> None:
    passed = {"status": "passed"}
    failed = {"status": "failed"}
    summary = summarise([_requirement()], [passed], strict=False, complete=False)
    assert summary["verdict"] == "not-assessed"
    summary = summarise([_requirement()], [failed], strict=False, complete=False)
    assert summary["verdict"] == "non-conformant"


def test_a_judged_exchange_fails_or_holds_another_requirement() -> None:
    other = _requirement()
    case = CaseResult("node", ["BIGFIX-OWN-RULE"])
    case.record("setup", "passed")
    finding = {"message": "status 418 is not documented", "request": "GET /x"}
    case.record("call", "passed", judged={other.id: {"passed": 2, "failed": [finding]}})
    (record,) = grade([other], [case], {})
    assert record["status"] == "failed"
    assert record["evidence"] == [finding]
    assert record["checks"] == 3  # exchanges judged, though no case of its own ran
    held = CaseResult("node", ["BIGFIX-OWN-RULE"])
    held.record("call", "passed", judged={other.id: {"passed": 1}})
    (record,) = grade([other], [held], {})
    assert (record["status"], record["strength"]) == ("passed", "strong")


def test_a_teardown_that_could_not_be_sent_leaves_the_case_untested() -> None:
    case = _folded(("setup", "passed"), ("call", "passed"))
    case.record("teardown", "failed", reason="teardown failed: x", untested="not sent: stopped")
    assert (case.outcome, case.reason, case.evidence) == ("untested", "not sent: stopped", [])


def _drawn(judged: dict[str, dict[str, object]] | None = None) -> CaseResult:
    """A spec-drawn case (schemathesis drew its requests) whose call passed."""
    case = CaseResult("drawn", ["BIGFIX-TEST-RULE"])
    case.record("setup", "passed")
    case.record("call", "passed", judged=judged, no_evidence=SPEC_DRAWN_ONLY)
    case.record("teardown", "passed")
    return case


def test_a_spec_drawn_pass_alone_is_no_evidence() -> None:
    """Every drawn request may have answered a documented 404: the requirement is untested,
    not passed, and not weak (weak passes still pass)."""
    (record,) = grade([_requirement()], [_drawn()], {})
    assert (record["status"], record["reason"]) == ("untested", SPEC_DRAWN_ONLY)
    assert "strength" not in record


def test_what_the_judges_found_on_spec_drawn_exchanges_counts() -> None:
    held = _drawn({"BIGFIX-TEST-RULE": {"passed": 1, "failed": []}})
    (record,) = grade([_requirement()], [held], {})
    assert (record["status"], record["strength"]) == ("passed", "strong")
    finding = {"message": "status 418 is not documented", "request": "GET /x"}
    broken = _drawn({"BIGFIX-TEST-RULE": {"passed": 0, "failed": [finding]}})
    (record,) = grade([_requirement()], [broken], {})
    assert (record["status"], record["evidence"]) == ("failed", [finding])
    # Beside a skipped case of its own, the skip says what the suite lacked.
    skipped = _case("skipped", "mutations not allowed")
    (record,) = grade([_requirement()], [_drawn(), skipped], {})
    assert (record["status"], record["reason"]) == (
        "untested",
        f"{SPEC_DRAWN_ONLY}; mutations not allowed",
    )
    # Beside a case of its own that passed, the requirement passes as before.
    (record,) = grade([_requirement()], [_drawn(), _case("passed")], {})
    assert record["status"] == "passed"


def test_a_spec_named_requirement_no_exchange_reached_takes_its_operations_reason() -> None:
    own = _requirement()
    named = dataclasses.replace(own, id="BIGFIX-TEST-SCHEMA")
    case = CaseResult("node", [own.id])
    case.record("call", "failed", untested="GET /x answered 404: the route exists from 9.0")
    records = grade([own, named], [case], {})
    assert [record["status"] for record in records] == ["untested", "untested"]
    assert records[1]["reason"] == "GET /x answered 404: the route exists from 9.0"
    skipped = CaseResult("node", [own.id], "skipped", "mutations not allowed")
    records = grade([own, named], [skipped], {})
    assert (records[1]["status"], records[1]["reason"]) == ("skipped", "mutations not allowed")
