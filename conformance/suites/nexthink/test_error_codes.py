"""The error table: each code answers a request that breaks its rule alone, with its status.

Every request here is one a conformant server refuses before dispatching anything, so all are
sent with ``mutating=False`` and run in read-only runs too. Devices are synthetic (well-formed
UIDs of no real device), so a server that wrongly accepts one reaches no real device.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance import checks
from conformance.http import DEFAULT, ApiClient
from conformance.profiles import search
from conformance.suites.nexthink.context import NexthinkFixtures
from conformance.suites.nexthink.error_table import ErrorCode, Variant, load_error_codes
from conformance.suites.nexthink.runs import (
    RUN_TIMEOUT_SECONDS,
    UNKNOWN_REMOTE_ACTION_UID,
    RunCall,
    error_code_of,
    expect_error,
    synthetic_device_uids,
)
from conformance.suites.nexthink.strategies import run_documents
from conformance.verdict import mark_weak

requirement = pytest.mark.requirement
ROWS = [row for row in load_error_codes() if row.untested is None]


def documented_base(remote_action_uid: str) -> dict[str, Any]:
    """The page's example request (requestUid "123", four devices) on synthetic devices."""
    return {
        "requestUid": "123",
        "remoteActionUid": remote_action_uid,
        "deviceUids": synthetic_device_uids(4),
    }


def _engines(nexthink_fixtures: NexthinkFixtures) -> list[str]:
    if nexthink_fixtures.has("engine_database_uids"):
        return nexthink_fixtures.uids("engine_database_uids")
    return []


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=row.code, marks=requirement(row.requirement)) for row in ROWS]
)
def test_request_breaking_one_rule_gets_its_code(
    row: ErrorCode,
    nexthink: ApiClient,
    nexthink_fixtures: NexthinkFixtures,
    restricted_authorization: Callable[[str], str],
) -> None:
    authorization: object = DEFAULT
    if row.auth == "restricted":
        authorization = restricted_authorization("nexthink")
    remote_action_uid = nexthink_fixtures.uid("remote_action_uid")
    values = nexthink_fixtures.placeholders()
    variants = row.usable(values)
    if not variants:
        needed: set[str] = set().union(*(variant.placeholders for variant in row.variants))
        pytest.skip(f"no request for {row.code}: set [fixtures] {', '.join(sorted(needed))}")
    limit = nexthink_fixtures.device_limit

    for variant in variants:  # each documented request once, on the page's example shape
        call = variant.apply(documented_base(remote_action_uid), values, device_limit=limit)
        sent = call.send(nexthink, mutating=False, authorization=authorization)
        expect_error(sent, row.status, row.code, variant.description)

    @search()
    @given(
        base=run_documents(remote_action_uid, engines=_engines(nexthink_fixtures)),
        variant=st.sampled_from(variants),
        position=st.integers(0, 8),
    )
    def any_valid_request_with_the_same_break(
        base: dict[str, Any], variant: Variant, position: int
    ) -> None:
        call = variant.apply(base, values, device_limit=limit, position=position)
        sent = call.send(nexthink, mutating=False, authorization=authorization)
        expect_error(sent, row.status, row.code, variant.description)

    any_valid_request_with_the_same_break()


WEAK_LIMIT = (
    "read-only probe: at the limit the request names an unknown remote action, so a server that "
    "looks the action up before it counts devices refuses it for the action and hides a limit "
    "one too low; --allow-mutations runs the limit with the target's remote action"
)


@requirement("NEXTHINK-ERR-TOO-MANY-DEVICES")
def test_device_limit_is_the_boundary(
    nexthink: ApiClient, nexthink_fixtures: NexthinkFixtures, request: pytest.FixtureRequest
) -> None:
    """limit + 1 devices answer TOO_MANY_DEVICES; the limit itself is not refused for its count.

    With mutations allowed, exactly the limit is sent as a real run of the target's remote action
    on synthetic devices, on the target's first Engine when it names any (a strong check: nothing
    else can refuse it). Read-only, a request
    within the limit names an unknown remote action, so it is still refused (for that), and the
    count is judged by the code, anything but TOO_MANY_DEVICES: a weak check, said in the report.
    """
    limit = nexthink_fixtures.device_limit
    remote_action_uid = nexthink_fixtures.uid("remote_action_uid")
    strong = nexthink.allow_mutations

    def check(count: int, real: bool = False) -> None:
        devices = synthetic_device_uids(count)
        if count > limit:
            what = f"{count} devices (limit {limit})"
            call = RunCall.of({"remoteActionUid": remote_action_uid, "deviceUids": devices})
            expect_error(call.send(nexthink, mutating=False), 400, "TOO_MANY_DEVICES", what)
            return
        if real:
            document = {
                "requestUid": "actionconform-device-limit",
                "remoteActionUid": remote_action_uid,
                "deviceUids": devices,
                "timeoutSeconds": RUN_TIMEOUT_SECONDS,
            }
            if nexthink_fixtures.has("engine_database_uids"):  # one Engine runs it, not all
                document["engineDatabaseUids"] = nexthink_fixtures.uids("engine_database_uids")[:1]
            response = RunCall.of(document).send(nexthink, mutating=True)
        else:
            unknown = {"remoteActionUid": UNKNOWN_REMOTE_ACTION_UID, "deviceUids": devices}
            response = RunCall.of(unknown).send(nexthink, mutating=False)
        checks.expect(
            error_code_of(response) != "TOO_MANY_DEVICES",
            f"{count} devices (limit {limit}) answered TOO_MANY_DEVICES",
            response,
        )

    check(limit, real=strong)
    check(limit + 1)

    @search()
    @given(count=st.integers(max(1, limit - 100), limit + 100))
    def near_the_limit(count: int) -> None:
        check(count)

    near_the_limit()
    if not strong:
        mark_weak(request.node, WEAK_LIMIT)
