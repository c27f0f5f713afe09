"""Starting and removing the one cluster action the suite may touch (``cluster_action``).

Every start is written to the ledger, with its removal (``DELETE /v1/cluster/actions/{action}``),
before the POST is sent; a start the server refused is closed at once, so the end-of-run cleanup
never cancels an instance somebody else started. The suite never starts the action over a
running instance: it waits for it to settle first. A lock file keyed by base URL and action
keeps parallel workers from racing each other on a shared server.

Waiting for an action to end is most of a Redis run's time, so an instance one test has done
with may be handed to a later test that needs one to finish (``hand_over``/``finished``): the
test that started it leaves it (its ledger entry open) and the later one finds it finished, or
waits only for the rest of its run, while the tests between run. The later test takes it only
when the status still names that instance (its ``action_uid``); otherwise it starts its own.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance import idle
from conformance.http import DEFAULT, ApiClient, Response
from conformance.ledger import Entry, Ledger
from conformance.outcomes import untested

API = "redis-enterprise"
IN_PROGRESS = frozenset({"queued", "starting", "running", "cancelling"})
SETTLE_SECONDS = 60.0
FIRST_PAUSE, LONGEST_PAUSE, SHORTEST_PAUSE = 0.05, 1.0, 0.01  # between status reads
# The action object's state diagram (8.0+ pages, redis-enterprise-versions/
# doc_HEAD_objects_action.md): each status and the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"starting", "cancelled"}),
    "starting": frozenset({"running", "aborted"}),
    "running": frozenset({"completed", "cancelling", "failed", "aborted"}),
    "cancelling": frozenset({"cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
    "failed": frozenset(),
    "aborted": frozenset(),
}


def reachable(before: str, after: str) -> bool:
    """Whether the diagram leads from ``before`` to ``after`` (reads may miss steps)."""
    seen, frontier = {before}, [before]
    while frontier:
        for following in TRANSITIONS.get(frontier.pop(), frozenset()):
            if following == after:
                return True
            if following not in seen:
                seen.add(following)
                frontier.append(following)
    return False


try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: workers are not serialised
    fcntl = None  # type: ignore[assignment]


@dataclass
class Started:
    """One POST the suite sent to start the action, and its ledger entry."""

    entry: Entry
    response: Response
    closed: bool = False
    sent_at: float | None = None  # when the POST was sent (monotonic)
    kept: bool = False  # handed to a later test, which finishes it (or the end-of-run cleanup)

    @property
    def ok(self) -> bool:
        return 200 <= self.response.status < 300


def in_progress(status: dict[str, Any] | None) -> bool:
    return status is not None and status.get("status") in IN_PROGRESS


def _progress(status: dict[str, Any] | None) -> float | None:
    """The status's ``progress`` (percent completed, 0-100), when it is a number in range."""
    value = (status or {}).get("progress")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        return None
    return float(value)


def remaining_seconds(
    earlier: tuple[float, float] | None, now: float, progress: float | None
) -> float | None:
    """How long the action may still run, had its progress kept the pace it had since
    ``earlier`` (a time and the progress then): None when that says nothing (no progress,
    none made, or none known before)."""
    if earlier is None or progress is None:
        return None
    then, before = earlier
    if progress <= before or now <= then:
        return None
    return (100.0 - progress) * (now - then) / (progress - before)


@dataclass
class Left:
    """An instance a test left for a later one: its start and the ``action_uid`` it has."""

    started: Started
    action_uid: str
    sent_at: float | None  # when its start was sent (the pace ``settle`` reckons from)


