"""The pytest plugin: options, fixtures, requirement bookkeeping and the report.

Active only when the suite runs (``pytest --pyargs conformance.suites`` or ``conformance run``);
in any other pytest session it adds its options and stays out of the way.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest

from conformance import __version__, bundled, catalogue
from conformance.auth import authorization_for
from conformance.errors import EXIT_INTERNAL, EXIT_UNREACHABLE, ConformanceError
from conformance.expectations import load_expectations
from conformance.http import ApiClient, NoResponse
from conformance.ledger import Ledger
from conformance.profiles import load_profile
from conformance.redact import Redactor
from conformance.report import write_report_dir
from conformance.target import PROFILES, Target, build_target
from conformance.verdict import CaseResult, requirement_status, summarise

PROPERTY_KEY = "actionconform"
_STATE_KEY = pytest.StashKey["RunState"]()
EXIT_BY_VERDICT = {"conformant": 0, "non-conformant": 1, "not-assessed": EXIT_UNREACHABLE}


def _add(group: pytest.OptionGroup, *names: str, **kwargs: Any) -> None:
    # Another plugin (e.g. pytest-base-url) may own the name: then share its value.
    with contextlib.suppress(ValueError):
        group.addoption(*names, **kwargs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("actionconform", "actionconform conformance suite")
    _add(group, "--base-url", dest="base_url", default=None, help="server under test")
    group.addoption(
        "--conformance-api",
        dest="conformance_apis",
        action="append",
        choices=catalogue.API_NAMES,
        help="API to assess (repeatable); default all",
    )
    group.addoption("--conformance-config", dest="conformance_config", help="target file (TOML)")
    group.addoption("--conformance-user", dest="conformance_user", help="HTTP Basic user")
    group.addoption(
        "--conformance-password-env",
        dest="conformance_password_env",
        help="environment variable holding the password",
    )
    group.addoption(
        "--conformance-token-env",
        dest="conformance_token_env",
        help="environment variable holding the token",
    )
    group.addoption(
        "--allow-mutations",
        dest="conformance_allow_mutations",
        action="store_true",
        help="permit requests a conformant server would act on",
    )
    group.addoption(
        "--conformance-report-dir",
        dest="conformance_report_dir",
        help="write the report directory here",
    )
    group.addoption(
        "--conformance-timeout", dest="conformance_timeout", type=float, help="seconds per request"
    )
    group.addoption("--ca-bundle", dest="conformance_ca_bundle", help="CA bundle file")
    group.addoption(
        "--insecure",
        dest="conformance_insecure",
        action="store_true",
        help="do not verify TLS certificates",
    )
    group.addoption(
        "--expectations", dest="conformance_expectations", help="known deviations (TOML)"
    )
    group.addoption(
        "--conformance-profile",
        dest="conformance_profile",
        choices=PROFILES,
        default="fast",
        help="how hard property-based tests search",
    )
    group.addoption(
        "--conformance-strict",
        dest="conformance_strict",
        action="store_true",
        help="failed SHOULD requirements make the run non-conformant",
    )
    group.addoption(
        "--conformance-max-response-bytes",
        dest="conformance_max_response_bytes",
        type=int,
        help="largest response body read",
    )


def _suite_mode(config: pytest.Config) -> bool:
    if config.getoption("conformance_report_dir"):
        return True
    return any("conformance.suites" in arg or "conformance/suites" in arg for arg in config.args)


class RunState:
    """What one run knows: the target, expectations, clients and the results so far."""

    def __init__(self, config: pytest.Config) -> None:
        option = config.getoption
        self.target: Target = build_target(
            config=option("conformance_config"),
            apis=option("conformance_apis"),
            base_url=option("base_url"),
            username=option("conformance_user"),
            password_env=option("conformance_password_env"),
            token_env=option("conformance_token_env"),
            timeout=option("conformance_timeout"),
            ca_bundle=option("conformance_ca_bundle"),
            insecure=option("conformance_insecure"),
            allow_mutations=option("conformance_allow_mutations"),
            max_response_bytes=option("conformance_max_response_bytes"),
        )
        self.expectations = load_expectations(option("conformance_expectations"))
        self.strict: bool = option("conformance_strict")
        self.report_dir: str | None = option("conformance_report_dir")
        self.is_controller = not hasattr(config, "workerinput")
        self.redactor = Redactor()
        if self.target.username:
            self.redactor.add(self.target.password, self.target.username)
        self.redactor.add(self.target.token)
        self.requirements = catalogue.for_apis(self.target.apis)
        self.known = catalogue.load_all()
        self.results: dict[str, CaseResult] = {}
        self.collect_errors = 0
        self.started_at = _now()
        self._clients: dict[str, ApiClient] = {}
        # One ledger per process: an xdist worker removes only what it created itself.
        ledger_dir = self.report_dir or tempfile.mkdtemp(prefix="actionconform-")
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        self.ledger = Ledger(Path(ledger_dir) / f"ledger-{worker}.jsonl")

    def base_url(self, api: str) -> str:
        if self.target.base_url:
            return self.target.base_url
        url = bundled.bundled_url(api)
        if url is None:
            pytest.skip(f"no bundled reference server for {api} yet; pass --base-url")
        return url

    def client(self, api: str) -> ApiClient:
        if api not in self._clients:
            self._clients[api] = ApiClient(
                self.base_url(api),
                authorization=authorization_for(api, self.target),
                redactor=self.redactor,
                timeout=self.target.timeout,
                verify=self.target.verify(),
                max_response_bytes=self.target.max_response_bytes,
                allow_mutations=self.target.allow_mutations or self.target.bundled,
            )
        return self._clients[api]

    def cleanup(self) -> list[str]:
        """Remove every object this run created and has not removed; returns what is left."""
        left: list[str] = []
        for entry in self.ledger.open_entries():
            assert entry.method and entry.path
            try:
                response = self.client(entry.api).request(entry.method, entry.path)
            except NoResponse as exc:
                left.append(f"{entry.description}: {exc}")
                continue
            if response.status < 300 or response.status == 404:
                self.ledger.removed(entry)
            else:
                answer = f"{entry.method} {entry.path} -> {response.status}"
                left.append(f"{entry.description}: {answer}")
        return left

    def report(self, complete: bool, finished: bool) -> dict[str, Any]:
        by_requirement: dict[str, list[CaseResult]] = {}
        for result in self.results.values():
            for requirement_id in result.requirements:
                by_requirement.setdefault(requirement_id, []).append(result)
        records = [
            requirement_status(
                requirement,
                by_requirement.get(requirement.id, []),
                self.expectations.get(requirement.id),
            )
            for requirement in self.requirements
        ]
        target = self.target
        return {
            "format": "actionconform-report/1",
            "tool_version": __version__,
            "target": {
                "base_url": target.base_url or "bundled reference servers",
                "bundled": target.bundled,
                "allow_mutations": target.allow_mutations or target.bundled,
            },
            "apis": target.apis,
            "started_at": self.started_at,
            "finished_at": _now() if finished else None,
            "complete": complete,
            "summary": summarise(self.requirements, records, self.strict),
            "requirements": records,
        }

    def write(self, complete: bool, finished: bool) -> dict[str, Any]:
        report = self.report(complete, finished)
        if self.report_dir and self.is_controller:
            write_report_dir(self.report_dir, report, self.redactor)
        return report


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_of(config: pytest.Config) -> RunState | None:
    return config.stash.get(_STATE_KEY, None)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the catalogue requirement a test checks")
    if not _suite_mode(config):
        return
    try:
        state = RunState(config)
    except ConformanceError as exc:
        pytest.exit(str(exc), returncode=exc.exit_code)
    config.stash[_STATE_KEY] = state
    load_profile(config.getoption("conformance_profile"))
    if state.is_controller and state.target.base_url:
        from conformance.preflight import preflight

        try:
            preflight(state.target)
        except ConformanceError as exc:
            pytest.exit(str(exc), returncode=exc.exit_code)


def pytest_unconfigure(config: pytest.Config) -> None:
    bundled.stop_all()


def requirement_ids(item: pytest.Item) -> list[str]:
    return [mark.args[0] for mark in item.iter_markers("requirement")]


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = state_of(config)
    if state is None:
        return
    selected, deselected = [], []
    for item in items:
        ids = requirement_ids(item)
        unknown = [rid for rid in ids if rid not in state.known]
        if unknown:
            raise pytest.UsageError(f"{item.nodeid} names unknown requirement(s) {unknown}")
        if not ids or state.known[ids[0]].api not in state.target.apis:
            deselected.append(item)
            continue
        for rid in ids:
            expectation = state.expectations.get(rid)
            if expectation and expectation.status in ("failed", "flaky"):
                item.add_marker(pytest.mark.xfail(reason=expectation.reason, strict=False))
        selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    ids = requirement_ids(item)
    if ids:
        evidence: list[dict[str, Any]] = []
        if call.excinfo is not None:
            error = call.excinfo.value
            if hasattr(error, "evidence"):
                evidence.append(error.evidence())
            elif isinstance(error, NoResponse):
                evidence.append({"message": f"no usable response: {error}"})
        report.user_properties.append((PROPERTY_KEY, {"requirements": ids, "evidence": evidence}))
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    properties = cast("dict[str, Any] | None", dict(report.user_properties).get(PROPERTY_KEY))
    if properties is None or _LOG_STATE is None:
        return
    state = _LOG_STATE
    result = state.results.setdefault(
        report.nodeid, CaseResult(report.nodeid, list(properties["requirements"]), "passed")
    )
    outcome = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "failed" if report.skipped else "passed"
    if outcome == "failed":
        result.outcome = "failed"
        result.evidence.extend(properties["evidence"])
        if not result.evidence:
            result.reason = _failure_text(report)
            result.evidence.append({"message": result.reason})
    elif outcome == "skipped" and result.outcome != "failed" and report.when != "teardown":
        result.outcome = "skipped"
        result.reason = _skip_reason(report)


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) or str(report.longrepr).splitlines()[-1:]
    return f"{report.when} failed: {message}" if isinstance(message, str) else str(message)


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr or "")


_LOG_STATE: RunState | None = None


def pytest_sessionstart(session: pytest.Session) -> None:
    global _LOG_STATE
    state = state_of(session.config)
    if state is None or not state.is_controller or session.config.option.collectonly:
        return
    _LOG_STATE = state
    state.write(complete=False, finished=False)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _LOG_STATE
    state = state_of(session.config)
    if state is None or session.config.option.collectonly:
        return
    for problem in state.cleanup():
        sys.stderr.write(f"conformance: cleanup left an object behind: {problem}\n")
    if not state.is_controller:
        return
    _LOG_STATE = None
    broken = state.collect_errors > 0 or exitstatus in (
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.USAGE_ERROR,
    )
    interrupted = not broken and exitstatus == pytest.ExitCode.INTERRUPTED
    report = state.write(complete=not (interrupted or broken), finished=True)
    session.config.stash[_REPORT_KEY] = report
    if broken:
        session.exitstatus = EXIT_INTERNAL
    elif not interrupted:
        session.exitstatus = EXIT_BY_VERDICT[report["summary"]["verdict"]]


_REPORT_KEY = pytest.StashKey[dict[str, Any]]()


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed and _LOG_STATE is not None:
        _LOG_STATE.collect_errors += 1


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT_KEY, None)
    state = state_of(config)
    if report is None or state is None:
        return
    summary = report["summary"]
    line = (
        f"actionconform: {summary['verdict']} - {summary['passed']} passed, "
        f"{summary['failed']} failed, {summary['expected_failures']} expected failures, "
        f"{summary['skipped']} skipped, {summary['untested']} untested"
    )
    terminalreporter.write_line(line)
    if state.report_dir:
        terminalreporter.write_line(f"report: {Path(state.report_dir) / 'report.html'}")


# -- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def conformance_state(request: pytest.FixtureRequest) -> RunState:
    state = state_of(request.config)
    if state is None:
        pytest.skip("the conformance suite is not running (no suite mode)")
    return state


@pytest.fixture(scope="session")
def target(conformance_state: RunState) -> Target:
    return conformance_state.target


@pytest.fixture(scope="session")
def api_client(conformance_state: RunState) -> Callable[[str], ApiClient]:
    """``api_client("bigfix")``: the client for one API's server."""
    return conformance_state.client


@pytest.fixture(scope="session")
def ledger(conformance_state: RunState) -> Ledger:
    """Record objects before creating them; the run removes them at the end."""
    return conformance_state.ledger


@pytest.fixture(scope="session")
def fixtures(conformance_state: RunState) -> dict[str, Any]:
    """The target file's [fixtures] table."""
    return conformance_state.target.fixtures
