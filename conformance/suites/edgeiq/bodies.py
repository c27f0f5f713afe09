"""Request bodies for POST /fleets/{id}/actions: the valid ones the suite executes, and the
inert values that go into bodies a conformant server must refuse.

The page shows the JSON names ``action``, ``command_id`` (issue_command), ``gateway_command``,
``tags`` and ``metadata``. The heartbeat and send_configuration names are not published: they
come from the target file's ``[fields]`` (``FieldNames``), defaults as in CONTRACT.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

ACTIONS = ("issue_command", "send_configuration", "add_tags", "add_metadata", "update_heartbeat")
JSON_HEADERS = {"Content-Type": "application/json"}
# What a valid body adds to the test fleet: one tag and one metadata key, both easy to find.
PROBE_TAG = "actionconform"
PROBE_METADATA = {"actionconform": "conformance run"}
# Names that no EdgeIQ account has: a refused body never names a real command or setting.
INERT_ID = "actionconform-no-such-object"


@dataclass(frozen=True)
class FieldNames:
    """JSON names the vendor page does not publish (``[fields]`` of the target file)."""

    heartbeat_period: str = "heartbeat_period"
    heartbeat_values: str = "heartbeat_values"
    configuration_id: str = "configuration_id"
    setting_id: str = "setting_id"
    setting_version: str = "setting_version"
    command_id: str = "command_id"  # send_configuration's command; issue_command's is published

    @classmethod
    def from_target(cls, overrides: Mapping[str, str]) -> FieldNames:
        known = {item.name for item in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown [fields] key(s) {sorted(unknown)}")
        return cls(**{key: str(value) for key, value in overrides.items()})


def encode(body: object) -> str:
    return json.dumps(body, separators=(",", ":"))


def send_configuration(
    names: FieldNames, configuration_id: str, setting_id: str, command_id: str
) -> dict[str, Any]:
    return {
        "action": "send_configuration",
        names.configuration_id: configuration_id,
        names.setting_id: setting_id,
        names.command_id: command_id,
    }


def heartbeat(names: FieldNames, period: object) -> dict[str, Any]:
    return {"action": "update_heartbeat", names.heartbeat_period: period}


def valid_body(name: str, names: FieldNames, values: Mapping[str, str]) -> dict[str, Any]:
    """One of ``VALID_BODIES``, filled from the context (which may skip for a fixture)."""
    if name == "add_tags":
        return {"action": "add_tags", "tags": [PROBE_TAG]}
    if name == "add_metadata":
        return {"action": "add_metadata", "metadata": dict(PROBE_METADATA)}
    if name == "update_heartbeat":
        return heartbeat(names, 60)
    if name == "issue_command with gateway_command":
        return {"action": "issue_command", "gateway_command": values["gateway_command"]}
    if name == "issue_command with command_id":
        return {"action": "issue_command", "command_id": values["command_id"]}
    body = send_configuration(
        names, values["configuration_id"], values["setting_id"], values["command_id"]
    )
    if name == "send_configuration":
        return body  # setting_version left out: "Defaults to 0"
    if name == "send_configuration of the latest version":
        return {**body, names.setting_version: 0}  # "Use 0 for the latest version."
    raise ValueError(f"no valid body named {name!r}")


VALID_BODIES = (
    "add_tags",
    "add_metadata",
    "update_heartbeat",
    "issue_command with gateway_command",
    "issue_command with command_id",
    "send_configuration",
    "send_configuration of the latest version",
)
