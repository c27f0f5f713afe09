"""Property: a body that breaks exactly one documented rule answers 400, never 2xx or 5xx.

One test per rule, so a failure names the rule. The bodies go to the test fleet with
``mutating=False``: the docs say a conformant server refuses them, and they carry only inert
values (``strategies``), so they are sent in read-only runs too.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from conformance.http import ApiClient
from conformance.suites.edgeiq import strategies
from conformance.suites.edgeiq.bodies import FieldNames, encode, heartbeat
from conformance.suites.edgeiq.exchanges import post_refused

requirement = pytest.mark.requirement


@requirement("EDGEIQ-FLEET-ACTIONS-POST-MALFORMED")
@given(data=st.data())
def test_truncated_json_is_refused(
    data: st.DataObject, edgeiq: ApiClient, fleet_actions: str, edgeiq_fields: FieldNames
) -> None:
    text = data.draw(strategies.truncated(edgeiq_fields), label="body")
    post_refused(edgeiq, fleet_actions, text, "is cut-off JSON")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-MALFORMED")
@given(data=st.data())
def test_json_other_than_an_object_is_refused(
    data: st.DataObject, edgeiq: ApiClient, fleet_actions: str, edgeiq_fields: FieldNames
) -> None:
    text = data.draw(strategies.non_objects(edgeiq_fields), label="body")
    post_refused(edgeiq, fleet_actions, text, "is JSON but not an object")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-ACTION-REQUIRED")
@given(data=st.data())
def test_body_without_action_is_refused(
    data: st.DataObject, edgeiq: ApiClient, fleet_actions: str, edgeiq_fields: FieldNames
) -> None:
    body = data.draw(strategies.without_action(edgeiq_fields), label="body")
    post_refused(edgeiq, fleet_actions, encode(body), "has no action")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-ACTION-ENUM")
@given(action=strategies.unknown_actions())
@example(action="reboot")
def test_unknown_action_is_refused(action: object, edgeiq: ApiClient, fleet_actions: str) -> None:
    body = {"action": action, "tags": ["actionconform"]}
    post_refused(edgeiq, fleet_actions, encode(body), f"has action {action!r}")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-COMMAND-EXCLUSIVE")
@given(command_id=strategies.inert_strings(), gateway_command=strategies.inert_strings())
def test_both_commands_are_refused(
    command_id: str, gateway_command: str, edgeiq: ApiClient, fleet_actions: str
) -> None:
    body = {"action": "issue_command", "command_id": command_id, "gateway_command": gateway_command}
    post_refused(edgeiq, fleet_actions, encode(body), "names command_id and gateway_command")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-SEND-CONFIGURATION-REQUIRED")
@pytest.mark.parametrize("missing", strategies.SEND_CONFIGURATION_KEYS)
@given(data=st.data())
def test_send_configuration_without_an_id_is_refused(
    missing: str,
    data: st.DataObject,
    edgeiq: ApiClient,
    fleet_actions: str,
    edgeiq_fields: FieldNames,
) -> None:
    body = data.draw(strategies.send_configuration_without(edgeiq_fields, missing=missing))
    name = getattr(edgeiq_fields, missing)
    post_refused(edgeiq, fleet_actions, encode(body), f"is send_configuration without {name}")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-HEARTBEAT-MIN")
def test_heartbeat_period_of_zero_is_refused(
    edgeiq: ApiClient, fleet_actions: str, edgeiq_fields: FieldNames
) -> None:
    body = encode(heartbeat(edgeiq_fields, 0))
    post_refused(edgeiq, fleet_actions, body, f"sets {edgeiq_fields.heartbeat_period} to 0")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-HEARTBEAT-MIN")
@given(period=st.integers(max_value=0))
def test_heartbeat_period_below_one_is_refused(
    period: int, edgeiq: ApiClient, fleet_actions: str, edgeiq_fields: FieldNames
) -> None:
    body = encode(heartbeat(edgeiq_fields, period))
    post_refused(edgeiq, fleet_actions, body, f"sets {edgeiq_fields.heartbeat_period} to {period}")


@requirement("EDGEIQ-FLEET-ACTIONS-POST-TYPES")
@pytest.mark.parametrize(
    ("field", "kind"),
    list(strategies.WRONG_TYPES),
    ids=[f"{f}-{k}" for f, k in strategies.WRONG_TYPES],
)
@given(data=st.data())
def test_wrongly_typed_parameter_is_refused(
    field: str,
    kind: str,
    data: st.DataObject,
    edgeiq: ApiClient,
    fleet_actions: str,
    edgeiq_fields: FieldNames,
) -> None:
    body = data.draw(strategies.wrongly_typed(edgeiq_fields, field=field, kind=kind), label="body")
    name = getattr(edgeiq_fields, field, field)
    post_refused(edgeiq, fleet_actions, encode(body), f"gives {name} as {kind}")
