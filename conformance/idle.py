"""Work a run will need anyway, done while a test waits for a server.

A test that sleeps until a server is done (the Redis suite's ``ClusterAction.settle``) first
lets ``work`` run one deferred job: what the run would otherwise do later, at a moment nothing
waits (e.g. importing schemathesis and loading a spec into it for the spec-drawn tests, deferred
by their collection). A job must be safe to run at any time, and again later (its result is
cached by whoever needs it): a job that fails is dropped, and its caller meets the error itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

_PENDING: dict[str, Callable[[], object]] = {}


def defer(key: str, job: Callable[[], object]) -> None:
    """Queue ``job`` under ``key`` (a job already queued under ``key`` stays as it is)."""
    _PENDING.setdefault(key, job)


def pending() -> list[str]:
    return list(_PENDING)


def work() -> None:
    """Run the oldest deferred job, if any."""
    if not _PENDING:
        return
    job = _PENDING.pop(next(iter(_PENDING)))
    with contextlib.suppress(Exception):  # met again, and reported, where it is needed
        job()
