"""Start the bundled reference servers a run needs, once per process."""

from __future__ import annotations

import threading

from conformance.servers import ReferenceServer, app_class, bundled_apis

_lock = threading.Lock()
_running: dict[str, ReferenceServer] = {}


def bundled_url(api: str) -> str | None:
    """The URL of this process's bundled server for ``api``, started on first use."""
    if api not in bundled_apis():
        return None
    with _lock:
        server = _running.get(api)
        if server is None:
            server = ReferenceServer(app_class(api)())
            server.start()
            _running[api] = server
        return server.url


def bundled_fixtures(apis: list[str]) -> dict[str, object]:
    """The ``[fixtures]`` naming the bundled servers' seeded objects, for the given APIs."""
    merged: dict[str, object] = {}
    for api in apis:
        if api in bundled_apis():
            bundled_url(api)
            merged.update(_running[api].app.fixtures())
    return merged


def stop_all() -> None:
    with _lock:
        for server in _running.values():
            server.stop()
        _running.clear()
