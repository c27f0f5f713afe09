"""The pytest plugin: options, fixtures, requirement bookkeeping and the report.

Active only when the suite runs (``pytest --pyargs conformance.suites`` or ``conformance run``);
in any other pytest session it adds its options and stays out of the way.
"""

from __future__ import annotations

import _thread
import contextlib
import importlib
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from hypothesis import settings

from conformance import __version__, bundled, catalogue, profiles, registry, versions
from conformance.auth import (
    authorization_for,
    curl_auth_for,
    restricted_authorization_for,
    restricted_keys,
)
from conformance.budget import CLEANUP, JOURNAL_NAME, MutationBudget, totals
from conformance.contract import Judge, Judgement, coverage_record, judged_properties
from conformance.errors import EXIT_INTERNAL, EXIT_UNREACHABLE, ConformanceError
from conformance.http import ApiClient, Breaker, NoResponse, RateLimiter, RunDeadlineReached
from conformance.ledger import CleanupResult, Entry, Ledger, remove_entries, summarise_ledgers
from conformance.outcomes import Untested
from conformance.redact import Redactor
from conformance.report import prepare_report_dir, write_report_dir
from conformance.report.har import HarRecorder, remove_parts
from conformance.report.model import target_record
from conformance.runconfig import FLAGS, RunConfig, options_of
from conformance.selection import not_selected_record
from conformance.target import Target
from conformance.verdict import (
    SPEC_DRAWN_ONLY,
    CaseResult,
    grade,
    notes_of,
    summarise,
    weak_reason,
)

if TYPE_CHECKING:
    from conformance.catalogue import Requirement

PROPERTY_KEY = "actionconform"
_STATE_KEY = pytest.StashKey["RunState"]()
_SERVED_KEY = pytest.StashKey[dict[str, int]]()
EXIT_BY_VERDICT = {"conformant": 0, "non-conformant": 1, "not-assessed": EXIT_UNREACHABLE}


def _add(group: pytest.OptionGroup, *names: str, **kwargs: Any) -> None:
    # Another plugin (e.g. pytest-base-url) may own the name: then share its value.
    with contextlib.suppress(ValueError):
        group.addoption(*names, **kwargs)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from conformance import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    """The run flags (``conformance.runconfig.FLAGS``) under their pytest spellings."""
    group = parser.getgroup("actionconform", "actionconform conformance suite")
    for flag in FLAGS:
        if flag.pytest is not None:
            _add(group, flag.pytest, dest=flag.pytest_dest, **flag.options)


class RunPlugin:
    """What ``conformance run`` hands to pytest: the run's configuration, built once. After the
    session it holds the report and the run's state, from which the command prints the verdict.
    The hooks are this module's (the entry-point plugin); they find the object registered."""

    def __init__(self, run: RunConfig) -> None:
        self.run = run
        self.report: dict[str, Any] | None = None
        self.state: RunState | None = None


def _holder(config: pytest.Config) -> RunPlugin | None:
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, RunPlugin):
            return plugin
    return None


_WIRE_KEY = "actionconform_run"


def _run_config(config: pytest.Config) -> RunConfig | None:
    """The run: the object ``conformance run`` registered, the controller's (in an xdist
    worker), or, for ``pytest --pyargs conformance.suites``, pytest's options mapped into it."""
    holder = _holder(config)
    if holder is not None:
        return holder.run
    wire = getattr(config, "workerinput", {}).get(_WIRE_KEY)
    if wire is not None:
        return RunConfig.from_wire(wire)
    if not _suite_mode(config):
        return None
    run = RunConfig.from_options(options_of(config.getoption))
    run.start_clock()
    return run


def _suite_mode(config: pytest.Config) -> bool:
    if config.getoption("conformance_report_dir"):
        return True
    return any("conformance.suites" in arg or "conformance/suites" in arg for arg in config.args)


