"""Values EdgeIQ cases and tests may name: fleets, commands, configurations, settings.

Each comes from the target file's ``[fixtures]`` (a bundled run gets the reference server's own);
when one is missing, whatever needs the value is skipped with the fixture's name.
Nothing is ever picked from the server's own lists: every valid action executes on real
devices, so the fleet must be the one the user named.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.http import ApiClient
from conformance.suites.context import Context

# Shaped like EdgeIQ's 24-hex-digit IDs, so a server that checks the shape still looks it up.
DEFAULT_MISSING_FLEET_ID = "000000000000000000000000"
DEFAULT_UNKNOWN_BULK_RESPONSE_ID = "000000000000000000000000"
DEFAULT_GATEWAY_COMMAND = "reboot"

WHY = {
    "fleet_id": "the test fleet the suite may execute actions on",
    "command_id": "a user-defined command the test fleet may run",
    "configuration_id": "a configuration for send_configuration",
    "setting_id": "a setting of that configuration",
}


def make_context(client: ApiClient, fixtures: dict[str, Any]) -> Context:
    def named(key: str) -> str:
        value = fixtures.get(key)
        if value in (None, ""):
            pytest.skip(f"no [fixtures] {key} ({WHY[key]}) in the target file")
        return str(value)

    def provider(key: str) -> Any:
        return lambda: named(key)

    def with_default(key: str, default: str) -> Any:
        return lambda: str(fixtures.get(key) or default)

    providers = {key: provider(key) for key in WHY}
    providers["gateway_command"] = with_default("gateway_command", DEFAULT_GATEWAY_COMMAND)
    providers["missing_fleet_id"] = with_default("missing_fleet_id", DEFAULT_MISSING_FLEET_ID)
    providers["unknown_bulk_response_id"] = lambda: DEFAULT_UNKNOWN_BULK_RESPONSE_ID
    return Context(providers)
