"""GET /api/actions: what each listed Action's attributes promise."""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance import checks
from conformance.http import ApiClient, Response

requirement = pytest.mark.requirement


def _listed_actions(bigfix: ApiClient) -> tuple[Response, list[Any]]:
    response = bigfix.request("GET", "/api/actions")
    checks.expect_status(response, 200)
    root = checks.parse_xml(response)
    actions = root.findall("./Action")
    if not actions:
        pytest.skip("the server lists no action")
    return response, actions


@requirement("BIGFIX-ACTIONS-GET-RESOURCE")
def test_resource_points_at_the_action(bigfix: ApiClient) -> None:
    response, actions = _listed_actions(bigfix)
    for action in actions:
        identifier = (action.findtext("ID") or "").strip()
        resource = action.get("Resource") or ""
        checks.expect(
            re.search(rf"(^|/)api/action/{re.escape(identifier)}$", resource) is not None,
            f"Action {identifier}: Resource {resource!r} does not end in /api/action/{identifier}",
            response,
        )


@requirement("BIGFIX-ACTIONS-GET-LASTMODIFIED")
def test_last_modified_is_rfc1123(bigfix: ApiClient) -> None:
    response, actions = _listed_actions(bigfix)
    for action in actions:
        checks.expect_rfc1123(
            action.get("LastModified"),
            f"Action {action.findtext('ID')} LastModified",
            response,
        )
