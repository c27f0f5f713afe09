"""A cluster action instance one Redis test hands to a later one (suites/redis_enterprise/
cluster.py ``hand_over``/``finished``; conftest ``RUN_LAST``): the later test takes it only
while the status still names it, every start stays in the ledger until one test removes it,
and nothing is handed to a test that will not run. On a fake clock and a fake server: nothing
here waits."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.suites.redis_enterprise import cluster
from conformance.suites.redis_enterprise import conftest as redis_conftest
from conformance.suites.redis_enterprise.cluster import ClusterAction, Left

LENGTH = 0.3  # how long an instance runs on the fake clock
TAKER = "test_delete_removes_a_finished_status"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class Answer:
    def __init__(self, status: int, document: dict[str, Any] | None = None) -> None:
        self.status, self.document = status, document

    def json(self) -> dict[str, Any] | None:
        return self.document


class Server:
    """One status slot for change_master: a start replaces it, DELETE cancels or removes it."""

    allow_mutations = True

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.sent: list[str] = []
        self.instance: tuple[str, float, bool] | None = None  # uid, started, cancelled
        self.count = 0

    def start_elsewhere(self) -> None:
        """Somebody else's start: a new instance replaces the status."""
        self.count += 1
        self.instance = (f"other-{self.count}", self.clock.now, False)

    def status(self) -> dict[str, Any] | None:
        if self.instance is None:
            return None
        uid, started, cancelled = self.instance
        elapsed = self.clock.now - started
        done = cancelled or elapsed >= LENGTH
        state = ("cancelled" if cancelled else "completed") if done else "running"
        progress = round(100.0 * min(elapsed / LENGTH, 1.0), 1)
        return {"name": "change_master", "action_uid": uid, "status": state, "progress": progress}

    def request(self, method: str, path: str, **kwargs: Any) -> Answer:
        self.sent.append(method)
        status = self.status()
        if method == "GET":
            return Answer(404) if status is None else Answer(200, status)
        if method == "POST":
            if status is not None and status["status"] == "running":
                return Answer(409)
            self.count += 1
            self.instance = (f"uid-{self.count}", self.clock.now, False)
            return Answer(200, self.status())
        if status is None:  # DELETE
            return Answer(404)
        if status["status"] == "running":
            self.instance = (status["action_uid"], self.instance[1], True)  # type: ignore[index]
        else:
            self.instance = None
        return Answer(200)


class Ledger:
    def __init__(self) -> None:
        self.open: set[int] = set()
        self.made = 0

    def intend(self, api: str, description: str) -> int:
        self.made += 1
        self.open.add(self.made)
        return self.made

    def created(self, entry: int, method: str, path: str) -> None:
        assert (method, path) == ("DELETE", "/v1/cluster/actions/change_master")

    def removed(self, entry: int) -> None:
        self.open.discard(entry)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(cluster, "time", fake)
    return fake


def _action(
    server: Server, ledger: Ledger, left: dict[str, Left], upcoming: set[str]
) -> ClusterAction:
    return ClusterAction(
        server,  # type: ignore[arg-type]
        ledger,  # type: ignore[arg-type]
        "change_master",
        b"{}",
        left,
        frozenset(upcoming),
    )


def test_a_later_test_takes_the_instance_left_for_it(clock: Clock) -> None:
    server, ledger, left = Server(clock), Ledger(), dict[str, Left]()
    giver = _action(server, ledger, left, {TAKER})
    started = giver.start_or_skip()
    assert giver.hand_over(started, "uid-1", TAKER)
    giver.finish(started)  # left to the taker: nothing sent, the entry stays open
    assert server.sent == ["GET", "POST"] and ledger.open == {1}

    clock.now += 0.1  # other tests run meanwhile
    taker = _action(server, ledger, left, set())
    taken, status = taker.finished(TAKER)
    assert taken is started and not left
    assert status is not None and status["status"] == "completed"
    assert status["action_uid"] == "uid-1"
    assert server.sent.count("POST") == 1  # no start of its own
    # It waited only for the rest of the run, read when the progress since the start said so.
    assert clock.now == pytest.approx(LENGTH, abs=0.005)
    taker.finish(taken)  # the taker removes it
    assert ledger.open == set() and server.instance is None


def test_nothing_is_left_for_a_test_that_will_not_run(clock: Clock) -> None:
    server, ledger, left = Server(clock), Ledger(), dict[str, Left]()
    giver = _action(server, ledger, left, {"test_something_else"})
    started = giver.start_or_skip()
    assert not giver.hand_over(started, "uid-1", TAKER)
    assert not giver.hand_over(started, None, "test_something_else")  # no uid: no hand-over
    giver.finish(started)
    assert not left and ledger.open == set()
    assert server.sent == ["GET", "POST", "DELETE"]


def test_an_instance_replaced_since_is_not_taken(clock: Clock) -> None:
    server, ledger, left = Server(clock), Ledger(), dict[str, Left]()
    giver = _action(server, ledger, left, {TAKER})
    assert giver.hand_over(giver.start_or_skip(), "uid-1", TAKER)
    clock.now += 1.0
    server.start_elsewhere()  # another client's start removed our result
    clock.now += 1.0
    taker = _action(server, ledger, left, set())
    taken, status = taker.finished(TAKER)
    assert status is not None and status["action_uid"] == "uid-3"  # its own, started now
    assert server.sent.count("POST") == 2
    assert ledger.open == {2}  # the replaced one's entry closed without a DELETE
    assert "DELETE" not in server.sent
    taker.finish(taken)
    assert ledger.open == set()


def test_a_start_in_between_replaces_what_was_left(clock: Clock) -> None:
    server, ledger, left = Server(clock), Ledger(), dict[str, Left]()
    giver = _action(server, ledger, left, {TAKER})
    assert giver.hand_over(giver.start_or_skip(), "uid-1", TAKER)
    other = _action(server, ledger, left, set())
    started = other.start_or_skip()  # waits for uid-1 to end, then replaces it
    assert not left and ledger.open == {2}
    other.finish(started)
    taker = _action(server, ledger, left, set())
    _, status = taker.finished(TAKER)
    assert status is not None and status["action_uid"] == "uid-3"


def _item(path: Path, name: str) -> Any:
    return SimpleNamespace(path=path, name=name)


def test_the_taker_runs_after_the_other_redis_tests() -> None:
    """The cluster modules first, then the others, then the taker and the cancelled lifecycle;
    the Redis tests keep their places among the session's."""
    here = Path(redis_conftest.__file__).resolve().parent
    lifecycle = here / "test_cluster_lifecycle.py"
    cancelled = "test_a_cancelled_action_follows_the_state_diagram"
    items = [
        _item(here.parent / "bigfix" / "test_x.py", "test_bigfix"),
        _item(here / "test_actions.py", "test_list"),
        _item(here / "test_cluster_actions.py", "test_cluster_action_answers_json"),
        _item(lifecycle, cancelled),
        _item(lifecycle, "test_new_start_removes_the_previous_result"),
        _item(lifecycle, TAKER),
        _item(here / "test_error_bodies.py", "test_error_bodies_are_the_documented_envelope"),
        _item(here / "test_later_routes.py", "test_the_v2_list_answers_200"),
        _item(here.parent / "test_cases.py", "test_documented_exchange"),
    ]
    redis_conftest.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == [
        "test_bigfix",
        "test_cluster_action_answers_json",
        "test_new_start_removes_the_previous_result",
        "test_list",
        "test_error_bodies_are_the_documented_envelope",
        "test_the_v2_list_answers_200",
        TAKER,
        cancelled,
        "test_documented_exchange",
    ]
