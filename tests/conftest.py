"""Fixtures for the suite's own tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from conformance.servers import ReferenceServer, app_class


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    """``serve(api, fault=None)``: a reference server on loopback; returns its URL."""
    servers: list[ReferenceServer] = []

    def start(api: str, fault: str | None = None) -> str:
        server = ReferenceServer(app_class(api)(fault))
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
