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
# Run after the suite's other Redis tests, in this order: the test that takes the instance an
# earlier test left running (``ClusterAction.finished``), so that it ends while those run; then
# the cancelled lifecycle, so that a run still ends as it did before the hand-over (the action's
# cancelled status listed, which the next run's read-only cluster tests can read).
RUN_LAST = (
    "test_delete_removes_a_finished_status",
    "test_a_cancelled_action_follows_the_state_diagram",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move ``RUN_LAST`` to the end of this folder's tests (the order is otherwise kept)."""
    ours = [index for index, item in enumerate(items) if HERE in item.path.parents]
    if not ours:
        return
    last = [items[index] for index in ours if items[index].name in RUN_LAST]
    if not last:
        return
    last.sort(key=lambda item: RUN_LAST.index(item.name))
    end = ours[-1]
    kept = [item for item in items[: end + 1] if item not in last]
    items[:] = kept + last + items[end + 1 :]


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
