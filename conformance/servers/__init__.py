"""Bundled reference servers: real HTTP servers on loopback, one per API, with injectable faults.

Each API's ``api.py`` (``conformance/suites/<api>/api.py``) names its app; each app module keeps
its own ``FAULTS`` table.
"""

from __future__ import annotations

from conformance import registry
from conformance.servers.base import Fault, ReferenceApp, ReferenceServer

# API name -> "module:Class" of its app, from the registry (kept for callers of this name).
APPS: dict[str, str] = {
    name: profile.server for name, profile in registry.profiles().items() if profile.server
}

__all__ = [
    "APPS",
    "Fault",
    "ReferenceApp",
    "ReferenceServer",
    "all_faults",
    "app_class",
    "bundled_apis",
]


def bundled_apis() -> tuple[str, ...]:
    """The APIs that have a bundled reference server."""
    return registry.bundled()


def app_class(api: str) -> type[ReferenceApp]:
    return registry.profile(api).app_class()


def all_faults() -> list[tuple[str, Fault]]:
    """Every fault of every bundled server, as (api, fault)."""
    return [(api, fault) for api in registry.bundled() for fault in app_class(api).FAULTS.values()]
