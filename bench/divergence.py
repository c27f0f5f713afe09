"""How much of a fault run comes after its first answer that differs from the clean run's.

The sound way to cut a fault run short (README, Speed: the suite's own tests) is to share the
clean run up to the first exchange the faulty server answers differently and run only the rest:
a checkpoint (fork) of the clean run, resumed against the faulty app's state. This measures
what that could save at best, before anyone builds it: for every fault of the bundled servers,
the share of the fault run's CPU (suite and in-process server) spent from its first differing
answer on. The bundled servers' clock readings and generated IDs are masked first (a checkpoint
design would have to make them repeat), so the figure is an upper bound on the saving.

Run: ``.venv/bin/python -m bench.divergence [API ...]``. Measurements, never assertions.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from conformance import registry
from conformance.servers import ReferenceServer, app_class
from conformance.servers.base import ReferenceApp, Reply, Request

ROOT = Path(__file__).resolve().parents[1]
# What differs between two clean runs of a bundled server: clock readings, generated IDs
# (UUIDs, 24-hex object IDs) and the progress a Redis action reports by elapsed time.
_VARYING = (
    (re.compile(rb"\d\d:\d\d:\d\d(\.\d+)?"), b"<time>"),
    (re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), b"<uuid>"),
    (re.compile(rb"[0-9a-f]{24}"), b"<id>"),
    (re.compile(rb'"progress": ?[0-9.]+'), b'"progress": <n>'),
)


def masked(data: bytes) -> bytes:
    for pattern, replacement in _VARYING:
        data = pattern.sub(replacement, data)
    return data


@dataclass(frozen=True)
class Exchange:
    """One answered request, masked, and the process CPU clock when it was answered."""

    request: tuple[str, bytes, str, str]
    answer: tuple[int, str, str]
    cpu: float


class Tape:
    """Wraps an app's ``dispatch`` to keep every exchange, in order."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def wrap(self, app: ReferenceApp) -> ReferenceApp:
        original: Callable[[Request], Reply] = app.dispatch

        def dispatch(request: Request) -> Reply:
            reply = original(request)
            query = sorted((key, tuple(values)) for key, values in request.query.items())
            asked = (
                request.method,
                masked(request.path.encode()),
                repr(query),
                hashlib.sha256(masked(request.body)).hexdigest(),
            )
            body = hashlib.sha256(masked(reply.encoded())).hexdigest()
            answered = (reply.status, reply.content_type or "", body)
            with self._lock:
                self.exchanges.append(Exchange(asked, answered, time.process_time()))
            return reply

        app.dispatch = dispatch  # type: ignore[method-assign]
        return app


@dataclass(frozen=True)
class FaultRun:
    fault: str
    cpu: float  # CPU of the whole run
    after: float  # share of it from its first exchange that differs from the clean run on


def _run(
    server: ReferenceServer, api: str, fault: str | None, work: Path
) -> tuple[list[Exchange], float, float]:
    from tests.helpers import run_against  # the fault test's own way to run (tests/)

    tape = Tape()
    server.replace_app(tape.wrap(app_class(api)(fault)))
    started = time.process_time()
    run_against(server.url, api, work / f"{api}-{fault or 'clean'}" / "report", in_process=True)
    return tape.exchanges, started, time.process_time()


def _first_difference(clean: list[Exchange], other: list[Exchange]) -> int:
    for index, (ours, theirs) in enumerate(zip(clean, other, strict=False)):
        if (ours.request, ours.answer) != (theirs.request, theirs.answer):
            return index
    return min(len(clean), len(other))


def measure(api: str, work: Path) -> tuple[int, int, list[FaultRun]]:
    """The API's clean run twice (its exchanges, and how many of them the second repeats
    exactly once masked), then every fault's run against the first."""
    server = ReferenceServer(app_class(api)())
    server.start()
    try:
        _run(server, api, None, work)  # imports and caches, as in a warm test worker
        clean, _, _ = _run(server, api, None, work)
        again, _, _ = _run(server, api, None, work)
        repeatable = _first_difference(clean, again)
        runs = []
        for name in app_class(api).FAULTS:
            exchanges, started, ended = _run(server, api, name, work)
            index = _first_difference(clean, exchanges)
            after = (
                (ended - exchanges[index].cpu) / (ended - started)
                if index < len(exchanges)
                else 0.0
            )
            runs.append(FaultRun(name, ended - started, max(after, 0.0)))
        return len(clean), repeatable, runs
    finally:
        server.stop()


HEADER = (
    "| API | faults | clean exchanges that repeat | fault runs' CPU "
    "| of it from the first difference on | median per run |\n|---|---|---|---|---|---|"
)


def main() -> int:
    parser = argparse.ArgumentParser(description="What a fault run spends after it diverges.")
    parser.add_argument("apis", nargs="*", metavar="API", help=", ".join(registry.bundled()))
    options = parser.parse_args()
    unknown = set(options.apis) - set(registry.bundled())
    if unknown:
        parser.error(f"unknown API(s): {', '.join(sorted(unknown))}")
    sys.path.insert(0, str(ROOT))
    print(HEADER)
    total = after = 0.0
    with tempfile.TemporaryDirectory(prefix="actionconform-divergence-") as work:
        for api in options.apis or registry.bundled():
            exchanges, repeatable, runs = measure(api, Path(work))
            cpu = sum(run.cpu for run in runs)
            late = sum(run.cpu * run.after for run in runs)
            total, after = total + cpu, after + late
            median = statistics.median(run.after for run in runs)
            print(
                f"| {api} | {len(runs)} | {repeatable} of {exchanges} | {cpu:.1f} s | "
                f"{late:.1f} s ({late / cpu:.0%}) | {median:.0%} |"
            )
    print(f"| all | | | {total:.1f} s | {after:.1f} s ({after / total:.0%}) | |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
