"""Requirement statuses and the verdict, from case outcomes and expectations."""

from __future__ import annotations

from conformance.catalogue import Requirement
from conformance.expectations import Expectation
from conformance.verdict import CaseResult, requirement_status, summarise


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
