"""Selection: --include/--exclude ID globs, --level, --operation. What is not selected is
``skipped`` (reason ``not selected``), never ``untested``; tests serving no selected
requirement are not run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance import catalogue
from conformance.cli import main
from conformance.errors import UsageError
from conformance.selection import NOT_SELECTED, Selection
from tests.helpers import assert_no_traceback, run_against

BIGFIX = catalogue.for_apis(["bigfix"])


def _ids(selection: Selection) -> set[str]:
    return {r.id for r in BIGFIX if selection.selects(r)}


def test_everything_by_default() -> None:
    assert _ids(Selection()) == {r.id for r in BIGFIX}


def test_include_and_exclude_globs() -> None:
    included = _ids(Selection(include=("BIGFIX-ACTION-GET-*",)))
    assert included and all(rid.startswith("BIGFIX-ACTION-GET-") for rid in included)
    assert _ids(Selection(include=("bigfix-action-get-*",))) == included  # case-insensitive
    both = _ids(Selection(include=("BIGFIX-ACTION-GET-*",), exclude=("*-404",)))
    assert both == {rid for rid in included if not rid.endswith("-404")}
    several = _ids(Selection(include=("BIGFIX-AUTH-401", "BIGFIX-ACTION-GET-404")))
    assert several == {"BIGFIX-AUTH-401", "BIGFIX-ACTION-GET-404"}


def test_level_selects_that_level_and_stricter() -> None:
    everything = catalogue.for_apis(list(catalogue.API_NAMES))
    levels = {r.id: r.level for r in everything}

    def chosen(level: str) -> set[str]:
        return {r.id for r in everything if Selection(level=level).selects(r)}

    assert {levels[rid] for rid in chosen("MUST")} == {"MUST"}
    assert {levels[rid] for rid in chosen("SHOULD")} == {"MUST", "SHOULD"}
    assert chosen("MAY") == set(levels)


def test_operation_is_a_case_insensitive_substring() -> None:
    chosen = _ids(Selection(operation="/API/ACTION/{action id}/status"))
    assert chosen and all(
        "/api/action/{action id}/status" in catalogue.load_all()[rid].operation for rid in chosen
    )
    assert _ids(Selection(operation="*")) == {r.id for r in BIGFIX if r.operation == "*"}


def test_a_selection_matching_nothing_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="matches no requirement of bigfix"):
        Selection(include=("NEXTHINK-*",)).check(BIGFIX, ["bigfix"])
    with pytest.raises(UsageError):
        Selection(level="LOUD")


def test_cli_refuses_an_empty_selection_before_sending_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # An unreachable base URL: the usage error comes before any request (else exit 3).
    code = main(["run", "--api", "bigfix", "--base-url", "http://127.0.0.1:9", "--include", "X*"])
    assert code == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--include X*" in line and "matches no requirement" in line


def test_not_selected_is_skipped_and_excluding_a_fault_changes_the_verdict(
    serve: object, tmp_path: Path
) -> None:
    url = serve("bigfix", "action-404-body")  # type: ignore[operator]
    faulty = "BIGFIX-ACTION-GET-404"
    subset = ("--include", "BIGFIX-ACTION-*", "--include", "BIGFIX-AUTH-401")
    caught = run_against(
        url, "bigfix", tmp_path / "caught", *subset, "--level", "MUST", in_process=True
    )
    assert_no_traceback(caught)
    assert caught.code == 1, caught.stdout + caught.stderr
    assert caught.statuses()[faulty] == "failed"
    excluded = run_against(
        url, "bigfix", tmp_path / "excluded", *subset, "--exclude", faulty, in_process=True
    )
    assert excluded.code == 0, excluded.stdout + excluded.stderr
    record = excluded.requirement(faulty)
    assert (record["status"], record["reason"], record["checks"]) == ("skipped", NOT_SELECTED, 0)
    report = excluded.report
    assert report["selection"]["exclude"] == [faulty]
    chosen = {
        r.id for r in BIGFIX if r.id.startswith("BIGFIX-ACTION-") or r.id == "BIGFIX-AUTH-401"
    }
    chosen.discard(faulty)
    for record in report["requirements"]:
        if record["id"] in chosen:
            assert record.get("reason") != NOT_SELECTED
            assert record["status"] != "untested" or catalogue.load_all()[record["id"]].untested
        else:
            assert (record["status"], record.get("reason")) == ("skipped", NOT_SELECTED)
    assert "not selected" in excluded.stdout  # the summary says how many


def test_tests_serving_no_selected_requirement_are_not_collected() -> None:
    from conformance.paths import SUITES_DIR

    class Probe:
        def __init__(self) -> None:
            self.items: dict[str, set[str]] = {}

        def pytest_collection_finish(self, session: pytest.Session) -> None:
            for item in session.items:
                marks = item.iter_markers("requirement")
                self.items[item.nodeid] = {mark.args[0] for mark in marks}

    probe = Probe()
    args = ["--pyargs", "conformance.suites", "--conformance-api", "bigfix", "--collect-only"]
    args += ["-c", str(SUITES_DIR / "pytest.ini"), "--rootdir", str(SUITES_DIR)]
    args += ["-p", "no:xdist", "-p", "no:terminal"]
    args += ["--conformance-include", "BIGFIX-AUTH-*", "--conformance-exclude", "*-REALM"]
    assert pytest.main(args, plugins=[probe]) == 0
    chosen = probe.items
    # Only tests serving BIGFIX-AUTH-401 remain, from the test modules and the case runner
    # alike; the bigfix suite has dozens of other tests.
    assert chosen and all("BIGFIX-AUTH-401" in ids for ids in chosen.values()), chosen
    assert {nodeid.split("::")[0].rsplit("/", 1)[-1] for nodeid in chosen} == {
        "test_auth.py",
        "test_cases.py",
    }


def test_cli_level_takes_a_catalogue_level(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--level", "SOMETIMES"]) == 2
    assert "--level" in capsys.readouterr().err
