"""Every injected fault makes the suite fail on the requirement that names it, and no other.

The runs go through the command's own entry point in this interpreter (``run_in_process``), each
API's server started once and given a fresh app with the fault for each test (issue 12: the
suite's tests in two minutes); one fault per API also runs as a real ``conformance run``
subprocess, so the command line itself is proven too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance import catalogue
from conformance.servers import Fault, ReferenceServer, all_faults, app_class
from tests.fault_rules import fault_problems
from tests.helpers import CliResult, assert_no_traceback, run_against

FAULTS = all_faults()
THROUGH_THE_COMMAND_LINE = {api: fault.name for api, fault in reversed(FAULTS)}  # the first


@pytest.fixture(scope="module")
def reference() -> Iterator[Callable[[str, str | None], str]]:
    """``reference(api, fault)``: the API's reference server, started once per module (and
    xdist worker), serving a fresh app with ``fault`` from this call on; its URL."""
    servers: dict[str, ReferenceServer] = {}

    def serve(api: str, fault: str | None) -> str:
        app = app_class(api)(fault)
        if api in servers:
            servers[api].replace_app(app)
        else:
            servers[api] = ReferenceServer(app)
            servers[api].start()
        return servers[api].url

    yield serve
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def clean_statuses(clean_run: Callable[[str], CliResult]) -> Callable[[str], dict[str, str]]:
    """``clean_statuses(api)``: requirement statuses of the same run against the unbroken server
    (a fault must change no other requirement's status unless it declares it)."""

    def statuses(api: str) -> dict[str, str]:
        result = clean_run(api)
        assert result.code == 0, result.stdout + result.stderr
        return result.statuses()

    return statuses


@pytest.mark.parametrize(
    ("api", "fault"), [pytest.param(api, fault, id=f"{api}:{fault.name}") for api, fault in FAULTS]
)
def test_fault_fails_its_requirement(
    api: str,
    fault: Fault,
    reference: Callable[[str, str | None], str],
    clean_statuses: Callable[[str], dict[str, str]],
    tmp_path: Path,
) -> None:
    clean = clean_statuses(api)  # before the fault's app replaces the clean one
    url = reference(api, fault.name)
    # A SHOULD requirement fails a run only with --strict (README: grading by level).
    level = catalogue.load_all()[fault.requirement].level
    strict = ("--strict",) if level == "SHOULD" else ()
    # A requirement only some vendor versions have gates when the run names the version the
    # server plays (conformance.versions); without one it is judged leniently.
    requirement = catalogue.load_all()[fault.requirement]
    if requirement.since or requirement.until:
        strict += ("--vendor-version", str(app_class(api)(fault.name).vendor_version))
    in_process = THROUGH_THE_COMMAND_LINE[api] != fault.name
    result = run_against(url, api, tmp_path / "report", *strict, in_process=in_process)
    assert_no_traceback(result)
    assert result.code == 1, f"exit {result.code}: {result.stdout}{result.stderr}"
    # Strict (issue 13, tests/fault_rules.py): its requirement fails with evidence from the
    # server, the suite never crashed, and no other requirement changed status undeclared.
    problems = fault_problems(result.report, clean, fault)
    assert not problems, "\n".join(problems)


def test_every_fault_names_a_catalogued_requirement() -> None:
    known = catalogue.load_all()
    for api, fault in FAULTS:
        assert fault.requirement in known, fault
        assert known[fault.requirement].api == api
        for other in (*fault.also_fails, *fault.also_untested):
            assert other in known, other


def test_faults_are_listed_by_the_mock_command() -> None:
    from tests.helpers import run_cli

    for api in {api for api, _ in FAULTS}:
        result = run_cli("mock", api, "--list-faults")
        assert result.code == 0
        listed = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
        assert listed == {fault.name for other, fault in FAULTS if other == api}


def test_the_rules_refuse_a_crash_and_a_fault_that_silences_others() -> None:
    """The strictness rules themselves: what does not count as catching a fault."""
    fault = Fault("f", "R-OWN", "d", also_fails=("R-ALSO",), also_untested=("R-LOST",))
    exchange = {"request": "GET /x", "response": {"status": 500}}
    clean = {"R-OWN": "passed", "R-ALSO": "passed", "R-LOST": "passed", "R-OTHER": "passed"}

    def report(own: dict[str, object], **others: str) -> dict[str, object]:
        records = [{"id": "R-OWN", **own}]
        records += [{"id": rid, "status": status, "evidence": []} for rid, status in others.items()]
        return {"requirements": records}

    caught = {"status": "failed", "evidence": [{"message": "expected 404, got 500", **exchange}]}
    assert fault_problems(report(caught, R_OTHER="passed"), clean, fault) == [
        "R_OTHER: None in the clean run, passed with the fault"
    ]  # (an ID the clean run lacks is a change too)
    fine = report(caught, **{"R-ALSO": "failed", "R-LOST": "untested", "R-OTHER": "passed"})
    assert fault_problems(fine, clean, fault) == []
    crash = {"status": "failed", "evidence": [{"message": "call failed: KeyError: 'ID'"}]}
    assert fault_problems(report(crash), clean, fault)[0].startswith(
        "R-OWN failed without evidence from the server"
    )
    crash_with_exchange = {
        "status": "failed",
        "evidence": [{"message": "call failed: TypeError", **exchange}],
    }
    assert fault_problems(report(crash_with_exchange), clean, fault)
    silenced = report(caught, **{"R-OTHER": "skipped"})
    assert fault_problems(silenced, clean, fault) == [
        "R-OTHER: passed in the clean run, skipped with the fault"
    ]
    assert fault_problems(report({"status": "passed", "evidence": []}), clean, fault) == [
        "R-OWN is passed, not failed"
    ]
