"""Values BigFix case paths may name: ``{action_id}``, ``{missing_action_id}``."""

from __future__ import annotations

from typing import Any

import pytest

from conformance import checks
from conformance.http import ApiClient
from conformance.suites.context import Context

DEFAULT_MISSING_ACTION_ID = "999999999"


def listed_action_ids(client: ApiClient) -> list[str]:
    """IDs from GET /api/actions, in document order (skips if the list is unusable)."""
    response = client.request("GET", "/api/actions")
    if response.status != 200:
        pytest.skip(f"GET /api/actions answered {response.status}; no action to use")
    try:
        root = checks.parse_xml(response)
    except checks.CheckFailure:
        pytest.skip("GET /api/actions did not return XML; no action to use")
    return [element.text.strip() for element in root.iterfind("./Action/ID") if element.text]


def make_context(client: ApiClient, fixtures: dict[str, Any]) -> Context:
    def action_id() -> str:
        ids = [value for value in listed_action_ids(client) if value.isdigit()]
        if not ids:
            pytest.skip("the server lists no action with a numeric ID to read")
        return ids[0]

    def missing_action_id() -> str:
        if "missing_action_id" in fixtures:
            return str(fixtures["missing_action_id"])
        if DEFAULT_MISSING_ACTION_ID in listed_action_ids(client):
            pytest.skip("action 999999999 exists; set [fixtures] missing_action_id")
        return DEFAULT_MISSING_ACTION_ID

    return Context({"action_id": action_id, "missing_action_id": missing_action_id})
