"""Self-checks of the hand-written OpenAPI specs (specs/*.yaml) and JSON Schemas (schemas/).

(a) every spec is valid OpenAPI and every ``$ref`` in a spec or schema resolves;
(b) every ``*.schema.json`` is a valid draft 2020-12 schema;
(c) vendor doc examples and real captures validate against the schema that covers them; the
    shared corpus is mapped file by file in ``CORPUS_TABLE``;
(d) hand-made invalid bodies are rejected (and hand-made valid ones accepted).

Schema names are paths relative to the repository root. ``path[]`` means "an array of path";
``specs/x.yaml#/pointer`` names a schema inside a spec.

The shared corpus is ``<repo>/../shared/corpus``, or ``$ACTIONCONFORM_SHARED/corpus``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin, urlsplit
from urllib.request import url2pathname

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
SCHEMAS = sorted((ROOT / "schemas").glob("**/*.schema.json"))
SHARED_ENV = "ACTIONCONFORM_SHARED"
SHARED = Path(os.environ.get(SHARED_ENV) or ROOT.parent / "shared")
CORPUS = SHARED / "corpus"
OUT_OF_SCOPE = "out of scope: "

NEXTHINK = "schemas/nexthink/"
REDIS = "schemas/redis-enterprise/"
EDGEIQ = "schemas/edgeiq/"
NEXTHINK_SPEC = "specs/nexthink-act-v2.yaml#/components/schemas/"


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# --- loading and resolving ------------------------------------------------------------------------


@cache
def _load_uri(uri: str) -> Any:
    """The JSON or YAML document at a file: URI (YAML is a superset of the JSON we write)."""
    path = Path(url2pathname(urlsplit(uri).path))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _retrieve(uri: str) -> Resource:
    return Resource.from_contents(_load_uri(uri), default_specification=DRAFT202012)


REGISTRY: Registry = Registry(retrieve=_retrieve)  # type: ignore[call-arg]


def validator(name: str) -> Draft202012Validator:
    """A validator for the schema ``name`` (see the module docstring for the notation)."""
    path, _, pointer = name.removesuffix("[]").partition("#")
    uri = (ROOT / path).as_uri() + (f"#{pointer}" if pointer else "")
    schema: dict[str, Any] = {"$ref": uri}
    if name.endswith("[]"):
        schema = {"type": "array", "items": schema}
    return Draft202012Validator(schema, registry=REGISTRY)


def _pointer(document: Any, fragment: str) -> Any:
    node = document
    for token in filter(None, unquote(fragment).split("/")):
        key = token.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


# --- (a) and (b): the specs and schemas themselves ------------------------------------------------


@pytest.mark.parametrize("spec_path", SPECS, ids=_rel)
def test_spec_is_valid_openapi(spec_path: Path) -> None:
    validate_spec(_load_uri(spec_path.as_uri()), base_uri=spec_path.as_uri())


@pytest.mark.parametrize("spec_path", SPECS, ids=_rel)
def test_spec_operations_name_id_and_source(spec_path: Path) -> None:
    spec = _load_uri(spec_path.as_uri())
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    missing = [
        f"{method.upper()} {path}"
        for path, item in spec.get("paths", {}).items()
        for method, operation in item.items()
        if method in methods and not (operation.get("operationId") and operation.get("x-source"))
    ]
    assert not missing, f"operations without operationId or x-source: {missing}"


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=_rel)
def test_schema_is_valid_draft_2020_12(schema_path: Path) -> None:
    Draft202012Validator.check_schema(json.loads(schema_path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("doc_path", SPECS + SCHEMAS, ids=_rel)
def test_every_ref_resolves(doc_path: Path) -> None:
    document = _load_uri(doc_path.as_uri())
    if isinstance(document, dict) and "$id" in document:
        pytest.skip("relative $refs resolve against the document's $id, not its file")
    for ref in _refs(document):
        uri, fragment = urldefrag(urljoin(doc_path.as_uri(), ref))
        if not uri.startswith("file:"):
            continue
        target = Path(url2pathname(urlsplit(uri).path))
        assert target.is_file(), f"{ref}: no file {target}"
        try:
            _pointer(_load_uri(uri), fragment)
        except (KeyError, IndexError, ValueError, TypeError) as error:
            pytest.fail(f"{ref}: pointer does not resolve ({error!r})")


# --- (c) documented examples and real captures ----------------------------------------------------

# Every file of the shared corpus for these APIs: the schema it must validate against, or why not.
CORPUS_TABLE: dict[str, str] = {
    "nexthink/doc_classic_v1_run_request.json": OUT_OF_SCOPE
    + "Act API v1 request (PascalCase keys, /api/remoteaction/v1/run); the schemas are v2",
    "nexthink/doc_infinity_POST_api_v1_act_execute_request.json": OUT_OF_SCOPE
    + "Nexthink Infinity API (POST /api/v1/act/execute), not the classic Act API v2",
    "nexthink/doc_infinity_POST_api_v1_act_execute_200.json": OUT_OF_SCOPE
    + "Nexthink Infinity API (POST /api/v1/act/execute), not the classic Act API v2",
    "nexthink/doc_infinity_oauth2_token_200.json": OUT_OF_SCOPE
    + "Nexthink Infinity OAuth2 token; the classic API uses Basic auth",
    "redis-enterprise/doc_GET_v1_actions.json": REDIS + "actions-list.schema.json",
    "redis-enterprise/doc_GET_v1_actions_uid.json": REDIS + "action.schema.json",
    "redis-enterprise/doc_GET_v1_actions_bdb_uid.json": REDIS + "state-machine.schema.json[]",
    "redis-enterprise/doc_GET_v1_cluster_actions.json": REDIS + "cluster-actions-list.schema.json",
    "redis-enterprise/doc_GET_v1_cluster_actions_action.json": REDIS + "cluster-action.schema.json",
    "redis-enterprise/doc_GET_v2_actions.json": REDIS + "v2-actions-list.schema.json",
    "redis-enterprise/doc_GET_v2_actions_uid.json": REDIS + "v2-action.schema.json",
    "redis-enterprise/live_GET_v1_actions.json": REDIS + "actions-list.schema.json",
    "redis-enterprise/live_POST_v1_bdbs_406_error.json": REDIS + "error.schema.json",
    "redis-enterprise/live_POST_v1_users_200.json": OUT_OF_SCOPE
    + "users endpoint (POST /v1/users); only shows that it returns an action_uid",
    "redis-enterprise/live_DELETE_v1_users_uid_200.json": OUT_OF_SCOPE
    + "users endpoint (DELETE /v1/users/{uid}); only shows that it returns an action_uid",
}
CORPUS_APIS = sorted({name.split("/")[0] for name in CORPUS_TABLE})
IN_SCOPE = {
    file: schema for file, schema in CORPUS_TABLE.items() if not schema.startswith(OUT_OF_SCOPE)
}


def _require_corpus() -> None:
    if not CORPUS.is_dir():
        if os.environ.get(SHARED_ENV):
            pytest.fail(f"{SHARED_ENV} is set but {CORPUS} is not a directory")
        pytest.skip(f"no shared corpus at {CORPUS} (set {SHARED_ENV} to the shared folder)")


def test_corpus_table_lists_every_corpus_file() -> None:
    _require_corpus()
    on_disk = {
        path.relative_to(CORPUS).as_posix()
        for api in CORPUS_APIS
        for path in (CORPUS / api).iterdir()
        if path.is_file() and path.name != "SOURCES.tsv"
    }
    assert sorted(on_disk - CORPUS_TABLE.keys()) == [], "corpus files missing from CORPUS_TABLE"
    assert sorted(CORPUS_TABLE.keys() - on_disk) == [], "CORPUS_TABLE names files not in corpus"


@pytest.mark.parametrize(("corpus_file", "schema"), IN_SCOPE.items(), ids=list(IN_SCOPE))
def test_corpus_file_validates(corpus_file: str, schema: str) -> None:
    _require_corpus()
    data = json.loads((CORPUS / corpus_file).read_text(encoding="utf-8"))
    validator(schema).validate(data)


# The examples of nexthink-act-api-v2-classic.md ("Examples"), as written on the page.
_NEXTHINK_DEVICES = [
    "da2add909a144e8235453f88dc45172f",
    "4423e4c059b2c72ee9382e135888bef7",
    "13ea2b236e6833ffe6045a7715968cba",
    "3537e2f2eb0d5f2152da59e7cbcb505b",
]
_NX_ACTION = "07844969-1889-4de3-9026-020af94be855"
_NX_DEVICE = _NEXTHINK_DEVICES[0]
_NO_MANUAL_EXECUTION = {
    "code": "NO_MANUAL_EXECUTION",
    "error": "Remote action not configured for manual execution",
}
NEXTHINK_DOC_EXAMPLES: list[tuple[str, str, Any]] = [
    (
        "request targeting all Engines",
        NEXTHINK + "run-request.schema.json",
        {
            "requestUid": "123",
            "remoteActionUid": "07844969-1889-4de3-9026-020af94be855",
            "deviceUids": _NEXTHINK_DEVICES,
        },
    ),
    (
        "response from all Engines",
        NEXTHINK + "run-results.schema.json",
        [
            {"databaseUid": "86acc8511251ec444d3a75bac33a23c7", "code": "ok", "message": ""},
            {"databaseUid": "a4690014774dcc32b919c27d616166f7", "code": "ok", "message": ""},
            {
                "databaseUid": "ce80dddfdb7a5c2346c4ac184b7d6a54",
                "code": "engine_error",
                "message": "Error in request to engine [172.16.5.177:999]: no license",
            },
        ],
    ),
    (
        "request targeting one Engine",
        NEXTHINK + "run-request.schema.json",
        {
            "requestUid": "123",
            "remoteActionUid": "07844969-1889-4de3-9026-020af94be855",
            "deviceUids": _NEXTHINK_DEVICES,
            "engineDatabaseUids": ["a4690014774dcc32b919c27d616166f7"],
        },
    ),
    (
        "response from one Engine",
        NEXTHINK + "run-results.schema.json",
        [{"databaseUid": "a4690014774dcc32b919c27d616166f7", "code": "ok", "message": ""}],
    ),
    (
        "request for an action without manual execution",
        NEXTHINK + "run-request.schema.json",
        {
            "requestUid": "123",
            "remoteActionUid": "e6bb97be-0957-49e0-9922-1a684d093858",
            "deviceUids": _NEXTHINK_DEVICES,
        },
    ),
    ("NO_MANUAL_EXECUTION error body", NEXTHINK + "error.schema.json", _NO_MANUAL_EXECUTION),
    (
        "NO_MANUAL_EXECUTION error body is a 400 body",
        NEXTHINK_SPEC + "Error400",
        _NO_MANUAL_EXECUTION,
    ),
]

# Hand-made valid bodies: they keep the negative cases below from passing on a schema that
# rejects everything.
HAND_MADE_VALID: list[tuple[str, str, Any]] = [
    (
        "nexthink request with params and timeout",
        NEXTHINK + "run-request.schema.json",
        {
            "remoteActionUid": _NX_ACTION,
            "deviceUids": [_NX_DEVICE],
            "timeoutSeconds": 120,
            "params": {"p": "v"},
        },
    ),
    (
        "nexthink results with every code and no message",
        NEXTHINK + "run-results.schema.json",
        [
            {"databaseUid": "e", "code": code}
            for code in (
                "ok",
                "timeout",
                "engine_error",
                "not_connected",
                "excluded",
                "no_permission",
            )
        ],
    ),
    (
        "nexthink NO_ENGINES_TO_TARGET is a 403 body",
        NEXTHINK_SPEC + "Error403",
        {"code": "NO_ENGINES_TO_TARGET", "error": "x"},
    ),
    (
        "nexthink INTERNAL_ERROR is a 500 body",
        NEXTHINK_SPEC + "Error500",
        {"code": "INTERNAL_ERROR", "error": "x"},
    ),
    (
        "redis progress as integer",
        REDIS + "action.schema.json",
        {"name": "n", "action_uid": "u", "status": "running", "progress": 42},
    ),
    (
        "redis progress as float",
        REDIS + "action.schema.json",
        {"name": "n", "action_uid": "u", "status": "running", "progress": 42.5},
    ),
    (
        "redis progress as numeric string",
        REDIS + "action.schema.json",
        {"name": "n", "action_uid": "u", "status": "completed", "progress": "100"},
    ),
    (
        "redis failed action with error fields",
        REDIS + "action.schema.json",
        {
            "name": "n",
            "action_uid": "u",
            "status": "failed",
            "progress": "0",
            "error_code": "internal_error",
            "error_message": "boom",
        },
    ),
    (
        "redis cluster action without action_uid",
        REDIS + "cluster-action.schema.json",
        {"name": "change_master", "status": "queued", "progress": 0.0},
    ),
    (
        "redis state machine without progress",
        REDIS + "state-machine.schema.json",
        {
            "action_uid": "u",
            "name": "SMCreateBDB",
            "status": "completed",
            "heartbeat": 1,
            "object_name": "bdb:1",
        },
    ),
    (
        "edgeiq issue_command with gateway_command",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "issue_command", "gateway_command": "reboot"},
    ),
    (
        "edgeiq issue_command with command_id",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "issue_command", "command_id": "c1"},
    ),
    (
        "edgeiq add_tags",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "add_tags", "tags": ["a", "b"]},
    ),
    (
        "edgeiq add_metadata",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "add_metadata", "metadata": {"site": "x"}},
    ),
    (
        "edgeiq update_heartbeat",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "update_heartbeat", "heartbeat_period": 60, "heartbeat_values": ["cpu"]},
    ),
    (
        "edgeiq send_configuration",
        EDGEIQ + "fleet-action-request.schema.json",
        {
            "action": "send_configuration",
            "configuration_id": "cfg",
            "setting_id": "s",
            "setting_version": 0,
            "command_id": "c",
        },
    ),
    (
        "edgeiq bulk response of unpublished shape",
        EDGEIQ + "bulk-response.schema.json",
        {"bulk_response_id": "b1"},
    ),
]


@pytest.mark.parametrize(
    ("schema", "data"),
    [case[1:] for case in NEXTHINK_DOC_EXAMPLES + HAND_MADE_VALID],
    ids=[case[0] for case in NEXTHINK_DOC_EXAMPLES + HAND_MADE_VALID],
)
def test_valid_example_is_accepted(schema: str, data: Any) -> None:
    validator(schema).validate(data)


# --- (d) hand-made invalid bodies -----------------------------------------------------------------

_ACTION = {"name": "retry_bdb", "action_uid": "u", "status": "completed", "progress": "100"}
_STATE_MACHINE = {
    "action_uid": "u",
    "name": "SMCreateBDB",
    "status": "completed",
    "heartbeat": 1,
    "object_name": "bdb:1",
}
_V2_ACTION = {
    "action_type": "task",
    "action_uid": "u",
    "creation_time": 1,
    "name": "retry_bdb",
    "progress": 100.0,
    "status": "completed",
}
HAND_MADE_INVALID: list[tuple[str, str, Any]] = [
    (
        "nexthink unknown result code",
        NEXTHINK + "run-results.schema.json",
        [{"databaseUid": "e", "code": "unknown"}],
    ),
    (
        "nexthink result code as rendered by the page table",
        NEXTHINK + "run-results.schema.json",
        [{"databaseUid": "e", "code": "excludedUnknown databaseUid"}],
    ),
    (
        "nexthink result without code",
        NEXTHINK + "run-results.schema.json",
        [{"databaseUid": "e", "message": ""}],
    ),
    (
        "nexthink error code not in the table",
        NEXTHINK + "error.schema.json",
        {"code": "NOT_FOUND", "error": "x"},
    ),
    (
        "nexthink error code in lower case",
        NEXTHINK + "error.schema.json",
        {"code": "no_permission", "error": "x"},
    ),
    ("nexthink error without error", NEXTHINK + "error.schema.json", {"code": "NO_DEVICES"}),
    (
        "nexthink NO_PERMISSION is not a 400 body",
        NEXTHINK_SPEC + "Error400",
        {"code": "NO_PERMISSION", "error": "x"},
    ),
    (
        "nexthink request without deviceUids",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": _NX_ACTION},
    ),
    (
        "nexthink request with empty deviceUids",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": _NX_ACTION, "deviceUids": []},
    ),
    (
        "nexthink v1 PascalCase request",
        NEXTHINK + "run-request.schema.json",
        {"RemoteActionUid": "a", "DeviceUids": ["d"]},
    ),
    (
        "nexthink request with an undocumented property",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": _NX_ACTION, "deviceUids": [_NX_DEVICE], "priority": 1},
    ),
    (
        "nexthink params with a non-string value",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": _NX_ACTION, "deviceUids": [_NX_DEVICE], "params": {"n": 1}},
    ),
    (
        "nexthink remoteActionUid that is not a GUID",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": "0", "deviceUids": [_NX_DEVICE]},
    ),
    (
        "nexthink device UID that is not 32 hex digits",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": _NX_ACTION, "deviceUids": ["da2add909a144e82"]},
    ),
    (
        "nexthink timeoutSeconds 0",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": _NX_ACTION, "deviceUids": [_NX_DEVICE], "timeoutSeconds": 0},
    ),
    (
        "nexthink timeoutSeconds as string",
        NEXTHINK + "run-request.schema.json",
        {"remoteActionUid": _NX_ACTION, "deviceUids": [_NX_DEVICE], "timeoutSeconds": "60"},
    ),
    ("redis progress 101", REDIS + "action.schema.json", {**_ACTION, "progress": 101}),
    ("redis progress string 101", REDIS + "action.schema.json", {**_ACTION, "progress": "101"}),
    ("redis progress negative", REDIS + "action.schema.json", {**_ACTION, "progress": -1}),
    (
        "redis progress non-numeric string",
        REDIS + "action.schema.json",
        {**_ACTION, "progress": "done"},
    ),
    (
        "redis action status not in enum",
        REDIS + "action.schema.json",
        {**_ACTION, "status": "done"},
    ),
    (
        "redis action error_code not documented",
        REDIS + "action.schema.json",
        {**_ACTION, "status": "failed", "error_code": "oops"},
    ),
    (
        "redis action without action_uid",
        REDIS + "action.schema.json",
        {k: v for k, v in _ACTION.items() if k != "action_uid"},
    ),
    (
        "redis action without progress",
        REDIS + "action.schema.json",
        {k: v for k, v in _ACTION.items() if k != "progress"},
    ),
    (
        "redis cluster action without name",
        REDIS + "cluster-action.schema.json",
        {"status": "queued", "progress": 0.0},
    ),
    (
        "redis cluster action progress 101",
        REDIS + "cluster-action.schema.json",
        {"name": "n", "status": "queued", "progress": 101},
    ),
    (
        "redis state machine with an action status",
        REDIS + "state-machine.schema.json",
        {**_STATE_MACHINE, "status": "queued"},
    ),
    (
        "redis state machine without heartbeat",
        REDIS + "state-machine.schema.json",
        {k: v for k, v in _STATE_MACHINE.items() if k != "heartbeat"},
    ),
    (
        "redis state machine progress 101",
        REDIS + "state-machine.schema.json",
        {**_STATE_MACHINE, "progress": 101},
    ),
    (
        "redis actions list without state-machines",
        REDIS + "actions-list.schema.json",
        {"actions": [_ACTION]},
    ),
    ("redis actions list as a bare array", REDIS + "actions-list.schema.json", [_ACTION]),
    ("redis cluster actions list without actions", REDIS + "cluster-actions-list.schema.json", {}),
    ("redis error without description", REDIS + "error.schema.json", {"error_code": "x"}),
    (
        "redis v2 action status not in enum",
        REDIS + "v2-action.schema.json",
        {**_V2_ACTION, "status": "done"},
    ),
    (
        # "each action contains ... name, action_uid, creation_time, status, and progress"
        # (action_type is not in that list: an action without it is valid)
        "redis v2 action without creation_time",
        REDIS + "v2-action.schema.json",
        {k: v for k, v in _V2_ACTION.items() if k != "creation_time"},
    ),
    (
        # "only included in the response if it contains at least one key-value pair"
        "redis v2 action with an empty additional_info",
        REDIS + "v2-action.schema.json",
        {**_V2_ACTION, "additional_info": {}},
    ),
    (
        "redis v2 action progress as string",
        REDIS + "v2-action.schema.json",
        {**_V2_ACTION, "progress": "100"},
    ),
    (
        "edgeiq add_tags without tags",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "add_tags"},
    ),
    (
        "edgeiq add_metadata without metadata",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "add_metadata"},
    ),
    (
        "edgeiq issue_command with command_id and gateway_command",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "issue_command", "command_id": "c", "gateway_command": "reboot"},
    ),
    (
        "edgeiq issue_command with neither command",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "issue_command"},
    ),
    (
        "edgeiq send_configuration without setting_id",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "send_configuration", "configuration_id": "cfg", "command_id": "c"},
    ),
    (
        "edgeiq heartbeat period 0",
        EDGEIQ + "fleet-action-request.schema.json",
        {"action": "update_heartbeat", "heartbeat_period": 0},
    ),
    ("edgeiq unknown action", EDGEIQ + "fleet-action-request.schema.json", {"action": "reboot"}),
    ("edgeiq request without action", EDGEIQ + "fleet-action-request.schema.json", {"tags": ["a"]}),
    ("edgeiq bulk response not an object", EDGEIQ + "bulk-response.schema.json", ["b1"]),
]


@pytest.mark.parametrize(
    ("schema", "data"),
    [case[1:] for case in HAND_MADE_INVALID],
    ids=[case[0] for case in HAND_MADE_INVALID],
)
def test_invalid_example_is_rejected(schema: str, data: Any) -> None:
    assert not validator(schema).is_valid(data), f"{schema} accepted {data!r}"


def test_case_descriptions_are_unique() -> None:
    cases = NEXTHINK_DOC_EXAMPLES + HAND_MADE_VALID + HAND_MADE_INVALID
    descriptions = [case[0] for case in cases]
    assert len(descriptions) == len(set(descriptions))
