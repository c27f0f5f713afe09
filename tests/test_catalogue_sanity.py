"""The suite checks itself: catalogue, cases, tests and faults agree with each other."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from conformance import catalogue, registry
from conformance.paths import SCHEMAS_DIR, SUITES_DIR
from conformance.servers import all_faults
from conformance.suites.cases import load_cases

VENDOR_PAGES = {
    "bigfix-rest-api-action.md",
    "nexthink-act-api-v2-classic.md",
    "redis-enterprise-actions.md",
    "redis-enterprise-cluster-actions.md",
    "fleet-execute-action.md",
    "NOTES.md",
    # later vendor pages, by version (redis-enterprise-versions/SOURCES.tsv)
    "redis-enterprise-versions/doc_HEAD_objects_action.md",
    "redis-enterprise-versions/doc_HEAD_requests_actions_index.md",
    "redis-enterprise-versions/doc_HEAD_requests_cluster_actions.md",
    "redis-enterprise-versions/relnotes_8.0.2-17_change_master_406_excerpt.md",
}


class _Grab:
    def __init__(self) -> None:
        self.ids: list[str] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            self.ids.extend(marker.args[0] for marker in item.iter_markers("requirement"))


@pytest.fixture(scope="module")
def collected_requirements() -> Counter[str]:
    """Requirement IDs named by the suite's collected test items (plugin's view), collected in
    this process as ``conformance run`` collects (plain asserts)."""
    grab = _Grab()
    args = ["--collect-only", "-p", "no:terminal", "--assert=plain", "--pyargs"]
    args += ["conformance.suites", "-c", str(SUITES_DIR / "pytest.ini")]
    args += ["--rootdir", str(SUITES_DIR)]
    assert pytest.main(args, plugins=[grab]) == 0
    return Counter(grab.ids)


def test_catalogue_loads_without_duplicates() -> None:
    assert catalogue.load_all()


def _judged_requirements() -> set[str]:
    """Requirements a spec names (x-requirement): the contract judge checks every exchange."""
    from conformance import spec

    named: set[str] = set()
    for api in catalogue.API_NAMES:
        for operation in spec.operations(api):
            named.add(operation.requirement or "")
            for response in operation.responses.values():
                named.add(response.requirement or "")
                for media in response.content.values():
                    named |= {media.requirement or "", *media.requirement_paths.values()}
    return named - {""}


def test_every_requirement_has_a_test(collected_requirements: Counter[str]) -> None:
    """A suite test names it, or a spec does (then every exchange of its operation checks it)."""
    tested = set(collected_requirements) | _judged_requirements()
    untested = [
        requirement.id
        for requirement in catalogue.load_all().values()
        if not requirement.untested and requirement.id not in tested
    ]
    assert untested == []


def test_every_test_names_a_known_requirement(collected_requirements: Counter[str]) -> None:
    unknown = set(collected_requirements) - set(catalogue.load_all())
    assert unknown == set()


def test_every_source_names_a_vendor_page_and_a_quote() -> None:
    for requirement in catalogue.load_all().values():
        assert requirement.page in VENDOR_PAGES, requirement.id
        assert len(requirement.quote) >= 10, requirement.id


def test_every_requirement_id_starts_with_its_api() -> None:
    for requirement in catalogue.load_all().values():
        prefix = registry.profile(requirement.api).id_prefix
        assert requirement.id.startswith(prefix), requirement.id


def test_cases_load_and_name_schemas_that_exist() -> None:
    for case in load_cases():
        for key in ("xml_schema", "json_schema"):
            if key in case.expect:
                assert (SCHEMAS_DIR / case.expect[key]).is_file(), case.id


def test_case_descriptions_are_unique_per_requirement() -> None:
    keys = Counter((case.requirement, case.description) for case in load_cases())
    assert [key for key, count in keys.items() if count > 1] == []


def test_every_fault_breaks_a_catalogued_requirement_of_its_api() -> None:
    known = catalogue.load_all()
    for api, fault in all_faults():
        assert known[fault.requirement].api == api, fault.name


def test_requirement_quotes_are_verbatim_in_vendor_pages() -> None:
    """Docs drift: a quote that no longer appears in its page is a changed requirement."""
    from tests.helpers import shared_dir

    docs = shared_dir() / "vendor-docs"
    if not docs.is_dir():
        pytest.skip(f"vendor docs not found at {docs}")
    pages = {
        path.relative_to(docs).as_posix(): path.read_text(encoding="utf-8")
        for path in docs.glob("**/*.md")
    }
    squash = " ".join
    for requirement in catalogue.load_all().values():
        page = squash(pages[requirement.page].split())
        quote = squash(requirement.quote.replace("...", "\0").split())
        for fragment in quote.split("\0"):
            assert fragment.strip() in page, f"{requirement.id}: {fragment.strip()!r}"


def test_every_case_promises_a_status() -> None:
    """The case schema holds for every file (load_cases checks it) and rejects a case that
    could pass on any answer."""
    from conformance.suites.cases import CaseError, check_case_file

    assert all(case.expect.get("status") for case in load_cases())
    case = {"requirement": "BIGFIX-AUTH-401", "description": "d", "method": "GET", "path": "/x"}
    for broken, message in (
        (case, "'expect' is a required property"),
        ({**case, "expect": {}}, "'status' is a required property"),
        ({**case, "expect": {"content_type": "text/plain"}}, "'status' is a required property"),
        ({**case, "expect": {"status": 200, "stauts": 1}}, "'stauts' was unexpected"),
    ):
        with pytest.raises(CaseError, match=f"f.toml case #1: .*{message}"):
            check_case_file({"case": [broken]}, "f.toml")


def test_a_suite_test_without_a_requirement_fails_the_run_at_collection(tmp_path: Path) -> None:
    test_file = tmp_path / "test_unmarked.py"
    test_file.write_text("def test_checks_nothing_named():\n    assert True\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(test_file),
        "-p",
        "no:cacheprovider",
        "--conformance-report-dir",
        str(tmp_path / "report"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode != 0
    assert "test_unmarked.py::test_checks_nothing_named names no requirement" in (
        done.stdout + done.stderr
    )