class ClusterAction:
    """Reads, starts and removes one named cluster action on one server.

    ``left`` (shared by the tests of a session) holds the instances tests handed on, by the
    name of the test that takes each; ``upcoming`` names the tests still to run in this
    process after the current one (empty when that is not known, e.g. under xdist)."""

    def __init__(
        self,
        client: ApiClient,
        ledger: Ledger,
        name: str,
        body: bytes,
        left: dict[str, Left] | None = None,
        upcoming: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.name = name
        self.body = body
        self.path = f"/v1/cluster/actions/{name}"
        self.started_at: float | None = None  # when the suite sent the start last accepted
        self.left = {} if left is None else left
        self.upcoming = upcoming

    def read(self) -> tuple[Response, dict[str, Any] | None]:
        """The action's status document, or None when the server has no status (404)."""
        response = self.client.request("GET", self.path)
        if response.status == 404:
            return response, None
        try:
            document = response.json() if response.status == 200 else None
        except ValueError:
            document = None
        if not isinstance(document, dict):
            untested(f"GET {self.path} answered {response.status} without a JSON status")
        return response, document

    def settle(
        self, seen: list[tuple[Response, dict[str, Any] | None]] | None = None
    ) -> dict[str, Any] | None:
        """Wait until the action is not queued, starting, running or cancelling; every read
        is appended to ``seen`` when given.

        Reads back off from ``FIRST_PAUSE`` to ``LONGEST_PAUSE`` apart; a read comes sooner
        when the documented ``progress`` (percent completed) says the action should be done by
        then, at the pace it has kept since the suite started it (or since the first read that gave
        a progress)."""
        deadline = time.monotonic() + SETTLE_SECONDS
        pause = FIRST_PAUSE
        earlier = (self.started_at, 0.0) if self.started_at is not None else None
        while True:
            response, status = self.read()
            now = time.monotonic()
            if seen is not None:
                seen.append((response, status))
            if not in_progress(status):
                return status
            if now > deadline:
                untested(
                    f"{self.name} still {status and status.get('status')} after "
                    f"{SETTLE_SECONDS:g} s"
                )
            progress = _progress(status)
            remaining = remaining_seconds(earlier, now, progress)
            if earlier is None and progress is not None:
                earlier = (now, progress)
            wait = pause if remaining is None else max(SHORTEST_PAUSE, min(pause, remaining))
            idle.work()  # work the run needs later, while the action runs (conformance.idle)
            time.sleep(max(0.0, wait - (time.monotonic() - now)))
            pause = min(pause * 2, LONGEST_PAUSE)

    def post(
        self,
        body: bytes | None,
        content_type: str | None,
        *,
        expect_refusal: bool = False,
        authorization: Any = DEFAULT,
    ) -> Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return self.client.request(
            "POST",
            self.path,
            body=body,
            headers=headers,
            authorization=authorization,
            mutating=True,
            expect_refusal=expect_refusal,
        )

    def start(
        self,
        body: bytes | None = None,
        content_type: str | None = "application/json",
        *,
        expect_refusal: bool = False,
        authorization: Any = DEFAULT,
    ) -> Started:
        """Record, then POST (the fixture body unless ``body`` is given) once the action idles;
        ``authorization`` replaces the target's credentials (the restricted user's)."""
        if not self.client.allow_mutations:
            pytest.skip(f"mutations not allowed: POST {self.path} (pass --allow-mutations)")
        self.settle()
        entry = self.ledger.intend(API, f"cluster action {self.name} started by the suite")
        self.ledger.created(entry, "DELETE", self.path)
        sent_at = time.monotonic()
        response = self.post(
            self.body if body is None else body,
            content_type,
            expect_refusal=expect_refusal,
            authorization=authorization,
        )
        started = Started(entry, response, sent_at=sent_at)
        self.started_at = sent_at if started.ok else None
        if started.ok:
            self._forget_left()
        else:
            self.close(started)
        return started

    def start_or_skip(self) -> Started:
        started = self.start()
        if not started.ok:
            untested(f"POST {self.path} answered {started.response.status}; not started")
        return started

    def hand_over(
        self, started: Started, action_uid: Any, to: str, sent_at: float | None = None
    ) -> bool:
        """Leave the instance ``action_uid`` (under ``started``'s entry; its start sent at
        ``sent_at``, by default ``started``'s) to the test named ``to``, when that test is still
        to run here: the entry stays open and ``finish`` leaves it."""
        if started.closed or not isinstance(action_uid, str) or not action_uid:
            return False
        if to not in self.upcoming:
            return False
        self._forget_left()  # one instance of the action at a time: this one replaced them
        self.left[to] = Left(started, action_uid, sent_at or started.sent_at)
        started.kept = True
        return True

    def finished(self, test: str) -> tuple[Started, dict[str, Any] | None]:
        """A finished instance the suite started, and its status once it ended: the one an
        earlier test left for ``test`` if the status still names it, else a new start.

        Starts are recorded as ``start`` does; the caller finishes the instance."""
        left = self.left.pop(test, None)
        if left is not None:
            left.started.kept = False
            self.started_at = left.sent_at
            status = self.settle()
            if status is not None and status.get("action_uid") == left.action_uid:
                return left.started, status
            self.close(left.started)  # replaced since: its result is gone with it
        started = self.start_or_skip()
        return started, self.settle()

    @contextlib.contextmanager
    def finished_for(self, test: str, missing: str) -> Iterator[tuple[Started, dict[str, Any]]]:
        """``finished`` for the test named ``test``, as a context: untested (the action
        ``missing`` what the test needs) when no status is left; the instance finished at the
        end, unless the test handed it on."""
        started, status = self.finished(test)
        try:
            if status is None:
                untested(f"{self.name} {missing}")
            yield started, status
        finally:
            self.finish(started)

    def _forget_left(self) -> None:
        """A new instance replaced whatever instance an earlier test left: that entry is done
        (the new instance's has the same removal)."""
        for test in list(self.left):
            self.close(self.left.pop(test).started)

    def delete(self) -> Response:
        return self.client.request("DELETE", self.path, mutating=True)

    def close(self, started: Started) -> None:
        if not started.closed:
            self.ledger.removed(started.entry)
            started.closed = True

    def finish(self, started: Started) -> None:
        """Cancel the instance (or remove its status); close the entry if that worked. An
        instance handed to a later test is left to it."""
        if started.closed or started.kept:
            return
        response = self.delete()
        if response.status < 300 or response.status == 404:
            self.close(started)


@contextlib.contextmanager
def exclusive(client: ApiClient, name: str) -> Iterator[None]:
    """Hold a lock for (server, action) across processes (xdist workers, runs on this machine).

    The lock file is removed when the lock is released, so none is left in the temp folder (one
    used to stay for every server and action ever run against). A process that gets the lock
    on a file that was removed or replaced meanwhile takes it again on the current file, so
    only the holder of the current file's lock ever removes it."""
    if fcntl is None:
        yield
        return
    key = hashlib.sha256(f"{client.base_url} {name}".encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"actionconform-redis-{key}.lock"
    while True:
        handle = path.open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            if _still_at(path, handle.fileno()):
                break
        except BaseException:
            handle.close()
            raise
        handle.close()  # releases the lock on the removed file; try the current one
    try:
        yield
    finally:
        path.unlink(missing_ok=True)  # while the lock is held: no one else can be inside
        handle.close()


def _still_at(path: Path, descriptor: int) -> bool:
    """Whether ``path`` still names the open file ``descriptor``."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(descriptor))
    except FileNotFoundError:
        return False