class RunState:
    """What one run knows: the target, expectations, clients and the results so far."""

    def __init__(self, config: pytest.Config, run: RunConfig) -> None:
        self.run = run
        self.target: Target = run.target
        self.selection = run.selection
        self.expectations = run.expectations
        self.strict: bool = run.strict
        self.profile: str = run.profile
        self.previous_profile: str | None = None  # Hypothesis' profile before the run
        self.report_dir: str | None = run.report_dir
        if self.report_dir and not hasattr(config, "workerinput"):
            prepare_report_dir(self.report_dir)
        self.is_controller = not hasattr(config, "workerinput")
        self.redactor = self.target.redactor()
        self.requirements = catalogue.for_apis(self.target.apis)
        self.selection.check(self.requirements, self.target.apis)
        self.selected = {r.id for r in self.requirements if self.selection.selects(r)}
        # Requirement finished: every test serving it reported its teardown (live hooks).
        self.served_done: dict[str, set[str]] = {}
        self.finished: dict[str, str] = {}  # requirement id -> the status announced
        self.known = catalogue.load_all()
        self.results: dict[str, CaseResult] = {}
        # The contract judge: judgements of the current test phase, and statuses seen.
        self.judgements: list[Judgement] = []
        self.seen: dict[str, dict[str, set[int]]] = {}
        self.collect_errors = 0
        self.collect_error_texts: list[str] = []  # printed by `conformance run` (no terminal)
        self.started_at = _now()
        self._clients: dict[str, ApiClient] = {}
        self._breakers: dict[str, Breaker] = {}
        workerinput: dict[str, Any] = getattr(config, "workerinput", {})
        # --max-rps is for the whole run: each of N xdist workers gets 1/N of it.
        self.rate_limiter: RateLimiter | None = None
        if self.target.max_rps:
            share = int(workerinput.get("workercount", 1) or 1)
            self.rate_limiter = RateLimiter(self.target.max_rps / share)
        # The run deadline, as time.monotonic() of this process (workers inherit the epoch).
        self.deadline: float | None = None
        self.deadline_seconds: float | None = run.deadline
        if run.ends_at is not None:
            self.deadline = time.monotonic() + (run.ends_at - time.time())
        self.stop_reason: str | None = None
        self.backstop: threading.Timer | None = None
        self.session: pytest.Session | None = None
        self.cleanup_result: CleanupResult | None = None
        # One ledger per process: an xdist worker removes only what it created itself.
        # One directory for the run: every worker writes its own ledger file there (no lock, a
        # torn line stays in one file) and the one mutation journal (under a file lock).
        ledger_dir = (
            self.report_dir
            or workerinput.get("actionconform_ledger_dir")
            or tempfile.mkdtemp(prefix="actionconform-")
        )
        self.ledger_dir = str(ledger_dir)
        # (config.workerinput, not the environment: a subprocess inherits the environment.)
        worker = str(workerinput.get("workerid", "main"))
        journal = Path(ledger_dir) / JOURNAL_NAME
        if self.is_controller:
            journal.unlink(missing_ok=True)  # a report directory used before: a fresh count
        self.budget = MutationBudget(
            {rid: requirement.mutations for rid, requirement in self.known.items()},
            journal=journal,
            enforce=not self.target.bundled,
        )
        self.cleanup_budget = MutationBudget({}, journal=journal, scope=CLEANUP)
        self.ledger = Ledger(
            Path(ledger_dir) / f"ledger-{worker}.jsonl",
            redactor=self.redactor,
            base_url_for=self.known_base_url,
        )
        # Every exchange of this process, for exchanges.har (merged by the controller).
        self.recorder: HarRecorder | None = None
        if self.report_dir:
            if self.is_controller:  # workers start later: only an earlier run's parts exist
                remove_parts(Path(self.report_dir), ".exchanges-main.jsonl")
                remove_parts(Path(self.report_dir), ".exchanges-gw*.jsonl")
            part = Path(self.report_dir) / f".exchanges-{worker}.jsonl"
            self.recorder = HarRecorder(part, self.redactor)
        self.durations: dict[str, float] = {}  # seconds per test node ID (all phases)

    def base_url(self, api: str) -> str:
        if self.target.base_url:
            return self.target.base_url
        url = bundled.bundled_url(api, self.target.vendor_version)
        if url is None:
            pytest.skip(f"no bundled reference server for {api} yet; pass --base-url")
        return url

    def known_base_url(self, api: str) -> str | None:
        if self.target.base_url:
            return self.target.base_url
        return bundled.bundled_url(api, self.target.vendor_version)

    def new_client(self, api: str, base_url: str, *, for_cleanup: bool = False) -> ApiClient:
        # One breaker per server for the tests; cleanup gets a fresh one, so a server that
        # stopped answering is still asked to remove what the run created.
        breaker = Breaker() if for_cleanup else self._breakers.setdefault(base_url, Breaker())
        client = ApiClient(
            base_url,
            authorization=authorization_for(api, self.target),
            curl_auth=curl_auth_for(api, self.target),
            redactor=self.redactor,
            timeout=self.target.timeout,
            verify=self.target.verify(),
            max_response_bytes=self.target.max_response_bytes,
            allow_mutations=self.target.allow_mutations or self.target.bundled or for_cleanup,
            rate_limiter=self.rate_limiter,
            deadline=None if for_cleanup else self.deadline,
            breaker=breaker,
            recorder=self.recorder.record if self.recorder is not None else None,
            network=self.target.network,
            budget=self.cleanup_budget if for_cleanup else self.budget,
        )
        if not for_cleanup:  # every exchange a test makes is judged against the spec
            judge = Judge(api, base_url, self._judged, self.target.vendor_version)
            client.observers.append(judge)
        return client

    def _judged(self, judgement: Judgement) -> None:
        """The judge's sink: keep the judgement; its exchange names what was judged (HAR)."""
        self.judgements.append(judgement)
        judged = {finding.requirement for finding in judgement.findings}
        judgement.exchange.judged = sorted(judged | set(judgement.exchange.judged))

    def client(self, api: str) -> ApiClient:
        if api not in self._clients:
            self._clients[api] = self.new_client(api, self.base_url(api))
        return self._clients[api]

    def cleanup(self) -> CleanupResult:
        """Remove every object this process created and has not removed.

        Fresh clients: the run deadline and a tripped "server stopped answering" do not stop
        the removal of what the run created.
        """
        clients: dict[tuple[str, str], ApiClient] = {}

        def client_for(entry: Entry) -> ApiClient | str:
            base_url = entry.base_url or self.known_base_url(entry.api)
            if base_url is None:
                return "no server to send the removal to"
            key = (entry.api, base_url)
            if key not in clients:
                clients[key] = self.new_client(entry.api, base_url, for_cleanup=True)
            return clients[key]

        result = remove_entries([self.ledger], client_for)
        self.cleanup_result = result
        return result

    def leftovers(self) -> dict[str, Any] | None:
        """The cleanup state of every ledger of this run (all workers), for the report."""
        record = summarise_ledgers(self.ledger.path.parent)
        interrupted = self.cleanup_result is not None and self.cleanup_result.interrupted
        if record is not None and interrupted:
            record["interrupted"] = True
        return record

    def record_for(
        self,
        requirement: Requirement,
        cases: list[CaseResult] | None = None,
        stop_reason: str | None = None,
    ) -> dict[str, Any]:
        """The report record of one requirement from the results so far.

        ``cases`` defaults to every result of the run: other cases' judged exchanges count too.
        """
        if requirement.id not in self.selected:
            return not_selected_record(requirement)
        results = list(self.results.values()) if cases is None else cases
        (record,) = grade([requirement], results, self.expectations, stop_reason=stop_reason)
        return record

    def report(self, complete: bool, finished: bool) -> dict[str, Any]:
        stop_reason = None
        if not complete:
            stop_reason = self.stop_reason or (
                "interrupted" if finished else "the run has not finished (or was killed)"
            )
        results = list(self.results.values())
        graded = grade(self.requirements, results, self.expectations, stop_reason=stop_reason)
        records = [
            record if requirement.id in self.selected else not_selected_record(requirement)
            for requirement, record in zip(self.requirements, graded, strict=True)
        ]
        by_requirement: dict[str, list[CaseResult]] = {}
        for result in results:
            for requirement_id in result.requirements:
                by_requirement.setdefault(requirement_id, []).append(result)
        for record in records:
            cases = by_requirement.get(record["id"], [])
            seconds = sum(self.durations.get(case.nodeid, 0.0) for case in cases)
            record["duration"] = round(seconds, 3)
        target = self.target
        note_version_bound(self.requirements, records, target.vendor_version)
        report: dict[str, Any] = {
            "format": "actionconform-report/1",
            "tool_version": __version__,
            "target": target_record(target),
            "apis": target.apis,
            "selection": self.selection.as_dict(),
            "started_at": self.started_at,
            "finished_at": _now() if finished else None,
            "complete": complete,
            "summary": summarise(
                self.requirements,
                records,
                self.strict,
                self.target.vendor_version,
                complete=complete,
            ),
            "requirements": records,
            "coverage": coverage_record(target.apis, self.seen, target.vendor_version),
        }
        report["mutations"] = self.mutations()
        if stop_reason is not None:
            report["stop_reason"] = stop_reason
        if finished and self.report_dir:
            leftovers = self.leftovers()
            if leftovers is not None:
                report["cleanup"] = leftovers
        return report

    def announce(self, requirement: Requirement, record: dict[str, Any] | None = None) -> None:
        """Call the requirement-finished hook once per requirement (controller only); at the
        end once more, marked ``revised``, for one whose status changed after it finished
        (other tests' exchanges judged against the spec can still fail it)."""
        if self.session is None:
            return
        announced = self.finished.get(requirement.id)
        if announced is not None and record is None:
            return
        record = record if record is not None else self.record_for(requirement)
        if announced is not None:
            if announced == record["status"]:
                return
            record = {**record, "revised": True}
        self.finished[requirement.id] = record["status"]
        hook = self.session.config.hook
        hook.pytest_actionconform_requirement_finished(
            config=self.session.config, record=self.redactor.tree(record)
        )

    def announce_start(self) -> None:
        assert self.session is not None
        per_api: dict[str, int] = {api: 0 for api in self.target.apis}
        for requirement in self.requirements:
            if requirement.id in self.selected:
                per_api[requirement.api] += 1
        run = {
            "tool_version": __version__,
            "target": self.target.base_url or "bundled reference servers",
            "apis": list(self.target.apis),
            "selection": self.selection.as_dict(),
            "requirements": per_api,
            "total": sum(per_api.values()),
        }
        config = self.session.config
        config.hook.pytest_actionconform_run_started(config=config, run=self.redactor.tree(run))
        for requirement in self.requirements:
            if requirement.id not in self.selected:
                self.announce(requirement)

    def announce_end(self, report: dict[str, Any]) -> None:
        if self.session is None:
            return
        by_id = {record["id"]: record for record in report["requirements"]}
        for requirement in self.requirements:
            self.announce(requirement, by_id[requirement.id])
        config = self.session.config
        config.hook.pytest_actionconform_run_finished(
            config=config, report=self.redactor.tree(report), report_dir=self.report_dir
        )

    def mutations(self) -> dict[str, Any]:
        """What servers were sent that they act on, against the budgets (all workers).

        ``sent``: POST/PUT/PATCH/DELETE requests sent; ``acted``: those a server acted on (2xx,
        or no answer); ``kept_back``: requests the budget did not send; ``budget``: the most a
        server can be made to act on by this selection (the sum of the budgets); ``cleanup``:
        the end-of-run removals of what the run created (one per ledger entry at most).
        """
        counts = self.budget.counts()
        selected = self.selected
        by_api: dict[str, dict[str, int]] = {}
        for requirement in self.requirements:
            if requirement.id not in self.selected:
                continue
            record = counts.get(requirement.id, {"budget": requirement.mutations})
            api = by_api.setdefault(
                requirement.api, {"sent": 0, "acted": 0, "kept_back": 0, "budget": 0}
            )
            for key in api:
                api[key] += int(record.get(key, 0))
        cleanup = counts.pop(CLEANUP, {"sent": 0, "acted": 0})
        outside = {key: value for key, value in counts.items() if key not in selected}
        result: dict[str, Any] = dict(totals(by_api))
        result["apis"] = by_api
        # Removals of what the run created, by the end-of-run cleanup: one per ledger entry.
        result["cleanup"] = {"sent": cleanup["sent"], "acted": cleanup["acted"]}
        result["requirements"] = {key: counts[key] for key in sorted(counts) if key in selected}
        if outside:
            result["outside_requirements"] = outside
        return result

    def stop(self, session: pytest.Session, reason: str) -> None:
        """Stop the run after the current test: the report says why and is incomplete."""
        if self.stop_reason is None:
            self.stop_reason = reason
        session.shouldstop = reason

    def write(self, complete: bool, finished: bool) -> dict[str, Any]:
        report = self.report(complete, finished)
        if self.report_dir and self.is_controller:
            # Redact values here, keys never: the writer's own pass over the serialised text
            # then only strips SecureParameter contents (a short password cannot break keys).
            write_report_dir(self.report_dir, self.redactor.tree(report), Redactor())
        return report


