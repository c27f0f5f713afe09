"""Reference server for EdgeIQ "Execute Fleet Action" and the bulk responses that track it.

Paths are relative to the documented base path ``/api/v1/platform`` (the real service is
``https://api.edgeiq.io/api/v1/platform``): the server answers only under it, so a client
configured with the real base path works unchanged. Authentication is the raw token in
``Authorization`` (no scheme). State lives in ``EdgeIQApp.fleets`` and
``EdgeIQApp.bulk_responses``; ``FAULTS`` breaks one documented behaviour each, named after
the requirement it breaks.

The JSON names of the heartbeat period and values and of the send_configuration fields are not
published; the app takes them as ``fields`` (defaults: the key itself, as in CONTRACT.md).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.servers.base import (
    BUNDLED_RESTRICTED_TOKEN,
    BUNDLED_TOKEN,
    Fault,
    Handler,
    ReferenceApp,
    Reply,
    Request,
    Variant,
    route,
)

JSON = "application/json"
ACTIONS = ("issue_command", "send_configuration", "add_tags", "add_metadata", "update_heartbeat")
FIELD_KEYS = (
    "heartbeat_period",
    "heartbeat_values",
    "configuration_id",
    "setting_id",
    "setting_version",
    "command_id",
)
SEEDED_FLEET_ID = "5f3c0a9e2b1d4c6e8f7a0b1c"
SEEDED_COMMAND_ID = "5f3c0a9e2b1d4c6e8f7a0c01"
SEEDED_CONFIGURATION_ID = "5f3c0a9e2b1d4c6e8f7a0d01"
SEEDED_SETTING_ID = "5f3c0a9e2b1d4c6e8f7a0e01"
DEFAULT_OTHER_BULK_RESPONSE_ID = "5f3c0a9e2b1d4c6e8f7a0f01"  # names no bulk response

FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault(
            "no-auth",
            "EDGEIQ-AUTH-401",
            "answers requests that carry no valid token",
            also_untested=("EDGEIQ-AUTH-401-BODY",),  # no 401 body is left to judge
        ),
        Fault(
            "restricted-token-acts",
            "EDGEIQ-FLEET-ACTIONS-POST-403",
            "a valid token without access to the fleet executes actions on it",
        ),
        Fault(
            "auth-body-wording",
            "EDGEIQ-AUTH-401-BODY",
            "a 401 body says 'Invalid credentials' instead of 'Not authorized'",
        ),
        Fault(
            "malformed-500",
            "EDGEIQ-FLEET-ACTIONS-POST-MALFORMED",
            "a body that is not JSON crashes the handler (500)",
        ),
        Fault(
            "action-missing-accepted",
            "EDGEIQ-FLEET-ACTIONS-POST-ACTION-REQUIRED",
            "a body without action is accepted (202)",
        ),
        Fault(
            "action-enum-unchecked",
            "EDGEIQ-FLEET-ACTIONS-POST-ACTION-ENUM",
            "an action outside the enum is accepted (202)",
        ),
        Fault(
            "issue-command-empty",
            "EDGEIQ-FLEET-ACTIONS-POST-ISSUE-COMMAND-REQUIRED",
            "issue_command with neither command_id nor gateway_command is accepted",
        ),
        Fault(
            "command-both-accepted",
            "EDGEIQ-FLEET-ACTIONS-POST-COMMAND-EXCLUSIVE",
            "command_id together with gateway_command is accepted (gateway_command wins)",
        ),
        Fault(
            "tags-missing-500",
            "EDGEIQ-FLEET-ACTIONS-POST-TAGS-REQUIRED",
            "add_tags without tags crashes the handler (500)",
        ),
        Fault(
            "metadata-missing-accepted",
            "EDGEIQ-FLEET-ACTIONS-POST-METADATA-REQUIRED",
            "add_metadata without metadata is accepted",
        ),
        Fault(
            "setting-id-unchecked",
            "EDGEIQ-FLEET-ACTIONS-POST-SEND-CONFIGURATION-REQUIRED",
            "send_configuration without the setting ID is accepted (the other two are checked)",
        ),
        Fault(
            "heartbeat-zero-accepted",
            "EDGEIQ-FLEET-ACTIONS-POST-HEARTBEAT-MIN",
            "a heartbeat period of 0 is accepted (the check is 'not negative')",
        ),
        Fault(
            "heartbeat-one-rejected",
            "EDGEIQ-FLEET-ACTIONS-POST-HEARTBEAT-MIN",
            "a heartbeat period of 1 is refused (the check is 'greater than 1')",
        ),
        Fault(
            "tags-string-accepted",
            "EDGEIQ-FLEET-ACTIONS-POST-TYPES",
            "tags given as one string instead of an array is accepted",
        ),
        Fault(
            "heartbeat-bool-accepted",
            "EDGEIQ-FLEET-ACTIONS-POST-TYPES",
            "a JSON boolean is taken as an integer heartbeat period (true = 1)",
        ),
        Fault(
            "unknown-fleet-accepted",
            "EDGEIQ-FLEET-ACTIONS-POST-404",
            "an action on an unknown fleet is accepted on zero devices",
        ),
        Fault(
            "setting-version-required",
            "EDGEIQ-FLEET-ACTIONS-POST-ACCEPTED",
            "send_configuration without the setting version is refused (it defaults to 0)",
        ),
        Fault(
            "no-bulk-response-id",
            "EDGEIQ-FLEET-ACTIONS-POST-BULK-RESPONSE-ID",
            "the accepted answer names the bulk response 'id' instead of 'bulk_response_id'",
            # no bulk response ID to follow, so no bulk response is read
            also_untested=(
                "EDGEIQ-BULK-RESPONSE-GET",
                "EDGEIQ-BULK-RESPONSE-TRACKS",
                "EDGEIQ-BULK-RESPONSE-STATUSES",
            ),
        ),
        # Caught only by judging the exchange against the spec (no hand-written check looks).
        Fault(
            "bulk-response-text-plain",
            "EDGEIQ-BULK-RESPONSE-GET",
            "GET /bulk_responses/{bulk_response_id} labels its JSON body text/plain",
            also_untested=("EDGEIQ-BULK-RESPONSE-STATUSES",),  # a body not labelled JSON
        ),
        Fault(
            "bulk-response-lost",
            "EDGEIQ-BULK-RESPONSE-GET",
            "a bulk_response_id just returned answers 404",
            also_fails=("EDGEIQ-BULK-RESPONSE-TRACKS",),  # no read of it answers
            also_untested=("EDGEIQ-BULK-RESPONSE-STATUSES",),  # no bulk response body is read
        ),
        Fault(
            "bulk-response-read-once",
            "EDGEIQ-BULK-RESPONSE-TRACKS",
            "a bulk response answers its first read, then 404",
        ),
        Fault(
            "bulk-response-new-id",
            "EDGEIQ-BULK-RESPONSE-TRACKS",
            "each read of a bulk response shows a new _id",
        ),
        Fault(
            "bulk-response-foreign-statuses",
            "EDGEIQ-BULK-RESPONSE-TRACKS",
            "the device statuses name another bulk response",
        ),
        # Caught only by the spec judge (the bulk response schema's device statuses).
        Fault(
            "bulk-response-status-word",
            "EDGEIQ-BULK-RESPONSE-STATUSES",
            "a device that finished reports status 'done', a word no page documents",
        ),
    )
}


# Conformant ways of answering (conformance mock edgeiq --variant NAME); the HTTP-level ones
# come from servers.base.
VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            "action-200",
            "an accepted fleet action answers 200 (default 202)",
            "NOTES.md: the success status code is not published (any 2xx)",
        ),
        Variant(
            "action-201",
            "an accepted fleet action answers 201 (default 202)",
            "NOTES.md: the success status code is not published (any 2xx)",
        ),
        Variant(
            "accepted-full-body",
            "an accepted fleet action answers the whole new bulk response, not only its ID",
            "fleet-execute-action.md names only the bulk_response_id the answer returns; the rest "
            "of the body is unpublished",
        ),
        Variant(
            "errors-text-plain",
            "400, 401 and 404 answer a text/plain message (401: 'Not authorized')",
            "fleet-execute-action.md gives the error statuses and their meaning, no body; NOTES.md "
            "only says a 401 has 'Not authorized' in the body",
        ),
        Variant(
            "bulk-gateway-statuses",
            "a device goes sent, enqueued, then success over repeated reads",
            "NOTES.md: 'Gateway command statuses: sent, enqueued, success, fail' are documented "
            "words; no page says a device status starts at success or fail",
        ),
        Variant(
            "bulk-fail-then-success",
            "a device first reports fail, and success on a later read (a retry)",
            "no page says a device status is final: a later read may show another documented word",
        ),
        Variant(
            "bulk-statuses-as-reported",
            "a device appears in bulk_response_statuses only once it reports (total counts all)",
            "no page says the list holds every device from the start (the SDK types it, not when "
            "entries appear); progress is read over time",
        ),
    )
}


class Invalid(Exception):
    """The body breaks a documented rule: 400 with this message."""


@dataclass
class Fleet:
    """A fleet and what executed actions left on its devices."""

    id: str
    name: str
    device_ids: list[str]
    tags: set[str] = field(default_factory=set)
    metadata: dict[str, Any] = field(default_factory=dict)
    heartbeat_period: int | None = None


@dataclass
class DeviceStatus:
    """One device of a bulk response: what it reported so far (None: not yet)."""

    device_id: str
    words: list[str] = field(default_factory=list)  # the statuses it will report, in order
    shown: int = 0  # how many of them it has reported

    @property
    def status(self) -> str | None:
        return self.words[self.shown - 1] if self.shown else None


@dataclass
class BulkResponse:
    """One executed fleet action, shaped as the SDK types it (NOTES.md): the common fields,
    ``type``, ``total`` and one ``bulk_response_statuses`` entry per device.

    Each read lets one more device report (``advance``), so repeated reads show progress.
    """

    id: str
    fleet_id: str
    action: str
    devices: list[DeviceStatus]
    created_at: str = field(default_factory=lambda: _now())
    updated_at: str = ""
    reads: int = 0

    def __post_init__(self) -> None:
        self.updated_at = self.updated_at or self.created_at

    def advance(self) -> None:
        """One step of progress: the first device with a status left to report reports it."""
        for device in self.devices:
            if device.shown < len(device.words):
                device.shown += 1
                self.updated_at = _now()
                return

    def document(self, *, as_reported: bool = False) -> dict[str, Any]:
        statuses = []
        for device in self.devices:
            if as_reported and device.status is None:
                continue
            entry: dict[str, Any] = {"bulk_response_id": self.id, "device_id": device.device_id}
            if device.status is not None:
                entry["status"] = device.status
            if device.status == "fail":
                entry["error"] = "the device did not answer"
            statuses.append(entry)
        return {
            "_id": self.id,
            "origin": "api",
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "company_id": "actionconform",
            "user_id": "actionconform-user",
            "type": self.action,
            "total": len(self.devices),
            "bulk_response_statuses": statuses,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(status: int, document: object) -> Reply:
    return Reply(status, json.dumps(document), JSON)


def _message(status: int, message: str, plain: bool) -> Reply:
    """An error answer: ``{"message": ...}``, or the bare text (variant ``errors-text-plain``)."""
    return Reply(status, message, "text/plain") if plain else _json(status, {"message": message})


def _present(body: Mapping[str, Any], name: str) -> bool:
    """A key counts as given unless it is absent or null."""
    return body.get(name) is not None


def _is_int(value: object) -> bool:
    """An integer as JSON Schema counts them: ``20`` and ``20.0`` alike, never ``true``."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _is_strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


