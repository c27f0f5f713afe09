"""Fixtures for the suite's own tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from conformance.servers import ReferenceApp, ReferenceServer, app_class
from tests.helpers import CliResult, run_against


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
    server of ``api``, mutations allowed (``run_against``), once per session (xdist worker):
    the fault test's clean statuses and the budget's conformant run are this one run."""
    runs: dict[str, CliResult] = {}

    def run(api: str) -> CliResult:
        if api not in runs:
            report_dir = tmp_path_factory.mktemp(f"clean-{api}") / "report"
            with ReferenceServer(app_class(api)()) as server:
                runs[api] = run_against(server.url, api, report_dir, in_process=True)
        return runs[api]

    return run
