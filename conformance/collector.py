"""Python's cycle collector around the suite's big allocations.

Start-up makes objects by the million (the modules of pytest, Hypothesis, schemathesis and
jsonschema, the specs, the collected tests) and hardly any garbage, and a large status read into
data adds hundreds of thousands of objects without cycles that live to the end of the run: every
full scan of the collector walks all of them again (~0.25 s per run at start-up; five scans,
~0.3 s, of a 100000-computer BigFix run). So, in the command's own process (``claim``, by
``cli.entry``), the collector is off while the run starts and collects (``hold``, ``Back``) and
while a large body is read (``paused``), and what exists then is frozen before it is turned back
on: later scans walk only what is made after. A program that calls ``cli.main`` keeps its
collector as it is (freezing would keep its own garbage cycles for good)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_OWN_PROCESS = False  # set by ``claim``: the process is the command's, not a caller's
_HELD = False


def claim() -> None:
    """The process is the command's own: it ends when the run does."""
    global _OWN_PROCESS
    _OWN_PROCESS = True


def own_process() -> bool:
    return _OWN_PROCESS


def hold() -> None:
    """Turn the collector off until the tests are collected (``Back``), in the command's own
    process only."""
    global _HELD
    if _OWN_PROCESS and gc.isenabled():
        gc.disable()
        _HELD = True


def held() -> bool:
    return _HELD


def release() -> None:
    """Freeze what exists (kept to the end of the process anyway) and turn the collector back
    on, if ``hold`` turned it off."""
    global _HELD
    if _HELD:
        _HELD = False
        gc.freeze()
        gc.enable()


class Back:
    """A pytest plugin: once the tests are collected, ``release``."""

    def pytest_collection_finish(self) -> None:
        release()


@contextmanager
def paused(pause: bool) -> Iterator[None]:
    """The collector off while a reader turns a large body into data (its scans would walk the
    growing data again and again: 10-25 % of a 100000-computer read; the data holds no
    cycles). In the command's own process, what exists is then frozen before the collector is
    back on; elsewhere it runs as before."""
    paused = pause and gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            if _OWN_PROCESS:
                gc.freeze()
            gc.enable()
