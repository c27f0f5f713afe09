"""Values Redis Enterprise case paths may name, and the reads the tests share.

Placeholders: ``{action_uid}``, ``{missing_action_uid}``, ``{bdb_uid}``, ``{cluster_action}``,
``{missing_cluster_action}``. Target-file fixtures: ``action_uid``, ``bdb_uid`` (default: the
database of the first listed state machine, ``object_name`` ``bdb:<uid>``), ``cluster_action``
(default ``change_master``) and ``cluster_action_body`` (default ``{"node_uid": "2"}``, a TOML
table or a JSON string).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from conformance import checks
from conformance.http import ApiClient, Response
from conformance.outcomes import untested
from conformance.suites.context import Context

DEFAULT_CLUSTER_ACTION = "change_master"
DEFAULT_CLUSTER_ACTION_BODY: dict[str, Any] = {"node_uid": "2"}
MISSING_ACTION_UID = "00000000-0000-4000-8000-000000000000"
# Every name the suite invents starts with this, so it can never be a real cluster action.
UNKNOWN_ACTION_PREFIX = "actionconform_"
MISSING_CLUSTER_ACTION = UNKNOWN_ACTION_PREFIX + "no_such_action"


def get_json(client: ApiClient, path: str) -> tuple[Response, Any]:
    """GET a JSON document; skips (cannot assess) when the answer is not 200 with JSON."""
    response = client.request("GET", path)
    if response.status != 200:
        untested(f"GET {path} answered {response.status}; nothing to assess")
    try:
        return response, response.json()
    except ValueError:
        untested(f"GET {path} did not answer JSON; nothing to assess")


def expect_each_uid_fetches_its_action(
    client: ApiClient, path: str, uids: list[str], label: str = "action"
) -> None:
    """``GET {path}/{uid}`` answers 200 with that ``action_uid``, for each of ``uids``."""
    for uid in uids:
        response = client.request("GET", f"{path}/{uid}")
        checks.expect_status(response, 200)
        try:
            got = response.json().get("action_uid")
        except (ValueError, AttributeError):
            raise checks.fail(f"GET {path}/{uid} is not a JSON object", response) from None
        checks.expect(got == uid, f"asked for {label} {uid}, got action_uid {got!r}", response)


@dataclass
class ActionList:
    """GET /v1/actions, read leniently so each requirement judges only its own rule."""

    response: Response
    document: Any

    @property
    def actions(self) -> list[Any]:
        """The action entries: the ``actions`` array, or the body itself if it is an array."""
        if isinstance(self.document, list):
            return self.document
        if isinstance(self.document, dict) and isinstance(self.document.get("actions"), list):
            return list(self.document["actions"])
        return []

    @property
    def state_machines(self) -> list[Any] | None:
        """The ``state-machines`` array, or None when the body has none."""
        if isinstance(self.document, dict):
            machines = self.document.get("state-machines")
            if isinstance(machines, list):
                return machines
        return None

    def uids(self) -> set[str]:
        entries = self.actions + (self.state_machines or [])
        return {
            entry["action_uid"]
            for entry in entries
            if isinstance(entry, dict) and isinstance(entry.get("action_uid"), str)
        }


def action_list(client: ApiClient) -> ActionList:
    return ActionList(*get_json(client, "/v1/actions"))


def listed_cluster_actions(client: ApiClient) -> tuple[Response, list[Any]]:
    """GET /v1/cluster/actions: the response and its ``actions`` entries (lenient)."""
    response, document = get_json(client, "/v1/cluster/actions")
    if isinstance(document, dict) and isinstance(document.get("actions"), list):
        return response, list(document["actions"])
    if isinstance(document, list):
        return response, document
    return response, []


def cluster_action_name(fixtures: dict[str, Any]) -> str:
    return str(fixtures.get("cluster_action", DEFAULT_CLUSTER_ACTION))


def cluster_action_body(fixtures: dict[str, Any]) -> bytes:
    """The POST body for the fixture action, as JSON bytes."""
    body = fixtures.get("cluster_action_body", DEFAULT_CLUSTER_ACTION_BODY)
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            pytest.fail(f"[fixtures] cluster_action_body is not JSON: {body!r}")
    return json.dumps(body).encode("utf-8")


def make_context(client: ApiClient, fixtures: dict[str, Any]) -> Context:
    def action_uid() -> str:
        if "action_uid" in fixtures:
            return str(fixtures["action_uid"])
        for entry in action_list(client).actions:
            if isinstance(entry, dict) and isinstance(entry.get("action_uid"), str):
                return str(entry["action_uid"])
        pytest.skip("the server lists no action; set [fixtures] action_uid")

    def bdb_uid() -> str:
        if "bdb_uid" in fixtures:
            return str(fixtures["bdb_uid"])
        for machine in action_list(client).state_machines or []:
            name = machine.get("object_name") if isinstance(machine, dict) else None
            if isinstance(name, str) and name.startswith("bdb:") and name[4:]:
                return name[4:]
        pytest.skip("the server lists no state machine of a database; set [fixtures] bdb_uid")

    def missing_action_uid() -> str:
        if MISSING_ACTION_UID in action_list(client).uids():
            untested(f"action {MISSING_ACTION_UID} exists; nothing is missing")
        return MISSING_ACTION_UID

    return Context(
        {
            "action_uid": action_uid,
            "missing_action_uid": missing_action_uid,
            "bdb_uid": bdb_uid,
            "cluster_action": lambda: cluster_action_name(fixtures),
            "missing_cluster_action": lambda: MISSING_CLUSTER_ACTION,
        }
    )