class EdgeIQApp(ReferenceApp):
    API = "edgeiq"
    # Bulk responses cannot be deleted through the API, and an executed fleet action changes the
    # fleet's devices (tags, metadata, heartbeat) with no undo: the documented effect of a
    # mutation, which is why --allow-mutations against EdgeIQ must name a test fleet.
    HISTORY = ("bulk_responses", "fleets")
    VARIANTS = VARIANTS
    FAULTS = FAULTS
    BASE_PATH = "/api/v1/platform"

    def __init__(
        self,
        fault: str | None = None,
        *,
        fields: Mapping[str, str] | None = None,
        token: str = BUNDLED_TOKEN,
        variant: str | None = None,
        vendor_version: str | None = None,
    ) -> None:
        super().__init__(fault, variant=variant, vendor_version=vendor_version)
        unknown = set(fields or {}) - set(FIELD_KEYS)
        if unknown:
            raise ValueError(f"unknown field key(s) {sorted(unknown)}")
        self.names = {key: (fields or {}).get(key, key) for key in FIELD_KEYS}
        self.token = token
        devices = [f"actionconform-device-{index}" for index in range(1, 4)]
        self.fleets = {SEEDED_FLEET_ID: Fleet(SEEDED_FLEET_ID, "actionconform test fleet", devices)}
        self.bulk_responses: dict[str, BulkResponse] = {}

    # -- plumbing --------------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        return request.header("Authorization") == self.token

    def restricted(self, request: Request) -> bool:
        """A valid token of a user without access to any fleet (it may read bulk responses)."""
        return request.header("Authorization") == BUNDLED_RESTRICTED_TOKEN

    def handle(self, request: Request, handler: Handler) -> Reply:
        known = self.authorized(request) or self.restricted(request)
        if not known and not self.faulty("no-auth"):
            message = (
                "Invalid credentials" if self.faulty("auth-body-wording") else "Not authorized"
            )
            return _message(401, message, self.varies("errors-text-plain"))
        return super().handle(request, handler)

    def not_found(self, request: Request) -> Reply:
        text = "The item you were looking for does not exist"
        return _message(404, text, self.varies("errors-text-plain"))

    # -- validation ------------------------------------------------------------------------

    def parse(self, body: bytes) -> dict[str, Any]:
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            if self.faulty("malformed-500"):
                raise
            raise Invalid("the body is not JSON") from None
        if not isinstance(document, dict):
            raise Invalid("the body must be a JSON object")
        return document

    def check_types(self, body: Mapping[str, Any]) -> None:
        names = self.names
        strings = ["command_id", "gateway_command", names["configuration_id"], names["setting_id"]]
        strings.append(names["command_id"])
        for name in strings:
            if _present(body, name) and not isinstance(body[name], str):
                raise Invalid(f"{name} must be a string")
        tags = body.get("tags")
        tags_ok = _is_strings(tags) or (
            self.faulty("tags-string-accepted") and isinstance(tags, str)
        )
        if tags is not None and not tags_ok:
            raise Invalid("tags must be an array of strings")
        if _present(body, "metadata") and not isinstance(body["metadata"], dict):
            raise Invalid("metadata must be an object")
        if _present(body, names["heartbeat_values"]) and not _is_strings(
            body[names["heartbeat_values"]]
        ):
            raise Invalid(f"{names['heartbeat_values']} must be an array of strings")
        period = body.get(names["heartbeat_period"])
        period_ok = _is_int(period) or (
            self.faulty("heartbeat-bool-accepted") and isinstance(period, bool)
        )
        if period is not None and not period_ok:
            raise Invalid(f"{names['heartbeat_period']} must be an integer")
        version = body.get(names["setting_version"])
        if version is not None and not _is_int(version):
            raise Invalid(f"{names['setting_version']} must be an integer")

    def validate(self, body: Mapping[str, Any]) -> str:
        """The action a valid body asks for; raises ``Invalid`` for any documented rule broken."""
        names = self.names
        action = body.get("action")
        if action is None:
            if self.faulty("action-missing-accepted"):
                return "add_tags"
            raise Invalid("action is required")
        if action not in ACTIONS:
            if self.faulty("action-enum-unchecked") and isinstance(action, str):
                return action
            raise Invalid(f"action must be one of {', '.join(ACTIONS)}")
        self.check_types(body)
        both = _present(body, "command_id") and _present(body, "gateway_command")
        if both and not self.faulty("command-both-accepted"):
            raise Invalid("command_id and gateway_command are mutually exclusive")
        if action == "issue_command":
            neither = not (_present(body, "command_id") or _present(body, "gateway_command"))
            if neither and not self.faulty("issue-command-empty"):
                raise Invalid("issue_command needs command_id or gateway_command")
        elif action == "add_tags" and not _present(body, "tags"):
            if self.faulty("tags-missing-500"):
                raise RuntimeError("tags is None")
            raise Invalid("add_tags needs tags")
        elif action == "add_metadata" and not _present(body, "metadata"):
            if not self.faulty("metadata-missing-accepted"):
                raise Invalid("add_metadata needs metadata")
        elif action == "send_configuration":
            required = ["configuration_id", "setting_id", "command_id"]
            if self.faulty("setting-id-unchecked"):
                required.remove("setting_id")
            if self.faulty("setting-version-required"):
                required.append("setting_version")
            for key in required:
                if not _present(body, names[key]):
                    raise Invalid(f"send_configuration needs {names[key]}")
        elif action == "update_heartbeat" and _present(body, names["heartbeat_period"]):
            period = body[names["heartbeat_period"]]
            lowest = 0 if self.faulty("heartbeat-zero-accepted") else 1
            if self.faulty("heartbeat-one-rejected"):
                lowest = 2
            if period < lowest:
                raise Invalid(f"{names['heartbeat_period']} must be at least 1")
        return str(action)

    # -- effects ---------------------------------------------------------------------------

    def apply(self, fleet: Fleet, action: str, body: Mapping[str, Any]) -> None:
        if action == "add_tags" and isinstance(body.get("tags"), list):
            fleet.tags.update(body["tags"])
        elif action == "add_metadata":
            fleet.metadata.update(body.get("metadata") or {})
        elif action == "update_heartbeat" and _present(body, self.names["heartbeat_period"]):
            fleet.heartbeat_period = int(body[self.names["heartbeat_period"]])

    # -- routes ----------------------------------------------------------------------------

    @route("GET", r"/fleets")
    def list_fleets(self, request: Request) -> Reply:
        with self.lock:
            fleets = [{"_id": fleet.id, "name": fleet.name} for fleet in self.fleets.values()]
        return _json(200, fleets)

    def fixtures(self) -> dict[str, Any]:
        """The seeded fleet, command, configuration and setting, as target-file fixtures."""
        return {
            "fleet_id": SEEDED_FLEET_ID,
            "command_id": SEEDED_COMMAND_ID,
            "configuration_id": SEEDED_CONFIGURATION_ID,
            "setting_id": SEEDED_SETTING_ID,
        }

    @route("POST", r"/fleets/(?P<fleet_id>[^/]+)/actions")
    def execute(self, request: Request, fleet_id: str) -> Reply:
        fleet = self.fleets.get(fleet_id)
        if fleet is None and not self.faulty("unknown-fleet-accepted"):
            return self.not_found(request)
        if self.restricted(request) and not self.faulty("restricted-token-acts"):
            return _json(403, {"message": "You are forbidden from accessing this resource"})
        try:
            body = self.parse(request.body)
            action = self.validate(body)
        except Invalid as problem:
            return _message(400, str(problem), self.varies("errors-text-plain"))
        with self.lock:
            if fleet is not None:
                self.apply(fleet, action, body)
            targets = fleet.device_ids if fleet else []
            devices = [DeviceStatus(uid, self.words(index)) for index, uid in enumerate(targets)]
            bulk = BulkResponse(secrets.token_hex(12), fleet_id, action, devices)
            self.bulk_responses[bulk.id] = bulk
        key = "id" if self.faulty("no-bulk-response-id") else "bulk_response_id"
        document: dict[str, Any] = {key: bulk.id}
        if self.varies("accepted-full-body"):
            document = {**bulk.document(), key: bulk.id}
        status = {"action-200": 200, "action-201": 201}.get(self.variant or "", 202)
        return _json(status, document)

    def words(self, index: int) -> list[str]:
        """The statuses the ``index``-th device of a new bulk response reports, in order."""
        if self.varies("bulk-gateway-statuses"):
            return ["sent", "enqueued", "success"]
        if self.varies("bulk-fail-then-success") and index == 0:
            return ["fail", "success"]
        return ["done" if self.faulty("bulk-response-status-word") else "success"]

    @route("GET", r"/bulk_responses/(?P<bulk_response_id>[^/]+)")
    def read_bulk_response(self, request: Request, bulk_response_id: str) -> Reply:
        with self.lock:
            bulk = self.bulk_responses.get(bulk_response_id)
            if bulk is None or self.faulty("bulk-response-lost"):
                return self.not_found(request)
            if bulk.reads and self.faulty("bulk-response-read-once"):
                return self.not_found(request)
            bulk.reads += 1
            bulk.advance()
            document = bulk.document(as_reported=self.varies("bulk-statuses-as-reported"))
        if self.faulty("bulk-response-new-id"):
            document["_id"] = secrets.token_hex(12)
        if self.faulty("bulk-response-foreign-statuses"):
            for entry in document["bulk_response_statuses"]:
                entry["bulk_response_id"] = DEFAULT_OTHER_BULK_RESPONSE_ID
        if self.faulty("bulk-response-text-plain"):
            return Reply(200, json.dumps(document), "text/plain")
        return _json(200, document)