def note_version_bound(
    requirements: list[Requirement], records: list[dict[str, Any]], version: str | None = None
) -> None:
    """Version-bound requirements: with a version, one outside its range is skipped as not
    applicable (whatever judged it); without one, a failure says why it does not gate."""
    for requirement, record in zip(requirements, records, strict=True):
        span = versions.describe(requirement.since, requirement.until)
        if not span:
            continue
        if version is not None and not versions.applies(
            requirement.since, requirement.until, version
        ):
            record.update(status="skipped", evidence=[])
            record["reason"] = f"not applicable to vendor version {version} (holds {span})"
        elif version is None and record["status"] == "failed" and "reason" not in record:
            record["reason"] = (
                f"holds {span} only: without --vendor-version this failure does not gate"
            )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state_of(config: pytest.Config) -> RunState | None:
    return config.stash.get(_STATE_KEY, None)


def run_apis(config: pytest.Config) -> tuple[str, ...]:
    """The APIs the run assesses, in registry order (every API outside a run): a test module
    parametrizes only these, rather than load every API's data for the rest to be deselected."""
    state = state_of(config)
    names = registry.names()
    return names if state is None else tuple(name for name in names if name in state.target.apis)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(id): the catalogue requirement a test checks")
    config.addinivalue_line(
        "markers",
        "spec_drawn: schemathesis draws the requests; the test's own pass is no evidence, only "
        "what the judges find on its exchanges counts",
    )
    try:
        run = _run_config(config)
        if run is None:
            return
        state = RunState(config, run)
    except ConformanceError as exc:
        pytest.exit(str(exc), returncode=exc.exit_code)
    config.stash[_STATE_KEY] = state
    if (
        config.pluginmanager.is_blocked("terminal")
        and getattr(config.option, "tbstyle", None) is None
    ):
        # Nobody prints a traceback (`conformance run`): the report keeps a failure's crash line
        # only (_failure_text). pytest's default style would parse each failing test's source
        # file to lay one out (most of a run's CPU when every test fails); native does not.
        config.option.tbstyle = "native"
    state.previous_profile = profiles.load_profile(state.profile)
    from_cli = state.run.preflight_done
    if not state.is_controller:
        return
    events_file = state.run.events
    if events_file:
        from conformance.events import EventWriter, open_events

        try:
            stream = open_events(events_file)
        except ConformanceError as exc:
            pytest.exit(str(exc), returncode=exc.exit_code)
        config.pluginmanager.register(EventWriter(stream), "actionconform-events")
    if state.target.insecure and not from_cli:
        sys.stderr.write("warning: TLS certificate verification is off (--insecure)\n")
    if state.target.base_url and not from_cli:  # `conformance run` has probed already
        from conformance.preflight import preflight, preflight_or_report

        try:
            if state.report_dir:
                preflight_or_report(
                    state.target,
                    state.report_dir,
                    rate_limiter=state.rate_limiter,
                    selection=state.selection,
                    events=events_file,
                )
            else:
                preflight(state.target, rate_limiter=state.rate_limiter)
        except ConformanceError as exc:
            pytest.exit(str(exc), returncode=exc.exit_code)
    if state.deadline_seconds is not None:
        _start_backstop(state)


