"""Fixtures of the Redis Enterprise suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.http import ApiClient
from conformance.ledger import Ledger
from conformance.suites.context import Context
from conformance.suites.redis_enterprise.cluster import ClusterAction, exclusive
from conformance.suites.redis_enterprise.context import (
    cluster_action_body,
    cluster_action_name,
    make_context,
)


@pytest.fixture(scope="session")
def redis(api_client: Callable[[str], ApiClient]) -> ApiClient:
    return api_client("redis-enterprise")


@pytest.fixture(scope="session")
def redis_context(redis: ApiClient, fixtures: dict[str, Any]) -> Context:
    return make_context(redis, fixtures)


@pytest.fixture
def cluster(redis: ApiClient, ledger: Ledger, fixtures: dict[str, Any]) -> Iterator[ClusterAction]:
    """The fixture cluster action, held exclusively for the test."""
    name = cluster_action_name(fixtures)
    with exclusive(redis, name):
        yield ClusterAction(redis, ledger, name, cluster_action_body(fixtures))
