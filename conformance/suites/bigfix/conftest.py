"""Fixtures of the BigFix suite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.http import ApiClient
from conformance.suites.bigfix.bodies import SafeTargets
from conformance.suites.context import Context
from conformance.target import Target


@pytest.fixture(scope="session")
def bigfix(api_client: Callable[[str], ApiClient]) -> ApiClient:
    return api_client("bigfix")


@pytest.fixture(scope="session")
def bigfix_context(api_context: Callable[[str], Context]) -> Context:
    """The run's one BigFix context (the case runner's too): each value is discovered once,
    e.g. the action whose status shows computers, which may list 100000 of them."""
    return api_context("bigfix")


@pytest.fixture(scope="session")
def safe_targets(fixtures: dict[str, Any], target: Target) -> SafeTargets:
    """Where actions the suite creates may point: nowhere, or the named test computers."""
    return SafeTargets.from_fixtures(fixtures, bundled=target.bundled)
