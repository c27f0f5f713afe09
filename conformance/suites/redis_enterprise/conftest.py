"""Fixtures of the Redis Enterprise suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.http import ApiClient
from conformance.ledger import Ledger
from conformance.suites.context import Context
from conformance.suites.redis_enterprise.cluster import ClusterAction, Left, exclusive
from conformance.suites.redis_enterprise.context import (
    cluster_action_body,
    cluster_action_name,
    make_context,
)

HERE = Path(__file__).resolve().parent
# The order of this folder's tests. First the modules that read cluster action statuses and
# start the action (they need it idle, or read its status): ``RUN_FIRST``. Then the modules
# that neither start it nor read its status, while the instance the replace test left runs on.
# Last, in this order: the test that takes that instance (``ClusterAction.finished``), so that it
# has ended meanwhile, and the cancelled lifecycle, so that a run still ends as it did before the
# hand-over (the action's cancelled status listed, which the next run's read-only cluster tests
# can read).
RUN_FIRST = ("test_cluster_actions.py", "test_cluster_lifecycle.py")
RUN_LAST = (
    "test_delete_removes_a_finished_status",
    "test_a_cancelled_action_follows_the_state_diagram",
)


def _rank(item: pytest.Item) -> tuple[int, int]:
    if item.name in RUN_LAST:
        return 2, RUN_LAST.index(item.name)
    if item.path.name in RUN_FIRST:
        return 0, RUN_FIRST.index(item.path.name)
    return 1, 0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order this folder's tests (``RUN_FIRST``, the others, ``RUN_LAST``; otherwise as
    collected), in the places they hold among the session's tests."""
    places = [index for index, item in enumerate(items) if HERE in item.path.parents]
    ordered = sorted((items[index] for index in places), key=_rank)  # stable
    for index, item in zip(places, ordered, strict=True):
        items[index] = item


@pytest.fixture(scope="session")
def redis(api_client: Callable[[str], ApiClient]) -> ApiClient:
    return api_client("redis-enterprise")


@pytest.fixture(scope="session")
def redis_context(redis: ApiClient, fixtures: dict[str, Any]) -> Context:
    return make_context(redis, fixtures)


@pytest.fixture(scope="session")
def left_instances() -> dict[str, Left]:
    """Cluster action instances tests left for later ones (``ClusterAction.hand_over``)."""
    return {}


def upcoming(request: pytest.FixtureRequest) -> frozenset[str]:
    """The names of the tests this process runs after the current one; none under xdist,
    where another worker may run them."""
    if hasattr(request.config, "workerinput"):
        return frozenset()
    items = request.session.items
    try:
        index = items.index(request.node)
    except ValueError:
        return frozenset()
    return frozenset(item.name for item in items[index + 1 :])


@pytest.fixture
def cluster(
    request: pytest.FixtureRequest,
    redis: ApiClient,
    ledger: Ledger,
    fixtures: dict[str, Any],
    left_instances: dict[str, Left],
) -> Iterator[ClusterAction]:
    """The fixture cluster action, held exclusively for the test."""
    name = cluster_action_name(fixtures)
    with exclusive(redis, name):
        yield ClusterAction(
            redis, ledger, name, cluster_action_body(fixtures), left_instances, upcoming(request)
        )