def _start_backstop(state: RunState) -> None:
    """If the run is still going well past its deadline, interrupt it like Ctrl-C would.

    Requests end at the deadline by themselves; this catches anything else (a test that
    sleeps, a bug). The interrupted run still cleans up and writes its partial report.
    """
    assert state.deadline is not None
    grace = 2 * state.target.timeout + 5

    def interrupt() -> None:
        if state.stop_reason is None:
            state.stop_reason = _deadline_reason(state)
        _thread.interrupt_main()

    delay = max(0.0, state.deadline - time.monotonic()) + grace
    timer = threading.Timer(delay, interrupt)
    timer.daemon = True
    timer.start()
    state.backstop = timer


def _deadline_reason(state: RunState) -> str:
    return "the run deadline (--deadline) was reached"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: each worker gets the controller's run configuration and shares its ledger
    directory (ledgers and the mutation journal)."""

    state = state_of(node.config)
    if state is not None:
        node.workerinput[_WIRE_KEY] = state.run.to_wire()
        node.workerinput["actionconform_ledger_dir"] = state.ledger_dir


def pytest_unconfigure(config: pytest.Config) -> None:
    state = state_of(config)
    if state is not None and state.backstop is not None:
        state.backstop.cancel()
    if state is not None and state.previous_profile is not None:
        settings.load_profile(state.previous_profile)  # as the run found Hypothesis
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
        if not ids:  # it would pass or fail nothing: a suite test always names what it checks
            raise pytest.UsageError(
                f"{item.nodeid} names no requirement: mark it @pytest.mark.requirement(ID)"
            )
        if state.known[ids[0]].api not in state.target.apis:
            deselected.append(item)
            continue
        version = state.target.vendor_version
        if not any(rid in state.selected for rid in ids):
            deselected.append(item)  # serves no selected requirement: not run
            continue
        for rid in ids:
            requirement = state.known[rid]
            if not versions.applies(requirement.since, requirement.until, version):
                span = versions.describe(requirement.since, requirement.until)
                reason = f"not applicable to vendor version {version} (holds {span})"
                item.add_marker(pytest.mark.skip(reason=reason))
            expectation = state.expectations.get(rid)
            if expectation and expectation.status in ("failed", "flaky"):
                item.add_marker(pytest.mark.xfail(reason=expectation.reason, strict=False))
        selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected
    # One Hypothesis setting for every property test, whatever it declared for itself.
    profiles.apply((item.obj for item in items if isinstance(item, pytest.Function)), state.profile)
    served: dict[str, int] = {}
    for item in selected:
        for rid in set(requirement_ids(item)):
            served[rid] = served.get(rid, 0) + 1
    for item in selected:
        item.stash[_SERVED_KEY] = {rid: served[rid] for rid in set(requirement_ids(item))}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Requests from here to the next test count against this test's requirement budget."""
    state = state_of(item.config)
    if state is not None:
        ids = requirement_ids(item)
        state.budget.enter(ids[0] if ids else None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    ids = requirement_ids(item)
    if ids:
        evidence: list[dict[str, Any]] = []
        untested: str | None = None
        if call.excinfo is not None:
            error = call.excinfo.value
            if isinstance(error, Untested):
                untested = str(error.msg)
            elif isinstance(error, NoResponse) and error.kind == "unresponsive":
                untested = error.message  # "not sent: the server stopped answering ..."
            elif hasattr(error, "evidence"):
                evidence.append(error.evidence())
            elif isinstance(error, NoResponse):
                evidence.append({"message": f"no usable response: {error}"})
            state = state_of(item.config)
            if isinstance(error, NoResponse) and error.stop_run and state is not None:
                state.stop(item.session, error.stop_run)
        properties = {
            "requirements": ids,
            "evidence": evidence,
            "untested": untested,
            "served": item.stash.get(_SERVED_KEY, {}),
        }
        if item.get_closest_marker("spec_drawn") is not None:
            properties["no_evidence"] = SPEC_DRAWN_ONLY
        state = state_of(item.config)
        if state is not None and state.judgements:
            own = getattr(call.excinfo.value, "exchange", None) if call.excinfo else None
            properties.update(judged_properties(state.judgements, own))
            state.judgements.clear()
        report.user_properties.append((PROPERTY_KEY, properties))
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Exchanges sent while a test runs (setup to teardown) belong to its requirements."""
    state = _RUN_STATE
    recorder = state.recorder if state is not None else None
    if recorder is not None:
        recorder.attribute(requirement_ids(item), item.nodeid)
    try:
        return (yield)
    finally:
        if recorder is not None:
            recorder.attribute([], None)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    properties = cast("dict[str, Any] | None", dict(report.user_properties).get(PROPERTY_KEY))
    if properties is None or _LOG_STATE is None:
        return
    state = _LOG_STATE
    result = state.results.setdefault(
        report.nodeid, CaseResult(report.nodeid, list(properties["requirements"]))
    )
    state.durations[report.nodeid] = state.durations.get(report.nodeid, 0.0) + report.duration
    record_seen(state, properties)
    outcome = report.outcome
    if hasattr(report, "wasxfail"):
        outcome = "failed" if report.skipped else "passed"
    reason = ""
    if outcome == "failed":
        reason = _failure_text(report)
    elif outcome == "skipped":
        reason = _skip_reason(report)
    result.record(
        report.when,
        outcome,
        evidence=properties["evidence"],
        reason=reason,
        untested=properties.get("untested"),
        weak=weak_reason(report.user_properties),
        notes=notes_of(report.user_properties),
        judged=properties.get("judged"),
        no_evidence=properties.get("no_evidence"),
    )
    if report.when == "teardown":
        _test_finished(state, report.nodeid, properties)


def _test_finished(state: RunState, nodeid: str, properties: dict[str, Any]) -> None:
    """Count one test as done for each requirement it serves; announce the finished ones."""
    served: dict[str, int] = properties.get("served") or {}
    for rid in properties["requirements"]:
        if rid not in state.selected or rid in state.finished or rid not in served:
            continue
        done = state.served_done.setdefault(rid, set())
        done.add(nodeid)
        if len(done) >= served[rid]:
            state.announce(state.known[rid])


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    state = _RUN_STATE
    if state is not None and isinstance(excinfo.value, RunDeadlineReached):
        state.stop_reason = state.stop_reason or _deadline_reason(state)


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    state = _RUN_STATE
    if state is None or state.deadline is None or state.session is None:
        return
    if time.monotonic() >= state.deadline:
        state.stop(state.session, _deadline_reason(state))


def record_seen(state: RunState, properties: dict[str, Any]) -> None:
    """The statuses the judge saw per operation (any worker's), for report["coverage"]."""
    for api, operations in properties.get("seen", {}).items():
        for name, statuses in operations.items():
            state.seen.setdefault(api, {}).setdefault(name, set()).update(statuses)


def _failure_text(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", None) or str(report.longrepr).splitlines()[-1:]
    return f"{report.when} failed: {message}" if isinstance(message, str) else str(message)


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr or "")


_LOG_STATE: RunState | None = None
_RUN_STATE: RunState | None = None  # the state of this process's run (controller or worker)


def pytest_sessionstart(session: pytest.Session) -> None:
    global _LOG_STATE, _RUN_STATE
    state = state_of(session.config)
    if state is None or session.config.option.collectonly:
        return
    state.session = session
    _RUN_STATE = state
    if not state.is_controller:
        return
    _LOG_STATE = state
    state.write(complete=False, finished=False)
    state.announce_start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _LOG_STATE, _RUN_STATE
    state = state_of(session.config)
    if state is None or session.config.option.collectonly:
        return
    _RUN_STATE = None
    if state.backstop is not None:
        state.backstop.cancel()
    deadline_passed = state.deadline is not None and time.monotonic() >= state.deadline - 0.5
    if exitstatus == pytest.ExitCode.INTERRUPTED and deadline_passed and not state.stop_reason:
        state.stop_reason = _deadline_reason(state)  # e.g. a worker stopped at the deadline
    state.cleanup()  # what is left is in the report (all workers' ledgers) and the summary
    if not state.is_controller:
        return
    _LOG_STATE = None
    broken = state.collect_errors > 0 or exitstatus in (
        pytest.ExitCode.INTERNAL_ERROR,
        pytest.ExitCode.USAGE_ERROR,
    )
    stopped = not broken and state.stop_reason is not None
    interrupted = not broken and not stopped and exitstatus == pytest.ExitCode.INTERRUPTED
    if broken and state.stop_reason is None:
        state.stop_reason = "internal error of the suite (see the output above)"
    report = state.write(complete=not (interrupted or broken or stopped), finished=True)
    session.config.stash[_REPORT_KEY] = report
    holder = _holder(session.config)
    if holder is not None:
        holder.report, holder.state = report, state
    state.announce_end(report)
    if broken:
        session.exitstatus = EXIT_INTERNAL
    elif stopped:
        # A partial run proves no conformance: non-conformant if a failure is already
        # certain, otherwise "could not assess".
        verdict = report["summary"]["verdict"]
        session.exitstatus = 1 if verdict == "non-conformant" else EXIT_UNREACHABLE
    elif not interrupted:
        session.exitstatus = EXIT_BY_VERDICT[report["summary"]["verdict"]]


_REPORT_KEY = pytest.StashKey[dict[str, Any]]()


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if report.failed and _LOG_STATE is not None:
        _LOG_STATE.collect_errors += 1
        _LOG_STATE.collect_error_texts.append(
            f"error collecting {report.nodeid}:\n{report.longreprtext}"
        )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    report = config.stash.get(_REPORT_KEY, None)
    state = state_of(config)
    if report is None or state is None:
        return
    summary = report["summary"]
    weak = f" ({summary['weak_passes']} weak)" if summary.get("weak_passes") else ""
    line = (
        f"actionconform: {summary['verdict']} - {summary['passed']} passed{weak}, "
        f"{summary['failed']} failed, {summary['expected_failures']} expected failures, "
        f"{summary['skipped']} skipped, {summary['untested']} untested"
    )
    terminalreporter.write_line(line)
    if state.cleanup_result is not None:
        for text in state.cleanup_result.lines():
            terminalreporter.write_line(f"actionconform cleanup: {state.redactor.text(text)}")
        if not state.cleanup_result.clean:
            terminalreporter.write_line(f"finish with: conformance cleanup {state.ledger.path}")
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
def vendor_version(target: Target) -> str | None:
    """The vendor version judged by (``--vendor-version``), or None: any documented one."""
    return target.vendor_version


@pytest.fixture(scope="session")
def api_client(conformance_state: RunState) -> Callable[[str], ApiClient]:
    """``api_client(name)``: the client for one API's server."""
    return conformance_state.client


@pytest.fixture(scope="session")
def restricted_authorization(target: Target) -> Callable[[str], str]:
    """``restricted_authorization(api)``: the header of the target's restricted credentials
    (valid, without the actions' permission); skips naming the keys when the target has none."""

    def header(api: str) -> str:
        value = restricted_authorization_for(api, target)
        if value is None:
            pytest.skip(f"needs a restricted user: set {restricted_keys(api)}")
        return value

    return header


@pytest.fixture(scope="session")
def ledger(conformance_state: RunState) -> Ledger:
    """Record objects before creating them; the run removes them at the end."""
    return conformance_state.ledger


@pytest.fixture(scope="session")
def fixtures(conformance_state: RunState) -> dict[str, Any]:
    """The target file's [fixtures]; a bundled run adds the reference servers' own."""
    state = conformance_state
    if state.target.bundled:
        offered = bundled.bundled_fixtures(state.target.apis, state.target.vendor_version)
        return {**offered, **state.target.fixtures}
    return state.target.fixtures


@pytest.fixture(scope="session")
def api_context(
    api_client: Callable[[str], ApiClient], fixtures: dict[str, Any]
) -> Callable[[str], Mapping[str, str]]:
    """``api_context(api)``: the lazy values of ``conformance/suites/<api>/context.py``, made
    once per run (the generic case runner and the spec-derived tests share them)."""
    made: dict[str, Mapping[str, str]] = {}

    def context(api: str) -> Mapping[str, str]:
        if api not in made:
            module = importlib.import_module(f"{registry.profile(api).package}.context")
            made[api] = module.make_context(api_client(api), fixtures)
        return made[api]

    return context
