"""Fixtures of the Nexthink suite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.http import ApiClient, Response
from conformance.suites.nexthink.context import NexthinkFixtures
from conformance.suites.nexthink.runs import RUN_TIMEOUT_SECONDS, run


@pytest.fixture(scope="session")
def nexthink(api_client: Callable[[str], ApiClient]) -> ApiClient:
    return api_client("nexthink")


@pytest.fixture(scope="session")
def nexthink_fixtures(nexthink: ApiClient, fixtures: dict[str, Any]) -> NexthinkFixtures:
    return NexthinkFixtures(nexthink, fixtures)


@pytest.fixture(scope="session")
def all_engines_run(nexthink: ApiClient, nexthink_fixtures: NexthinkFixtures) -> Response:
    """The page's "Target all Engines" example on the target's objects, asked to wait 1 s.

    Executes the remote action on the test devices, once per run of the suite.
    """
    return run(
        nexthink,
        {
            "requestUid": "actionconform-all-engines",
            "remoteActionUid": nexthink_fixtures.uid("remote_action_uid"),
            "deviceUids": nexthink_fixtures.uids("device_uids"),
            "timeoutSeconds": RUN_TIMEOUT_SECONDS,
        },
    )


@pytest.fixture(scope="session")
def one_engine_run(nexthink: ApiClient, nexthink_fixtures: NexthinkFixtures) -> Response:
    """The page's "Target one Engine" example on the target's first Engine, as written.

    No timeoutSeconds, so the call may block for the portal's default 60 s.
    """
    return run(
        nexthink,
        {
            "requestUid": "123",
            "remoteActionUid": nexthink_fixtures.uid("remote_action_uid"),
            "deviceUids": nexthink_fixtures.uids("device_uids"),
            "engineDatabaseUids": nexthink_fixtures.uids("engine_database_uids")[:1],
        },
    )
