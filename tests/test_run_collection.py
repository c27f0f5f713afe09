"""What `conformance run` collects: the suite folders of the APIs it assesses, nothing from the
directory it was started in, and no other API's spec loaded only to be deselected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import idle, spec_properties
from conformance.errors import EXIT_INTERNAL
from conformance.paths import SUITES_DIR
from tests.helpers import run_in_process

BROKEN_CONFTEST = 'raise RuntimeError("a project conftest inside the conformance run")\n'


def test_a_run_ignores_the_conftest_files_where_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A project's own ./conftest.py and ./test*/conftest.py (its fixtures and hooks) stay out
    of the run: pytest would load them were the suites named as modules (--pyargs)."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "conftest.py").write_text(BROKEN_CONFTEST, encoding="utf-8")
    (project / "tests" / "conftest.py").write_text(BROKEN_CONFTEST, encoding="utf-8")
    monkeypatch.chdir(project)
    result = run_in_process(
        "run", "--api", "edgeiq", "--include", "EDGEIQ-AUTH-*", report_dir=tmp_path / "report"
    )
    assert result.code == 0, result.stdout + result.stderr
    statuses = {rid: s for rid, s in result.statuses().items() if rid.startswith("EDGEIQ-AUTH-")}
    assert statuses and set(statuses.values()) == {"passed"}, statuses


def test_a_run_loads_only_the_specs_and_cases_of_its_apis(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    original = spec_properties.load_schema

    def recording(api: str, bundled: bool = False) -> Any:
        loaded.append(api)
        return original(api, bundled)

    monkeypatch.setattr(spec_properties, "load_schema", recording)

    class Probe:
        def __init__(self) -> None:
            self.nodeids: list[str] = []

        def pytest_collection_finish(self, session: pytest.Session) -> None:
            self.nodeids = [item.nodeid for item in session.items]

    probe = Probe()
    args = [str(SUITES_DIR), "--conformance-api", "redis-enterprise", "--collect-only"]
    args += ["-c", str(SUITES_DIR / "pytest.ini"), "--rootdir", str(SUITES_DIR)]
    args += ["-p", "no:xdist", "-p", "no:terminal"]
    assert pytest.main(args, plugins=[probe]) == 0
    # Collecting loads no spec into schemathesis (spec_properties.planned): the run's own is
    # loaded in idle time or by its first spec-drawn test (conformance.idle).
    assert loaded == []
    assert "spec_properties.load_schema redis-enterprise" in idle.pending()
    drawn = [nodeid for nodeid in probe.nodeids if "test_operation_follows_its_spec" in nodeid]
    expected = {f"{op.id}-positive" for op in spec_properties.operations("redis-enterprise")}
    assert {nodeid.split("[", 1)[1].rstrip("]") for nodeid in drawn} >= expected
    assert all("[redis-enterprise:" in nodeid for nodeid in drawn)
    cases = [nodeid for nodeid in probe.nodeids if "test_documented_exchange" in nodeid]
    assert cases and all("[REDIS-" in nodeid for nodeid in cases)


def test_what_breaks_collection_is_printed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest's terminal is off in a run: the command itself prints the collection error that
    its "internal error of the suite (see the output above)" points to."""
    from conformance.suites import test_cases

    def unreadable(folders: tuple[str, ...] | None = None) -> tuple[Any, ...]:
        raise RuntimeError("the cases file is unreadable")

    monkeypatch.setattr(test_cases, "load_cases", unreadable)
    result = run_in_process(
        "run", "--api", "edgeiq", "--include", "EDGEIQ-AUTH-*", report_dir=tmp_path / "report"
    )
    assert result.code == EXIT_INTERNAL
    assert "error collecting test_cases.py" in result.stderr
    assert "RuntimeError: the cases file is unreadable" in result.stderr
    assert result.stderr.index("unreadable") < result.stderr.index("see the output above")
