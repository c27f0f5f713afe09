"""Fixtures for the suite's own tests."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conformance.servers import ReferenceApp, ReferenceServer, app_class
from tests.helpers import CliResult, run_against

# Files whose tests each take many seconds (whole runs as subprocesses, hostile servers, the
# schemathesis CLI, real-time waits): collected first, longest kinds first, so that under
# `pytest -n 4 --dist worksteal` none of them is left for the end while the other worker idles.
# Order within a file is kept (module fixtures stay together).
LONG_FIRST = (
    "test_reference_conformant.py",
    "test_schemathesis_cli.py",
    "test_safety_hostile.py",
    "test_report_outputs.py",
    "test_safety_tls.py",
    "test_target_file.py",
    "test_safety_crash.py",
    "test_safety_cleanup.py",
    "test_no_false_passes.py",
    "test_vendor_versions.py",
    "test_variants.py",
    "test_fault_injection.py",
)


def pytest_configure() -> None:
    """Let the interpreters this session starts (xdist workers, ``conformance`` and ``pytest``
    subprocesses: about a hundred) cache bytecode. Under ``PYTHONDONTWRITEBYTECODE``, as on
    the CI machine, each compiled the editable package again and each pytest re-rewrote the
    assertions of every module of the plugin distributions (schemathesis, ours): about 1.5 s
    of CPU per pytest process. Caching changes no behaviour (README: Speed)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: position for position, name in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(Path(str(item.fspath)).name, len(LONG_FIRST)))


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """``pytest -n 4`` hands tests out with work stealing unless ``--dist`` is given: an idle
    worker takes half of the other's queue (xdist's default never moves a test once sent, so
    a worker could be left alone with long ones)."""
    if any(arg.startswith("--dist") for arg in config.invocation_params.args):
        return None
    from xdist.scheduler import WorkStealingScheduling

    return WorkStealingScheduling(config, log)


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """``serve(api, fault=None)`` or ``serve(app)``: a reference server on loopback; its URL."""
    servers: list[ReferenceServer] = []

    def start(api: str | ReferenceApp, fault: str | None = None) -> str:
        app = app_class(api)(fault) if isinstance(api, str) else api
        server = ReferenceServer(app)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], CliResult]:
    """``clean_run(api)``: the suite run in this process against a fresh, unbroken reference
    server of ``api``, mutations allowed (``run_against``), once per test session: the fault
    test's clean statuses and the budget's conformant run are this one run. Under xdist the
    first worker that needs it runs it (under a file lock) and the others read its report."""
    runs: dict[str, CliResult] = {}
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def run(api: str) -> CliResult:
        if api not in runs:
            folder = shared / f"clean-{api}"
            with _exclusive(shared / f"clean-{api}.lock"):
                outcome = folder / "outcome.json"
                if not outcome.exists():
                    with ReferenceServer(app_class(api)()) as server:
                        done = run_against(server.url, api, folder / "report", in_process=True)
                    kept = {"code": done.code, "stdout": done.stdout, "stderr": done.stderr}
                    outcome.write_text(json.dumps(kept), encoding="utf-8")
                kept = json.loads(outcome.read_text(encoding="utf-8"))
            runs[api] = CliResult(kept["code"], kept["stdout"], kept["stderr"], folder / "report")
        return runs[api]

    return run


@contextlib.contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``lock`` (created if needed)."""
    with lock.open("a") as stream:
        fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
