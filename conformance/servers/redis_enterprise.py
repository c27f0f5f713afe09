"""Reference server for the Redis Enterprise Software REST API actions requests.

``GET /v1/actions[/{uid}]`` serves a seeded snapshot shaped like the corpus (doc examples and a
real capture), ``GET /v1/actions/bdb/{bdb_uid}`` its state machines per database (an array, as
the redis/docs page's example), ``GET /v2/actions[/{uid}]`` every action and state machine as a
v2 action object.
``/v1/cluster/actions[/{action}]`` is stateful: a started ``change_master`` is
queued, runs for ``RUN_SECONDS`` and completes; a second start while it runs is a 409; a new
start removes the previous result; DELETE cancels a running action or removes a finished one's
status. Faults are in ``FAULTS``: one documented behaviour each, named after the requirement it
breaks; one breaks a SHOULD requirement, which fails a run only with ``--strict``.

The server plays one vendor version of ``VERSIONS`` (the newest by default; ``conformance mock
redis-enterprise --vendor-version 7.4``), showing what that version's pages document: from 7.4.2
``GET /v1/actions/bdb/{bdb_uid}`` (so the server playing 7.4, that is 7.4.0, answers 404 there),
from 7.8 the v1 field table's item statuses (a listed ``active`` task), from 7.22
``GET /v2/actions[/{uid}]`` (404 before: the route does not exist),
from 8.0 an ``aborted`` action, from 8.0.2 ``404 Node does not exist`` and ``406 Node not
bootstrapped`` for a ``change_master`` to an unknown or bootstrapping node (earlier: 400 for an
unknown node, and a bootstrapping node is accepted).
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from conformance.servers.base import (
    BUNDLED_RESTRICTED_PASSWORD,
    BUNDLED_RESTRICTED_USER,
    Fault,
    Handler,
    ReferenceApp,
    Reply,
    Request,
    Variant,
    route,
)

JSON = "application/json"
CLUSTER_ACTIONS = ("change_master",)  # the one cluster action NOTES.md documents
NODES = ("1", "2", "3", "4")
BOOTSTRAPPING = ("4",)  # a node that exists but has not finished bootstrapping
IN_PROGRESS = ("queued", "starting", "running", "cancelling")
# A started action's life: long enough that the suite's start, a read and a second request
# (a conflicting start, a cancel) land while it runs even on a loaded machine (a few ms each),
# short enough that waiting for the end (three tests do) costs little.
QUEUED_SECONDS = 0.05
RUN_SECONDS = 0.3

# A user whose role lacks start_cluster_action and cancel_cluster_action (every built-in role
# holds view_status_of_cluster_action, so it may read).
RESTRICTED_USER = (BUNDLED_RESTRICTED_USER, BUNDLED_RESTRICTED_PASSWORD)

FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault("no-auth", "REDIS-AUTH-401", "answers requests that carry no credentials"),
        Fault(
            "restricted-role-starts",
            "REDIS-AUTH-403",
            "a user whose role lacks start_cluster_action starts cluster actions",
        ),
        Fault(
            "error-text-body",
            "REDIS-ERROR-BODY",
            "error answers carry a text/plain 'Not Found' style body instead of the JSON envelope",
        ),
        Fault(
            "list-content-type",
            "REDIS-ACTIONS-GET-JSON",
            "GET /v1/actions labels its body text/plain",
            # not JSON-labelled: schemas not judged
            also_untested=("REDIS-ACTIONS-GET-SCHEMA", "REDIS-ACTIONS-GET-STATE-MACHINES"),
        ),
        Fault(
            "list-no-state-machines",
            "REDIS-ACTIONS-GET-SHAPE",
            "GET /v1/actions leaves out the state-machines array",
            # no state machine to judge, none to name a database for the bdb route
            also_untested=(
                "REDIS-ACTIONS-GET-STATE-MACHINES",
                "REDIS-BDB-ACTIONS-GET-JSON",
                "REDIS-BDB-ACTIONS-GET-SCHEMA",
            ),
        ),
        Fault(
            "list-missing-progress",
            "REDIS-ACTIONS-GET-FIELDS",
            "a listed action has no progress attribute",
            also_fails=("REDIS-ACTIONS-GET-SCHEMA",),  # action.schema.json requires progress
        ),
        Fault(
            "list-bad-status",
            "REDIS-ACTIONS-GET-STATUS",
            "a listed action's status is 'done', which is not a documented status",
            also_fails=("REDIS-ACTIONS-GET-SCHEMA",),  # the schema holds the status enum
        ),
        Fault(
            "list-progress-over",
            "REDIS-ACTIONS-PROGRESS-RANGE",
            "a listed action reports progress 150",
            also_fails=("REDIS-ACTIONS-GET-SCHEMA",),  # the schema bounds progress too
        ),
        Fault(
            "list-error-code",
            "REDIS-ACTIONS-GET-SCHEMA",
            "a failed action carries error_code 'disk_full', which is not documented",
        ),
        Fault(
            "sm-heartbeat-string",
            "REDIS-ACTIONS-GET-STATE-MACHINES",
            "state-machine heartbeats are strings instead of epoch-second integers",
        ),
        Fault(
            "action-content-type",
            "REDIS-ACTION-GET-JSON",
            "GET /v1/actions/{uid} labels its body text/html",
            # not JSON-labelled: schema not judged
            also_untested=("REDIS-ACTION-GET-SCHEMA",),
        ),
        Fault(
            "action-missing-status",
            "REDIS-ACTION-GET-FIELDS",
            "a fetched action has no status attribute",
            also_fails=("REDIS-ACTION-GET-SCHEMA",),  # action.schema.json requires status
        ),
        Fault(
            "action-progress-over",
            "REDIS-ACTION-GET-SCHEMA",
            "a fetched action reports progress 101",
        ),
        Fault(
            "action-wrong-uid",
            "REDIS-ACTION-GET-UID",
            "every known uid answers with the first listed action",
        ),
        Fault(
            "unknown-uid-200",
            "REDIS-ACTION-GET-404",
            "an unknown uid answers 200 with a queued placeholder action",
        ),
        Fault(
            "cluster-list-content-type",
            "REDIS-CLUSTER-ACTIONS-GET-JSON",
            "GET /v1/cluster/actions labels its body text/plain",
            # not JSON-labelled: schema not judged
            also_untested=("REDIS-CLUSTER-ACTIONS-GET-SCHEMA",),
        ),
        Fault(
            "cluster-list-no-progress",
            "REDIS-CLUSTER-ACTIONS-GET-SCHEMA",
            "listed cluster actions have no progress attribute",
        ),
        Fault(
            "cluster-action-content-type",
            "REDIS-CLUSTER-ACTION-GET-JSON",
            "GET /v1/cluster/actions/{action} labels its body text/html",
            # not JSON-labelled: schema not judged
            also_untested=("REDIS-CLUSTER-ACTION-GET-SCHEMA",),
        ),
        Fault(
            "cluster-action-progress-over",
            "REDIS-CLUSTER-ACTION-GET-SCHEMA",
            "GET /v1/cluster/actions/{action} reports progress 120",
        ),
        Fault(
            "cluster-action-wrong-name",
            "REDIS-CLUSTER-ACTION-GET-NAME",
            "a cluster action is named 'action_name' (the doc placeholder), not as asked",
        ),
        Fault(
            "cluster-unknown-200",
            "REDIS-CLUSTER-ACTION-GET-404",
            "an unknown cluster action answers 200 with a queued placeholder",
        ),
        Fault(
            "lifecycle-reopens",
            "REDIS-CLUSTER-ACTION-LIFECYCLE",
            "a completed cluster action reads as running again once (completed -> running)",
        ),
        Fault(
            "post-202",
            "REDIS-CLUSTER-ACTION-POST-200",
            "a started cluster action answers 202 instead of 200",
        ),
        Fault(
            "no-conflict",
            "REDIS-CLUSTER-ACTION-POST-409",
            "a second start while the action runs restarts it instead of answering 409",
        ),
        Fault(
            "keep-previous",
            "REDIS-CLUSTER-ACTION-POST-REPLACES",
            "a new start keeps the previous result listed beside the new one",
        ),
        Fault(
            "unknown-action-200",
            "REDIS-CLUSTER-ACTION-POST-400-ACTION",
            "POST of an unknown cluster action answers 200",
        ),
        Fault(
            "bad-content-accepted",
            "REDIS-CLUSTER-ACTION-POST-400-CONTENT",
            "a body that is not a JSON object is ignored and the action starts",
        ),
        Fault(
            "content-type-ignored",
            "REDIS-CONTENT-TYPE-400",
            "a POST without Content-Type: application/json is accepted",
        ),
        Fault(
            "cancel-refused",
            "REDIS-CLUSTER-ACTION-DELETE-200",
            "DELETE of a running cluster action answers 409",
        ),
        Fault(
            "delete-keeps-status",
            "REDIS-CLUSTER-ACTION-DELETE-REMOVES",
            "DELETE of a finished cluster action answers 200 but keeps its status",
        ),
        Fault(
            "delete-unknown-200",
            "REDIS-CLUSTER-ACTION-DELETE-404",
            "DELETE of an unknown cluster action answers 200",
        ),
        # GET /v1/actions/bdb/{bdb_uid} (7.4.2+) and GET /v2/actions[/{uid}] (7.22+).
        Fault(
            "bdb-content-type",
            "REDIS-BDB-ACTIONS-GET-JSON",
            "GET /v1/actions/bdb/{bdb_uid} labels its body text/plain",
            also_untested=("REDIS-BDB-ACTIONS-GET-SCHEMA",),  # not JSON-labelled: not judged
        ),
        Fault(
            "bdb-object",
            "REDIS-BDB-ACTIONS-GET-SCHEMA",
            'GET /v1/actions/bdb/{bdb_uid} wraps its state machines in {"state-machines": [...]}',
        ),
        Fault(
            "v2-list-content-type",
            "REDIS-V2-ACTIONS-GET-JSON",
            "GET /v2/actions labels its body text/plain",
            also_untested=("REDIS-V2-ACTIONS-GET-SCHEMA",),  # not JSON-labelled: not judged
        ),
        Fault(
            "v2-list-empty-additional-info",
            "REDIS-V2-ACTIONS-GET-SCHEMA",
            "GET /v2/actions sends an empty additional_info {} for the first action",
        ),
        Fault(
            "v2-action-content-type",
            "REDIS-V2-ACTION-GET-JSON",
            "GET /v2/actions/{uid} labels its body text/html",
            also_untested=("REDIS-V2-ACTION-GET-SCHEMA",),  # not JSON-labelled: not judged
        ),
        Fault(
            "v2-action-creation-time-string",
            "REDIS-V2-ACTION-GET-SCHEMA",
            "GET /v2/actions/{uid} sends creation_time as a string of epoch seconds",
        ),
        Fault(
            "v2-action-wrong-uid",
            "REDIS-V2-ACTION-GET-UID",
            "every known uid of GET /v2/actions/{uid} answers with the first listed v2 action",
        ),
        Fault(
            "v2-unknown-uid-200",
            "REDIS-V2-ACTION-GET-404",
            "an unknown uid of GET /v2/actions/{uid} answers 200 with a queued placeholder",
        ),
        # Caught only by judging the exchange against the spec (no hand-written check looks).
        Fault(
            "conflict-error-code-number",
            "REDIS-ERROR-BODY",
            "a 409 error body carries error_code as a number (409), not a string",
        ),
        Fault(
            "running-status-202",
            "REDIS-CLUSTER-ACTION-GET-JSON",
            "GET /v1/cluster/actions/{action} answers 202 (undocumented) while the action runs",
            # the lifecycle checks read that status while the action runs: nothing to follow
            also_untested=(
                "REDIS-CLUSTER-ACTION-POST-200",
                "REDIS-CLUSTER-ACTION-POST-409",
                "REDIS-CLUSTER-ACTION-POST-REPLACES",
                "REDIS-CLUSTER-ACTION-LIFECYCLE",
                "REDIS-CLUSTER-ACTION-DELETE-200",
                "REDIS-CLUSTER-ACTION-DELETE-REMOVES",
            ),
        ),
        # A SHOULD requirement: a run fails on it only with --strict (the fault test passes it).
        Fault(
            "progress-string",
            "REDIS-ACTIONS-PROGRESS-NUMBER",
            'progress is sent as a numeric string ("100"), as real 7.4 servers do',
        ),
    )
}

# Conformant ways of answering that differ from the default (conformance mock --variant NAME);
# the HTTP-level ones (gzip, chunked, charset) come from servers.base.
VARIANTS: dict[str, Variant] = {
    variant.name: variant
    for variant in (
        Variant(
            "post-empty-body",
            "a started cluster action answers 200 with an empty body",
            "cluster actions page: 'The body content may provide additional action details. "
            "Currently, it is not used.'",
        ),
        Variant(
            "attributes-minimal",
            "an action carries only name, action_uid, status and progress (and error_code, "
            "error_message when failed)",
            "actions page: 'each action in the response contains the following attributes: name, "
            "action_uid, status, and progress' (the others are not promised)",
        ),
        Variant(
            "error-empty-body",
            "error answers (401, 400, 404, 409) carry no body",
            "REDIS-ERROR-BODY: an error answer's body is empty or the JSON envelope; the pages "
            "give status codes only",
        ),
    )
}

# What every action carries (actions page), and on failure (action object page).
PROMISED_ATTRIBUTES = frozenset(
    {"name", "action_uid", "status", "progress", "error_code", "error_message"}
)

# Shaped like the corpus: redis/docs examples (actions, state machines) and the real capture
# live_GET_v1_actions.json (string node_uid and creation_time, a state machine without progress).
# Progress is a JSON number here: the bundled server follows REDIS-ACTIONS-PROGRESS-NUMBER.
SEED_ACTIONS: tuple[dict[str, Any], ...] = (
    {
        "action_uid": "159ca2f8-7bf3-4cda-97e8-4eb560665c28",
        "creation_time": "1650378870",
        "name": "retry_bdb",
        "node_uid": "2",
        "progress": 100,
        "status": "completed",
        "task_id": "159ca2f8-7bf3-4cda-97e8-4eb560665c28",
    },
    {
        "action_uid": "661697c5-c747-41bd-ab81-ffc8fd13c494",
        "creation_time": "1650378871",
        "name": "retry_bdb",
        "node_uid": "1",
        "progress": 100,
        "status": "completed",
        "task_id": "661697c5-c747-41bd-ab81-ffc8fd13c494",
    },
    {
        "action_uid": "8fc32a11-4688-4057-9237-cd77fccd726f",
        "creation_time": "1760400087",
        "error_code": "insufficient_resources",
        "error_message": "not enough memory on node 3 to host the shard",
        "name": "retry_bdb",
        "node_uid": "3",
        "progress": 40.5,
        "status": "failed",
        "task_id": "8fc32a11-4688-4057-9237-cd77fccd726f",
    },
)
SEED_STATE_MACHINES: tuple[dict[str, Any], ...] = (
    {
        "action_uid": "a10586b1-60bc-428e-9bc6-392eb5f0d8ae",
        "heartbeat": 1650378874,
        "name": "SMCreateBDB",
        "object_name": "bdb:1",
        "progress": 100,
        "status": "completed",
    },
    {
        "action_uid": "04d7b6ea-f377-4d40-9b23-9a8f291988df",
        "heartbeat": 1760400082,
        "name": "SMCreateBDB",
        "object_name": "bdb:2",
        "status": "completed",
    },
    {
        "action_uid": "8afc7f70-f3ae-4244-a5e9-5133e78b2e97",
        "heartbeat": 1703067908,
        "name": "SMUpdateBDB",
        "object_name": "bdb:1",
        "pending_ops": {},
        "progress": 50.0,
        "state": "proxy_policy",
        "status": "active",
    },
)
SEED_CLUSTER_ACTION_UID = "3c2f8a1e-6b1d-4f0e-9a57-2d8e4b7c1f90"
SEEDED_BDBS = ("1", "2")  # the databases the seeded state machines run on
# Actions only some versions show: (since, action).
VERSIONED_ACTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    (
        "7.8",  # the v1 field table lists item status pending | active | completed | failed
        {
            "action_uid": "5b0d3c8e-2f7a-4c61-9e1b-7a4d2c9f0e13",
            "name": "SMUpdateBDB",
            "node_uid": "1",
            "object_name": "bdb:2",
            "progress": 30.0,
            "state": "proxy_policy",
            "status": "active",
        },
    ),
    (
        "8.0",  # objects/action.md adds status aborted (starting|running -> aborted)
        {
            "action_uid": "e7a91f40-58c2-4b3d-8d6e-0c4f2b1a9d75",
            "name": "retry_bdb",
            "node_uid": "2",
            "progress": 20.0,
            "status": "aborted",
            "task_id": "e7a91f40-58c2-4b3d-8d6e-0c4f2b1a9d75",
        },
    ),
)
BDB_SINCE = "7.4.2"  # GET /v1/actions/bdb/{bdb_uid} (NOTES.md)
V2_SINCE = "7.22"
NODE_ERRORS_SINCE = "8.0.2"


@dataclass
class ClusterRun:
    """One instance of a cluster action; its status follows the clock."""

    name: str
    action_uid: str
    started: float
    details: dict[str, Any] = field(default_factory=dict)
    cancelled_at: float | None = None

    def status_and_progress(self, now: float) -> tuple[str, float]:
        elapsed = (self.cancelled_at if self.cancelled_at is not None else now) - self.started
        if elapsed < QUEUED_SECONDS:
            progress, status = 0.0, "queued"
        elif elapsed < RUN_SECONDS:
            progress, status = round(100.0 * elapsed / RUN_SECONDS, 1), "running"
        else:
            progress, status = 100.0, "completed"
        if self.cancelled_at is not None and status != "completed":
            status = "cancelled"
        return status, progress

    def running(self, now: float) -> bool:
        return self.status_and_progress(now)[0] in IN_PROGRESS

    def view(self, now: float) -> dict[str, Any]:
        status, progress = self.status_and_progress(now)
        return {
            "action_uid": self.action_uid,
            "name": self.name,
            "progress": progress,
            "status": status,
            **self.details,
        }


class RedisEnterpriseApp(ReferenceApp):
    API = "redis-enterprise"
    HISTORY = ("cluster_runs", "replaced")  # one status slot per cluster action
    FAULTS = FAULTS
    VARIANTS = VARIANTS
    VERSIONS = ("7.4", "7.8", "7.22", "8.0", "8.0.2")

    def __init__(self, fault: str | None = None, **kwargs: Any) -> None:
        super().__init__(fault, **kwargs)
        self.actions = [copy.deepcopy(action) for action in SEED_ACTIONS]
        self.actions += [
            copy.deepcopy(action) for since, action in VERSIONED_ACTIONS if self.plays(since)
        ]
        self.state_machines = [copy.deepcopy(machine) for machine in SEED_STATE_MACHINES]
        # An earlier change_master that completed long ago: its result is still readable.
        earlier = ClusterRun(
            "change_master", SEED_CLUSTER_ACTION_UID, time.monotonic() - 3600, {"node_uid": "1"}
        )
        self.cluster_runs: list[ClusterRun] = [earlier]
        self.completed_reads: dict[str, int] = {}  # fault lifecycle-reopens
        self.replaced: list[ClusterRun] = []  # results a new start kept (fault keep-previous)

    # -- plumbing --------------------------------------------------------------------------

    def error(self, status: int, code: str, description: str) -> Reply:
        if self.faulty("error-text-body"):
            return Reply(status, f"{description}\n", "text/plain")
        if self.varies("error-empty-body"):
            return Reply(status)
        error_code: str | int = code
        if status == 409 and self.faulty("conflict-error-code-number"):
            error_code = 409
        body = json.dumps({"error_code": error_code, "description": description})
        return Reply(status, body, JSON)

    def handle(self, request: Request, handler: Handler) -> Reply:
        restricted = request.basic_auth() == RESTRICTED_USER
        if not (self.authorized(request) or restricted) and not self.faulty("no-auth"):
            reply = self.error(401, "unauthorized", "Bad or missing credentials")
            reply.headers["WWW-Authenticate"] = 'Basic realm="Redis Enterprise"'
            return reply
        acting = request.method not in ("GET", "HEAD", "OPTIONS")
        if restricted and acting and not self.faulty("restricted-role-starts"):
            # A viewer role: it may read every status, not start or cancel an action.
            return self.error(403, "forbidden", "The user's role lacks the permission")
        with self.lock:
            return super().handle(request, handler)

    def not_found(self, request: Request) -> Reply:
        return self.error(404, "not_found", f"No such resource: {request.path}")

    def method_not_allowed(self, request: Request) -> Reply:
        return self.error(405, "method_not_allowed", f"{request.method} is not allowed here")

    def reply_json(self, document: object, content_type: str = JSON, status: int = 200) -> Reply:
        return Reply(status, json.dumps(document), content_type)

    def listed_actions(self) -> list[dict[str, Any]]:
        actions = copy.deepcopy(self.actions)
        if self.faulty("progress-string"):
            for action in actions:
                action["progress"] = str(action["progress"])
        if self.faulty("list-missing-progress"):
            del actions[0]["progress"]
        if self.faulty("list-bad-status"):
            actions[1]["status"] = "done"
        if self.faulty("list-progress-over"):
            actions[1]["progress"] = 150
        if self.faulty("list-error-code"):
            actions[2]["error_code"] = "disk_full"
        return [self.shown(action) for action in actions]

    def shown(self, action: dict[str, Any]) -> dict[str, Any]:
        """An action as answered: only the promised attributes under ``attributes-minimal``."""
        if not self.varies("attributes-minimal"):
            return action
        return {key: value for key, value in action.items() if key in PROMISED_ATTRIBUTES}

    def listed_state_machines(self) -> list[dict[str, Any]]:
        machines = copy.deepcopy(self.state_machines)
        for machine in machines:
            if self.faulty("progress-string") and "progress" in machine:
                machine["progress"] = str(machine["progress"])
            if self.faulty("sm-heartbeat-string"):
                machine["heartbeat"] = str(machine["heartbeat"])
        return machines

    def latest_run(self, name: str) -> ClusterRun | None:
        runs = [run for run in self.cluster_runs if run.name == name]
        return runs[-1] if runs else None

    # -- /v1/actions -----------------------------------------------------------------------

    @route("GET", r"/v1/actions")
    def get_actions(self, request: Request) -> Reply:
        document: dict[str, Any] = {"actions": self.listed_actions()}
        if not self.faulty("list-no-state-machines"):
            document["state-machines"] = self.listed_state_machines()
        content_type = "text/plain" if self.faulty("list-content-type") else JSON
        return self.reply_json(document, content_type)

    @route("GET", r"/v1/actions/(?P<uid>[^/]+)")
    def get_action(self, request: Request, uid: str) -> Reply:
        # The list's faults stay in the list: a fetched action is the stored one.
        known = {entry["action_uid"]: entry for entry in self.actions + self.state_machines}
        action = known.get(uid)
        if action is None:
            if not self.faulty("unknown-uid-200"):
                return self.error(404, "action_not_found", f"Action {uid} does not exist")
            action = {"action_uid": uid, "name": "unknown", "progress": 0, "status": "queued"}
        elif self.faulty("action-wrong-uid"):
            action = self.actions[0]
        action = copy.deepcopy(action)
        if self.faulty("action-missing-status"):
            action.pop("status", None)
        if self.faulty("action-progress-over"):
            action["progress"] = 101
        content_type = "text/html" if self.faulty("action-content-type") else JSON
        if uid in {entry["action_uid"] for entry in self.actions}:
            action = self.shown(action)
        return self.reply_json(action, content_type)

    @route("GET", r"/v1/actions/bdb/(?P<bdb_uid>[^/]+)")
    def get_database_actions(self, request: Request, bdb_uid: str) -> Reply:
        """The state machines of one database (7.4.2+; earlier the route does not exist); 404
        "bdb not found" for another database. The list's faults stay in the list."""
        if not self.plays(BDB_SINCE):
            return self.not_found(request)
        if bdb_uid not in SEEDED_BDBS:
            return self.error(404, "bdb_not_found", "bdb not found")
        mine = [m for m in self.state_machines if m["object_name"] == f"bdb:{bdb_uid}"]
        machines = copy.deepcopy(mine)
        document: object = machines
        if self.faulty("bdb-object"):
            document = {"state-machines": machines}
        content_type = "text/plain" if self.faulty("bdb-content-type") else JSON
        return self.reply_json(document, content_type)

    # -- /v2/actions (7.22+) ---------------------------------------------------------------

    def v2_actions(self) -> list[dict[str, Any]]:
        """Every action and state machine as a v2 action object (status queued | running |
        completed | failed, creation_time an integer, additional_info only when non-empty)."""
        status = {"active": "running", "pending": "queued", "starting": "running"}
        status |= {"cancelling": "running", "cancelled": "failed", "aborted": "failed"}
        documents = []
        for kind, entry in [("task", a) for a in self.actions] + [
            ("state-machine", m) for m in self.state_machines
        ]:
            document: dict[str, Any] = {
                "action_type": kind,
                "action_uid": entry["action_uid"],
                "creation_time": int(entry.get("creation_time", entry.get("heartbeat", 0))),
                "name": entry["name"],
                "progress": float(entry.get("progress", 100.0)),
                "status": status.get(entry["status"], entry["status"]),
            }
            info: dict[str, str] = {}
            if "object_name" in entry:
                kind_name, _, uid = entry["object_name"].partition(":")
                info = {"object_type": kind_name, "object_uid": uid}
            elif "node_uid" in entry:
                info = {"object_type": "node", "object_uid": entry["node_uid"]}
            if "error_message" in entry:
                info["error"] = entry["error_message"]
            if info:
                document["additional_info"] = info
            documents.append(document)
        return documents

    @route("GET", r"/v2/actions")
    def get_v2_actions(self, request: Request) -> Reply:
        if not self.plays(V2_SINCE):
            return self.not_found(request)
        documents = self.v2_actions()
        if self.faulty("v2-list-empty-additional-info"):
            documents[0]["additional_info"] = {}  # as if it had nothing to add
        content_type = "text/plain" if self.faulty("v2-list-content-type") else JSON
        return self.reply_json(documents, content_type)

    @route("GET", r"/v2/actions/(?P<uid>[^/]+)")
    def get_v2_action(self, request: Request, uid: str) -> Reply:
        if not self.plays(V2_SINCE):
            return self.not_found(request)
        documents = {document["action_uid"]: document for document in self.v2_actions()}
        document = documents.get(uid)
        if document is None:
            if not self.faulty("v2-unknown-uid-200"):
                return self.error(404, "action_not_found", f"Action {uid} does not exist")
            document = {
                "action_type": "other",
                "action_uid": uid,
                "creation_time": 0,
                "name": "unknown",
                "progress": 0.0,
                "status": "queued",
            }
        elif self.faulty("v2-action-wrong-uid"):
            document = next(iter(documents.values()))
        if self.faulty("v2-action-creation-time-string"):
            document = {**document, "creation_time": str(document["creation_time"])}
        content_type = "text/html" if self.faulty("v2-action-content-type") else JSON
        return self.reply_json(document, content_type)

    # -- /v1/cluster/actions ---------------------------------------------------------------

    @route("GET", r"/v1/cluster/actions")
    def get_cluster_actions(self, request: Request) -> Reply:
        now = time.monotonic()
        views = [run.view(now) for run in self.replaced + self.cluster_runs]
        if self.faulty("cluster-list-no-progress"):
            for view in views:
                view.pop("progress")
        content_type = "text/plain" if self.faulty("cluster-list-content-type") else JSON
        return self.reply_json({"actions": views}, content_type)

    @route("GET", r"/v1/cluster/actions/(?P<action>[^/]+)")
    def get_cluster_action(self, request: Request, action: str) -> Reply:
        run = self.latest_run(action)
        if run is None:
            if not self.faulty("cluster-unknown-200") or action in CLUSTER_ACTIONS:
                return self.error(404, "action_not_found", f"No status for action {action}")
            return self.reply_json({"name": action, "progress": 0.0, "status": "queued"})
        view = run.view(time.monotonic())
        if view["status"] == "completed" and self.faulty("lifecycle-reopens"):
            self.completed_reads[run.action_uid] = self.completed_reads.get(run.action_uid, 0) + 1
            if self.completed_reads[run.action_uid] == 2:  # the read after the first completed
                view["status"] = "running"
        if self.faulty("cluster-action-progress-over"):
            view["progress"] = 120.0
        if self.faulty("cluster-action-wrong-name"):
            view["name"] = "action_name"
        content_type = "text/html" if self.faulty("cluster-action-content-type") else JSON
        reply = self.reply_json(view, content_type)
        if self.faulty("running-status-202") and run.running(time.monotonic()):
            reply.status = 202
        return reply

    @route("POST", r"/v1/cluster/actions/(?P<action>[^/]+)")
    def start_cluster_action(self, request: Request, action: str) -> Reply:
        if action not in CLUSTER_ACTIONS:
            if self.faulty("unknown-action-200"):
                return Reply(200)  # claims success, starts nothing
            return self.error(400, "unknown_action", f"Unknown cluster action {action}")
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != JSON and not self.faulty("content-type-ignored"):
            return self.error(400, "bad_content_type", "Content-Type must be application/json")
        details, problem = self.parse_details(request.body)
        if problem and not self.faulty("bad-content-accepted"):
            return self.error(400, "invalid_content", problem)
        refusal = self.node_refusal(details or {})
        if refusal is not None:
            return refusal
        now = time.monotonic()
        previous = self.latest_run(action)
        if previous is not None and previous.running(now) and not self.faulty("no-conflict"):
            return self.error(409, "action_in_progress", f"Action {action} is already in progress")
        if previous is not None:
            self.cluster_runs.remove(previous)
            if self.faulty("keep-previous"):
                self.replaced.append(previous)
        run = ClusterRun(action, str(uuid.uuid4()), now, details or {})
        self.cluster_runs.append(run)
        status = 202 if self.faulty("post-202") else 200
        if self.varies("post-empty-body"):
            return Reply(status)
        # "The body content may provide additional action details": the new instance, so a
        # client that parses every 200 as JSON (the redis-enterprise package) works.
        return self.reply_json(run.view(now), status=status)

    def parse_details(self, body: bytes) -> tuple[dict[str, Any] | None, str | None]:
        """The action details in a POST body, or why the body is bad content."""
        if not body.strip():
            return {}, None
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return None, "The body is not valid JSON"
        if not isinstance(document, dict):
            return None, "The body must be a JSON object"
        node = document.get("node_uid")
        if node is not None and not isinstance(node, str):
            return None, "node_uid must be a string"
        if node is not None and node not in NODES and not self.plays(NODE_ERRORS_SINCE):
            return None, f"Unknown node_uid {node}"
        return {key: str(value) for key, value in document.items() if key == "node_uid"}, None

    def node_refusal(self, details: dict[str, Any]) -> Reply | None:
        """From 8.0.2: 404 for a node that does not exist, 406 for one still bootstrapping."""
        node = details.get("node_uid")
        if node is None or not self.plays(NODE_ERRORS_SINCE):
            return None
        if node not in NODES:
            return self.error(404, "node_not_found", "Node does not exist")
        if node in BOOTSTRAPPING:
            return self.error(406, "node_not_bootstrapped", "Node not bootstrapped")
        return None

    @route("DELETE", r"/v1/cluster/actions/(?P<action>[^/]+)")
    def cancel_cluster_action(self, request: Request, action: str) -> Reply:
        run = self.latest_run(action)
        if run is None:
            if self.faulty("delete-unknown-200") and action not in CLUSTER_ACTIONS:
                return Reply(200)
            return self.error(404, "action_not_found", f"Action {action} is unknown or not running")
        now = time.monotonic()
        if run.running(now):
            if self.faulty("cancel-refused"):
                return self.error(409, "cannot_cancel", f"Action {action} cannot be cancelled")
            run.cancelled_at = now
        elif not self.faulty("delete-keeps-status"):
            self.cluster_runs.remove(run)
            self.replaced = [old for old in self.replaced if old.name != action]
        return Reply(200)
