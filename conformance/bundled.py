"""Start the bundled reference servers a run needs, once per process."""

from __future__ import annotations

import threading

from conformance.servers import ReferenceServer, app_class, bundled_apis

_lock = threading.Lock()
_running: dict[str, ReferenceServer] = {}


def bundled_url(api: str, vendor_version: str | None = None) -> str | None:
    """The URL of this process's bundled server for ``api``, started on first use.

    The server plays ``vendor_version`` when it models that version (else its newest).
    """
    if api not in bundled_apis():
        return None
    with _lock:
        server = _running.get(api)
        if server is None:
            cls = app_class(api)
            played = vendor_version if vendor_version in cls.VERSIONS else None
            server = ReferenceServer(cls(vendor_version=played))
            server.start()
            _running[api] = server
        return server.url


def bundled_fixtures(apis: list[str], vendor_version: str | None = None) -> dict[str, object]:
    """The ``[fixtures]`` naming the bundled servers' seeded objects, for the given APIs."""
    merged: dict[str, object] = {}
    for api in apis:
        if api in bundled_apis():
            bundled_url(api, vendor_version)
            merged.update(_running[api].app.fixtures())
    return merged


def stop_all() -> None:
    with _lock:
        for server in _running.values():
            server.stop()
        _running.clear()
