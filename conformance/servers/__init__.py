"""Bundled reference servers: real HTTP servers on loopback, one per API, with injectable faults.

``APPS`` is the one place that names them; each app module keeps its own ``FAULTS`` table.
"""

from __future__ import annotations

import importlib

from conformance.servers.base import Fault, ReferenceApp, ReferenceServer

APPS: dict[str, str] = {
    "bigfix": "conformance.servers.bigfix:BigFixApp",
    "edgeiq": "conformance.servers.edgeiq:EdgeIQApp",
    "nexthink": "conformance.servers.nexthink:NexthinkApp",
    "redis-enterprise": "conformance.servers.redis_enterprise:RedisEnterpriseApp",
}

__all__ = ["APPS", "Fault", "ReferenceApp", "ReferenceServer", "all_faults", "app_class"]


def app_class(api: str) -> type[ReferenceApp]:
    module_name, class_name = APPS[api].split(":")
    cls: type[ReferenceApp] = getattr(importlib.import_module(module_name), class_name)
    return cls


def all_faults() -> list[tuple[str, Fault]]:
    """Every fault of every bundled server, as (api, fault)."""
    return [(api, fault) for api in APPS for fault in app_class(api).FAULTS.values()]
