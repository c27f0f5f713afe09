"""How the Redis suite waits for a started cluster action to settle (suites/redis_enterprise/
cluster.py): reads back off, and come when the documented progress says the action is done.
On a fake clock: nothing here waits or depends on the machine's speed."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from conformance import idle
from conformance.http import ApiClient
from conformance.suites.redis_enterprise import cluster
from conformance.suites.redis_enterprise.cluster import ClusterAction, remaining_seconds


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Answer:
    def __init__(self, document: dict[str, Any]) -> None:
        self.status = 200
        self.document = document

    def json(self) -> dict[str, Any]:
        return self.document


class Server:
    """An action started at 0 that runs ``length`` seconds of the clock."""

    def __init__(self, clock: Clock, length: float, *, progress: bool = True) -> None:
        self.clock, self.length, self.progress, self.reads = clock, length, progress, 0

    def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        self.reads += 1
        if self.clock.now >= self.length:
            return Answer({"name": "change_master", "status": "completed", "progress": 100.0})
        document = {"name": "change_master", "status": "running"}
        if self.progress:
            document["progress"] = round(100.0 * self.clock.now / self.length, 1)
        return Answer(document)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(cluster, "time", fake)
    return fake


def _action(server: Server) -> ClusterAction:
    return ClusterAction(server, None, "change_master", b"{}")  # type: ignore[arg-type]


def test_remaining_time_follows_the_pace_of_progress() -> None:
    assert remaining_seconds((0.0, 0.0), 1.0, 25.0) == pytest.approx(3.0)
    assert remaining_seconds((1.0, 20.0), 2.0, 60.0) == pytest.approx(1.0)
    assert remaining_seconds(None, 1.0, 25.0) is None  # nothing known before
    assert remaining_seconds((0.0, 0.0), 1.0, None) is None  # no progress given
    assert remaining_seconds((0.0, 30.0), 1.0, 30.0) is None  # none made


def test_settle_reads_when_the_progress_says_the_action_is_done(clock: Clock) -> None:
    server = Server(clock, length=1.0)
    action = _action(server)
    action.started_at = 0.0
    final = action.settle()
    assert final is not None and final["status"] == "completed"
    # As many reads as backing off alone (0.05, 0.1, 0.2, 0.4, 0.8 s apart), but the last one
    # at 1.0 s, not 1.55 s: the read at 0.75 s (75 %) says 0.25 s are left.
    assert clock.slept == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.25])
    assert clock.now == pytest.approx(1.0)
    assert server.reads == 6


def test_without_progress_settle_backs_off(clock: Clock) -> None:
    server = Server(clock, length=1.0, progress=False)
    final = _action(server).settle()
    assert final is not None and final["status"] == "completed"
    assert clock.slept == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8])


def test_a_progress_that_runs_late_never_shortens_the_back_off(clock: Clock) -> None:
    """A start long before (another instance running now) makes the pace look slow: the reads
    keep the back-off schedule."""
    server = Server(clock, length=1.0)
    action = _action(server)
    action.started_at = -100.0
    action.settle()
    assert clock.slept == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8])


def test_settle_does_deferred_work_in_place_of_part_of_a_wait(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conformance.idle: one deferred job per wait, its time taken off that wait; a job that
    fails is dropped (whoever needs its result meets the error)."""
    monkeypatch.setattr(idle, "_PENDING", {})
    ran: list[str] = []

    def job(name: str, seconds: float) -> None:
        ran.append(name)
        clock.now += seconds

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("no spec")

    idle.defer("first", lambda: job("first", 0.03))
    idle.defer("first", lambda: job("again", 0.03))  # already queued: kept as it was
    idle.defer("broken", broken)
    idle.defer("long", lambda: job("long", 0.5))
    final = _action(Server(clock, length=1.0, progress=False)).settle()
    assert final is not None and final["status"] == "completed"
    assert ran == ["first", "broken", "long"] and idle.pending() == []
    # Backing off 0.05, 0.1, 0.2, 0.4 s apart: 0.03 s of the first wait and all of the third went
    # to the jobs (a job longer than its wait delays that read, nothing more).
    assert clock.slept == pytest.approx([0.02, 0.1, 0.0, 0.4])


def test_the_cluster_lock_excludes_and_leaves_no_file(tmp_path: Path, monkeypatch: Any) -> None:
    """``cluster.exclusive``: one holder at a time (threads open the file apart, as processes
    do), and the lock file is gone once the last holder leaves, removed only by a holder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    client = cast(ApiClient, SimpleNamespace(base_url="http://127.0.0.1:1"))
    inside: list[int] = []
    most: list[int] = [0]
    guard = threading.Lock()

    def hold() -> None:
        for _ in range(40):
            with cluster.exclusive(client, "change_master"):
                with guard:
                    inside.append(1)
                    most[0] = max(most[0], len(inside))
                time.sleep(0.0005)
                with guard:
                    inside.pop()

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert list(tmp_path.iterdir()) == []
