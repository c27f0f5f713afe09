"""The EdgeIQ reference server agrees with the schemas, and the suite's bodies agree with both.

Requests go straight to ``EdgeIQApp.dispatch`` (no sockets). The request schema is written for
the default field names, so the cross-checks use ``FieldNames()``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.checks import json_schema
from conformance.servers.base import Request
from conformance.servers.edgeiq import (
    BUNDLED_TOKEN,
    SEEDED_COMMAND_ID,
    SEEDED_CONFIGURATION_ID,
    SEEDED_FLEET_ID,
    SEEDED_SETTING_ID,
    EdgeIQApp,
)
from conformance.suites.edgeiq import strategies
from conformance.suites.edgeiq.bodies import VALID_BODIES, FieldNames, encode, valid_body

NAMES = FieldNames()
VALUES = {
    "gateway_command": "reboot",
    "command_id": SEEDED_COMMAND_ID,
    "configuration_id": SEEDED_CONFIGURATION_ID,
    "setting_id": SEEDED_SETTING_ID,
}
REQUEST_SCHEMA = "edgeiq/fleet-action-request.schema.json"
ACTIONS_PATH = f"/fleets/{SEEDED_FLEET_ID}/actions"


def call(
    app: EdgeIQApp,
    method: str,
    path: str,
    body: bytes | str = b"",
    token: str | None = BUNDLED_TOKEN,
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = token
    data = body.encode() if isinstance(body, str) else body
    reply = app.dispatch(Request(method, app.BASE_PATH + path, {}, headers, data))
    try:
        document = json.loads(reply.encoded()) if reply.encoded() else None
    except ValueError:
        document = reply.encoded().decode()
    return reply.status, document


def test_answers_only_under_the_documented_base_path() -> None:
    app = EdgeIQApp()
    outside = app.dispatch(Request("GET", "/fleets", {}, {"Authorization": BUNDLED_TOKEN}, b""))
    assert outside.status == 404
    assert call(app, "GET", "/fleets")[0] == 200


@pytest.mark.parametrize("token", [None, "actionconform-invalid-token", f"Bearer {BUNDLED_TOKEN}"])
def test_refuses_a_missing_or_wrong_token_with_not_authorized(token: str | None) -> None:
    status, document = call(EdgeIQApp(), "GET", "/fleets", token=token)
    assert status == 401
    assert document == {"message": "Not authorized"}


@pytest.mark.parametrize("name", VALID_BODIES)
def test_every_valid_body_is_schema_valid_and_accepted(name: str) -> None:
    body = valid_body(name, NAMES, VALUES)
    assert json_schema(REQUEST_SCHEMA).is_valid(body)
    app = EdgeIQApp()
    status, document = call(app, "POST", ACTIONS_PATH, encode(body))
    assert status == 202
    assert json_schema("edgeiq/fleet-action-accepted.schema.json").is_valid(document)


def test_bulk_response_reads_back_and_progresses() -> None:
    app = EdgeIQApp()
    _, accepted = call(app, "POST", ACTIONS_PATH, encode({"action": "add_tags", "tags": ["t"]}))
    path = f"/bulk_responses/{accepted['bulk_response_id']}"
    reads = [call(app, "GET", path) for _ in range(4)]
    assert {status for status, _ in reads} == {200}
    schema = json_schema("edgeiq/bulk-response.schema.json")
    assert all(schema.is_valid(document) for _, document in reads)
    # One more device reports on each read; the identity stays, the total counts every device.
    reported = [
        [entry.get("status") for entry in document["bulk_response_statuses"]]
        for _, document in reads
    ]
    assert reported == [
        ["success", None, None],
        ["success", "success", None],
        ["success", "success", "success"],
        ["success", "success", "success"],
    ]
    assert {(d["_id"], d["created_at"], d["total"]) for _, d in reads} == {
        (accepted["bulk_response_id"], reads[0][1]["created_at"], 3)
    }
    entries = [entry for _, d in reads for entry in d["bulk_response_statuses"]]
    assert {entry["bulk_response_id"] for entry in entries} == {accepted["bulk_response_id"]}
    assert "t" in app.fleets[SEEDED_FLEET_ID].tags
    assert call(app, "GET", "/bulk_responses/000000000000000000000000")[0] == 404


def test_unknown_fleet_is_404_and_changes_nothing() -> None:
    app = EdgeIQApp()
    body = encode({"action": "add_tags", "tags": ["t"]})
    assert call(app, "POST", "/fleets/000000000000000000000000/actions", body)[0] == 404
    assert app.bulk_responses == {}


@pytest.mark.parametrize(
    "body",
    [
        {"action": "update_heartbeat", "heartbeat_period": 0},
        {"action": "update_heartbeat", "heartbeat_period": True},
        {"action": "issue_command", "command_id": "c", "gateway_command": "g"},
        {"action": "send_configuration", "configuration_id": "c", "command_id": "c"},
    ],
    ids=["period 0", "period true", "both commands", "no setting"],
)
def test_schema_and_server_refuse_the_same_bodies(body: dict[str, Any]) -> None:
    assert not json_schema(REQUEST_SCHEMA).is_valid(body)
    assert call(EdgeIQApp(), "POST", ACTIONS_PATH, encode(body))[0] == 400


def _refused_bodies() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        strategies.without_action(NAMES),
        strategies.unknown_actions().map(lambda action: {"action": action, "tags": ["t"]}),
        *(
            strategies.send_configuration_without(NAMES, missing=missing)
            for missing in strategies.SEND_CONFIGURATION_KEYS
        ),
        *(
            strategies.wrongly_typed(NAMES, field=field, kind=kind)
            for field, kind in strategies.WRONG_TYPES
        ),
        st.integers(max_value=0).map(
            lambda p: {"action": "update_heartbeat", "heartbeat_period": p}
        ),
    )


@settings(max_examples=200, deadline=None, database=None)
@given(body=_refused_bodies())
def test_every_refused_body_breaks_the_schema_and_is_refused(body: dict[str, Any]) -> None:
    assert not json_schema(REQUEST_SCHEMA).is_valid(body)
    assert call(EdgeIQApp(), "POST", ACTIONS_PATH, encode(body))[0] == 400


@settings(max_examples=100, deadline=None, database=None)
@given(body=strategies.from_actions(NAMES))
def test_inert_bodies_are_valid_and_name_nothing_real(body: dict[str, Any]) -> None:
    assert json_schema(REQUEST_SCHEMA).is_valid(body)
    values = [value for key, value in body.items() if key != "action" and isinstance(value, str)]
    assert all(value.startswith("actionconform-") for value in values)


@settings(max_examples=50, deadline=None, database=None)
@given(text=st.one_of(strategies.truncated(NAMES), strategies.non_objects(NAMES)))
def test_malformed_bodies_are_refused(text: str) -> None:
    assert call(EdgeIQApp(), "POST", ACTIONS_PATH, text)[0] == 400


def test_field_names_are_configurable() -> None:
    fields = {"heartbeat_period": "period", "setting_id": "setting"}
    app = EdgeIQApp(fields=fields)
    names = FieldNames.from_target(fields)
    for body, status in [
        (valid_body("send_configuration", names, VALUES), 202),
        (valid_body("send_configuration", NAMES, VALUES), 400),
        ({"action": "update_heartbeat", "period": 0}, 400),
        ({"action": "update_heartbeat", "heartbeat_period": 0}, 202),  # not its name: ignored
    ]:
        assert call(app, "POST", ACTIONS_PATH, encode(body))[0] == status, body


def test_unknown_field_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        EdgeIQApp(fields={"period": "p"})
    with pytest.raises(ValueError):
        FieldNames.from_target({"period": "p"})


@pytest.mark.parametrize(
    ("call_strategy", "kwargs"),
    [
        (strategies.from_actions, {"actions": ()}),
        (strategies.from_actions, {"actions": ("update_heartbeat",)}),
        (strategies.send_configuration_without, {"missing": "setting_version"}),
        (strategies.wrongly_typed, {"field": "tags", "kind": "boolean"}),
    ],
)
def test_strategies_refuse_invalid_arguments(call_strategy: Any, kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        call_strategy(NAMES, **kwargs).example()


@pytest.mark.parametrize(
    ("document", "valid"),
    [
        ({"bulk_response_id": "5f3c0a9e2b1d4c6e8f7a0b1c", "status": "enqueued"}, True),
        ({"bulk_response_id": 42}, True),
        ({"id": "5f3c0a9e2b1d4c6e8f7a0b1c"}, False),
        ({"bulk_response_id": ""}, False),
        ({"bulk_response_id": True}, False),
        ({"bulk_response_id": "a/b"}, False),
        (["5f3c0a9e2b1d4c6e8f7a0b1c"], False),
    ],
)
def test_accepted_schema_needs_a_usable_bulk_response_id(document: Any, valid: bool) -> None:
    assert json_schema("edgeiq/fleet-action-accepted.schema.json").is_valid(document) is valid


@pytest.mark.parametrize(
    ("variant", "first_device"),
    [
        ("bulk-gateway-statuses", ["sent", "enqueued", "success", "success"]),
        ("bulk-fail-then-success", ["fail", "success", "success", "success"]),
        ("bulk-statuses-as-reported", ["success", "success", "success", "success"]),
    ],
)
def test_bulk_response_variants_answer_differently(variant: str, first_device: list[str]) -> None:
    """Each variant's repeated reads: the first device's statuses, and how many devices show."""
    app = EdgeIQApp(variant=variant)
    _, accepted = call(app, "POST", ACTIONS_PATH, encode({"action": "add_tags", "tags": ["t"]}))
    path = f"/bulk_responses/{accepted['bulk_response_id']}"
    reads = [call(app, "GET", path)[1] for _ in range(4)]
    schema = json_schema("edgeiq/bulk-response.schema.json")
    assert all(schema.is_valid(document) for document in reads)
    assert [d["bulk_response_statuses"][0].get("status") for d in reads] == first_device
    shown = [len(d["bulk_response_statuses"]) for d in reads]
    assert shown == ([1, 2, 3, 3] if variant == "bulk-statuses-as-reported" else [3, 3, 3, 3])


def test_answer_variants_answer_differently() -> None:
    body = encode({"action": "add_tags", "tags": ["t"]})
    status, accepted = call(EdgeIQApp(variant="accepted-full-body"), "POST", ACTIONS_PATH, body)
    assert status == 202 and accepted["bulk_response_id"] == accepted["_id"]
    assert accepted["total"] == 3 and accepted["bulk_response_statuses"]
    plain = EdgeIQApp(variant="errors-text-plain")
    assert call(plain, "GET", "/fleets", token=None) == (401, "Not authorized")
    assert call(plain, "POST", ACTIONS_PATH, "{}") == (400, "action is required")
    missing = call(plain, "GET", "/bulk_responses/000000000000000000000000")
    assert missing == (404, "The item you were looking for does not exist")
