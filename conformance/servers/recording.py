"""Wrap a reference app to record every request, and snapshot its state.

For the safety tests: a read-only run must send nothing a conformant server would act on and
change no state; a run with mutations must leave no object behind.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from conformance.servers.base import ReferenceApp, Reply, Request

# Plumbing of ReferenceApp, not state.
_NOT_STATE = {"lock", "fault", "username", "password", "_routes", "dispatch"}


@dataclass(frozen=True)
class Recorded:
    """One request a reference app answered."""

    method: str
    path: str
    status: int


class Recorder:
    """The requests an app answered, in order; optionally slows every answer down."""

    def __init__(self, app: ReferenceApp, delay: float = 0.0) -> None:
        self.app = app
        self.delay = delay
        self.calls: list[Recorded] = []
        self._lock = threading.Lock()
        original = app.dispatch

        def dispatch(request: Request) -> Reply:
            if self.delay:
                time.sleep(self.delay)
            reply = original(request)
            with self._lock:
                self.calls.append(Recorded(request.method, request.path, reply.status))
            return reply

        app.dispatch = dispatch  # type: ignore[method-assign]

    def unsafe(self) -> list[Recorded]:
        """Every request whose method is not GET, HEAD or OPTIONS."""
        return [call for call in self.calls if call.method not in ("GET", "HEAD", "OPTIONS")]


class Accepting:
    """Make an app accept every POST, PUT, PATCH and DELETE it would refuse (the worst server
    for a mutation budget): a refusal becomes ``status`` with the same body. Counts what was
    "acted on" (answered 2xx)."""

    UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

    def __init__(self, app: ReferenceApp, status: int = 200) -> None:
        self.app = app
        self.status = status
        self.acted: list[Recorded] = []
        self._lock = threading.Lock()
        original = app.dispatch

        def dispatch(request: Request) -> Reply:
            reply = original(request)
            if request.method in self.UNSAFE:
                if reply.status >= 400:
                    reply = dataclasses.replace(reply, status=self.status)
                if 200 <= reply.status < 300:
                    with self._lock:
                        self.acted.append(Recorded(request.method, request.path, reply.status))
            return reply

        app.dispatch = dispatch  # type: ignore[method-assign]


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool | bytes) or value is None:
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # A field left out of equality (compare=False) is a cache, not state.
        fields = [item for item in dataclasses.fields(value) if item.compare]
        return {item.name: _plain(getattr(value, item.name)) for item in fields}
    if isinstance(value, dict):
        return {repr(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(repr(_plain(item)) for item in value)
    if callable(value) or "threading" in type(value).__module__:
        return None
    if hasattr(value, "__dict__"):
        return {name: _plain(item) for name, item in vars(value).items()}
    return repr(value)


def history(app: ReferenceApp) -> tuple[str, ...]:
    """Attributes an app declares as append-only history (``HISTORY``): records the API offers
    no way to remove, such as executions. A run with mutations may add to them."""
    names = getattr(app, "HISTORY", ())
    return tuple(str(name) for name in names)


def snapshot(
    app: ReferenceApp, *, objects_only: bool = False, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The app's state as plain data. An app may define ``state_snapshot()`` to choose it.

    ``objects_only`` keeps only collections (what objects exist and their contents), not
    scalar counters such as the next ID, which a create-then-delete legitimately moves on.
    ``exclude`` leaves attributes out (see ``history``).
    """
    custom = getattr(app, "state_snapshot", None)
    state = (
        custom()
        if callable(custom)
        else {
            name: value
            for name, value in vars(app).items()
            if name not in _NOT_STATE and not callable(value)
        }
    )
    plain = {str(name): _plain(value) for name, value in dict(state).items() if name not in exclude}
    if objects_only:
        plain = {name: value for name, value in plain.items() if isinstance(value, dict | list)}
    return plain
