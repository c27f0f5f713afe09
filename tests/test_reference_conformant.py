"""The suite passes the bundled reference servers, and writes the report CONTRACT.md fixes."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest

from conformance import catalogue
from conformance.servers import APPS
from tests.helpers import CliResult, run_cli

REPORT_FILES = ("report.json", "report.html", "junit.xml", "summary.md")


@pytest.fixture(scope="module")
def bundled_run(tmp_path_factory: pytest.TempPathFactory) -> CliResult:
    return run_cli("run", report_dir=tmp_path_factory.mktemp("bundled") / "report")


def test_bundled_run_is_conformant(bundled_run: CliResult) -> None:
    assert bundled_run.code == 0, bundled_run.stdout + bundled_run.stderr
    report = bundled_run.report
    assert report["complete"] is True
    assert report["summary"]["verdict"] == "conformant"
    assert report["summary"]["failed"] == 0
    assert report["target"]["bundled"] is True
    assert report["format"] == "actionconform-report/1"


def test_every_requirement_of_a_bundled_api_passes(bundled_run: CliResult) -> None:
    statuses = bundled_run.statuses()
    for api in APPS:
        for requirement in catalogue.load_api(api):
            expected = "untested" if requirement.untested else "passed"
            assert statuses[requirement.id] == expected, requirement.id


def test_report_directory_holds_every_rendering(bundled_run: CliResult) -> None:
    assert bundled_run.report_dir is not None
    for name in REPORT_FILES:
        assert (bundled_run.report_dir / name).stat().st_size > 0, name
    leftovers = [path.name for path in bundled_run.report_dir.iterdir() if path.suffix == ".tmp"]
    assert leftovers == []


def test_report_records_have_contract_fields(bundled_run: CliResult) -> None:
    report = bundled_run.report
    for key in (
        "format",
        "tool_version",
        "target",
        "apis",
        "started_at",
        "finished_at",
        "complete",
        "summary",
        "requirements",
    ):
        assert key in report
    for key in ("verdict", "passed", "failed", "expected_failures", "skipped", "untested"):
        assert key in report["summary"]
    record = report["requirements"][0]
    for key in (
        "id",
        "api",
        "operation",
        "level",
        "title",
        "source",
        "status",
        "checks",
        "evidence",
    ):
        assert key in record


def test_junit_has_one_case_per_requirement(bundled_run: CliResult) -> None:
    assert bundled_run.report_dir is not None
    suite = ElementTree.parse(bundled_run.report_dir / "junit.xml").getroot()
    names = [case.get("name", "").split(":")[0] for case in suite.iter("testcase")]
    assert names == [record["id"] for record in bundled_run.report["requirements"]]


def test_html_and_markdown_are_renderings_of_the_json(bundled_run: CliResult) -> None:
    assert bundled_run.report_dir is not None
    html = (bundled_run.report_dir / "report.html").read_text(encoding="utf-8")
    markdown = (bundled_run.report_dir / "summary.md").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.split("<body>")[0]
    for record in bundled_run.report["requirements"]:
        assert record["id"] in html
    assert "conformant" in markdown.splitlines()[0]


def test_report_json_is_the_only_source_of_counts(bundled_run: CliResult) -> None:
    summary = bundled_run.report["summary"]
    statuses = [record["status"] for record in bundled_run.report["requirements"]]
    assert summary["passed"] == statuses.count("passed")
    assert summary["untested"] == statuses.count("untested")
    assert json.dumps(bundled_run.report)  # serialisable as is


# The default report directory (reports/<timestamp>Z): tests/test_safety_exits.py, closed pipe.


def test_coverage_lists_every_spec_operation_and_sees_each_bundled_one(
    bundled_run: CliResult,
) -> None:
    from conformance import spec

    operations = bundled_run.report["coverage"]["operations"]
    listed = {(record["api"], record["operation"]) for record in operations}
    expected = {(api, op.name) for api in APPS for op in spec.operations(api)}
    assert listed == expected
    unseen = {(record["api"], record["operation"]) for record in operations if not record["seen"]}
    assert unseen == set()  # every operation of every bundled server is reached by the suite
    for record in operations:  # a conformant run sees only documented statuses
        assert record["documented"], record
        for status in record["seen"]:
            assert any(
                key == str(status) or (key.endswith("XX") and key[0] == str(status)[0])
                for key in record["documented"]
            ), record


def test_summary_shows_the_coverage_matrix(bundled_run: CliResult) -> None:
    assert bundled_run.report_dir is not None
    markdown = (bundled_run.report_dir / "summary.md").read_text(encoding="utf-8")
    assert "## Coverage of the spec" in markdown
    assert "| `GET /api/action/{action id}/status` | ✅ |" in markdown
