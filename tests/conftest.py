"""Fixtures for the suite's own tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from conformance.servers import ReferenceApp, ReferenceServer, app_class


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
