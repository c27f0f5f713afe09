"""Accepted fleet actions: each is a mutation that executes on the test fleet's devices.

Skipped unless mutations are allowed. Nothing can be undone, so nothing goes to the ledger;
the fleet must be a test fleet (PLAN.md).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.http import ApiClient, Response
from conformance.suites.edgeiq.bodies import (
    JSON_HEADERS,
    VALID_BODIES,
    FieldNames,
    encode,
    heartbeat,
)
from conformance.suites.edgeiq.exchanges import expect_accepted

requirement = pytest.mark.requirement


@requirement("EDGEIQ-FLEET-ACTIONS-POST-ACCEPTED")
@pytest.mark.parametrize("name", VALID_BODIES)
def test_valid_body_is_accepted(name: str, execute: Callable[[str], Response]) -> None:
    expect_accepted(execute(name))


@requirement("EDGEIQ-FLEET-ACTIONS-POST-HEARTBEAT-MIN")
def test_heartbeat_period_of_one_is_accepted(
    edgeiq: ApiClient, fleet_actions: str, edgeiq_fields: FieldNames
) -> None:
    body = encode(heartbeat(edgeiq_fields, 1))
    response = edgeiq.request("POST", fleet_actions, body=body, headers=JSON_HEADERS)
    expect_accepted(response)
