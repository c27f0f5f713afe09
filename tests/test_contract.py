"""The spec is the oracle: x-requirement annotations, the loader, and the judge of exchanges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from requests.structures import CaseInsensitiveDict

from conformance import catalogue, schemas, spec
from conformance.contract import Judge, Judgement, judged_properties
from conformance.http import Exchange, Response
from tests.helpers import shared_dir

APIS = catalogue.API_NAMES
BIGFIX_BASE = "http://127.0.0.1:1"


def _walk_requirements(node: Any) -> list[str]:
    """Every ID named by x-requirement / x-requirement-paths anywhere in a document."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-requirement":
                found += [value] if isinstance(value, str) else list(value.values())
            elif key == "x-requirement-paths":
                found += list(value.values())
            else:
                found += _walk_requirements(value)
    elif isinstance(node, list):
        for item in node:
            found += _walk_requirements(item)
    return found


@pytest.mark.parametrize("api", APIS)
def test_every_named_requirement_is_in_the_catalogue_of_its_api(api: str) -> None:
    document = schemas.load_document(spec.spec_file(api))
    known = {requirement.id for requirement in catalogue.load_api(api)}
    named = _walk_requirements(document)
    assert named, f"{api}: the spec names no requirement"
    assert sorted(set(named) - known) == []


@pytest.mark.parametrize("api", APIS)
def test_every_documented_operation_names_its_requirements(api: str) -> None:
    """Each operation from the vendor pages names what an undocumented status fails, and each
    response with something to judge (content or an empty body) names what it fails."""
    document = schemas.load_document(spec.spec_file(api))
    for operation in spec.operations(api):
        raw = document["paths"][operation.path][operation.method.lower()]
        if raw.get("x-beyond-page") and operation.requirement is None:
            continue  # documented only in NOTES.md; judged where a requirement is named
        assert operation.requirement, operation.name
        for status, response in operation.responses.items():
            if response.content or response.empty_body:
                assert response.requirement, f"{operation.name} {status}"
                for media in response.content.values():
                    assert media.requirement, f"{operation.name} {status} {media.name}"


def test_operations_are_spelled_as_in_the_catalogue() -> None:
    for api in APIS:
        spelled = {requirement.operation for requirement in catalogue.load_api(api)} - {"*"}
        assert spelled <= {operation.name for operation in spec.operations(api)}, api


def test_a_shared_component_names_a_requirement_per_operation() -> None:
    operations = {op.operation_id: op for op in spec.operations("bigfix")}
    all_retry = operations["bigfixRetryActionDownloads"].responses["200"]
    one_retry = operations["bigfixRetryActionDownload"].responses["200"]
    assert all_retry.requirement == "BIGFIX-DOWNLOADS-RETRY-POST-XML"
    assert one_retry.requirement == "BIGFIX-DOWNLOAD-RETRY-POST-XML"
    assert all_retry.content["application/json"].requirement == "BIGFIX-DOWNLOADS-RETRY-POST-JSON"
    assert one_retry.content["application/xml"].requirement == "BIGFIX-DOWNLOAD-RETRY-POST-SCHEMA"


# -- the loader -------------------------------------------------------------------------------


def test_a_request_body_sent_again_gets_the_same_verdict() -> None:
    """Request bodies are judged once per process for the same bytes (contract.py): a repeated
    body keeps its verdict, a different one gets its own."""
    from conformance.contract import _body_problem

    operation = spec.operation_for("nexthink", "POST", "http://h/api/remoteaction/v2/run")
    assert operation is not None
    headers = {"Content-Type": "application/json"}
    exchange = Exchange("POST", "http://h/api/remoteaction/v2/run", headers, "")
    good = json.dumps(
        {
            "remoteActionUid": "07844969-1889-4de3-9026-020af94be855",
            "deviceUids": ["da2add909a144e8235453f88dc45172f"] * 3,
        }
    ).encode()
    bad = good.replace(b"da2add90", b"nothex!!", 1)
    for _ in range(2):
        assert _body_problem(operation, exchange, good, None) is None
        assert "/deviceUids/0" in str(_body_problem(operation, exchange, bad, None))
        assert _body_problem(operation, exchange, b"{", None) == "request body is not JSON"


def test_one_registry_follows_references_from_spec_into_schema_files() -> None:
    """A spec $ref to ../schemas/x.json whose own $ref points at y.json#/$defs/z resolves."""
    operation = spec.operation_for("redis-enterprise", "GET", "http://h/v1/cluster/actions/x")
    assert operation is not None
    media = operation.responses["200"].content["application/json"]
    assert media.schema_uri is not None and media.schema_uri.startswith("file://")
    good = {"name": "change_master", "status": "completed", "progress": 100}
    problems = schemas.json_problems(media.schema_uri, good)
    assert problems == []
    bad = {**good, "progress": 120}  # progress lives in action.schema.json#/$defs/progress
    assert [pointer for pointer, _ in schemas.json_problems(media.schema_uri, bad)] == ["/progress"]
    assert schemas.json_validator(media.schema_uri) is schemas.json_validator(media.schema_uri)


def _instances(schema: Any, depth: int = 0) -> list[Any]:
    """Documents shaped by ``schema`` (each property present, then each one wrong or missing):
    every keyword path of the schema is walked by at least one of them."""
    if not isinstance(schema, dict) or depth > 6:
        return [None]
    for key in ("const", "enum", "examples"):
        if key in schema:
            values = [schema[key]] if key == "const" else list(schema[key])
            return [*values, 12345, "not-listed"]
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            return [i for sub in schema[key] for i in _instances(sub, depth + 1)][:12]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        properties = schema.get("properties", {})
        whole = {name: _instances(sub, depth + 1)[0] for name, sub in properties.items()}
        found: list[Any] = [whole, {**whole, "unlisted": 1}]
        for name, sub in properties.items():
            found += [{k: v for k, v in whole.items() if k != name}, {**whole, name: [None]}]
            found += [{**whole, name: value} for value in _instances(sub, depth + 1)[1:3]]
        return found
    if kind == "array":
        items = _instances(schema.get("items", {}), depth + 1)
        return [items[:2], [], items, [*items[:1], {"x": 1}]]
    simple = {"integer": [0, 1, -1, 2.5], "number": [0.5, -1], "boolean": [True, 0]}
    return simple.get(kind, ["da2add909a144e8235453f88dc45172f", "", "x" * 300, 7])


def _errors(errors: Any) -> list[tuple[list[Any], str]]:
    return sorted((list(error.absolute_path), error.message) for error in errors)


def test_inlined_references_judge_as_the_references_do() -> None:
    """The compiled validators resolve every ``$ref`` once (schemas.inline_refs): for every
    schema a spec names, the problems found are those of the plain ``{"$ref": uri}`` validator,
    on documents shaped by each schema, each property in turn wrong or missing."""
    import jsonschema

    plain_class = jsonschema.validators.Draft202012Validator
    uris = {
        media.schema_uri
        for api in ("bigfix", "edgeiq", "nexthink", "redis-enterprise")
        for operation in spec.operations(api)
        for media in [
            *operation.request_media.values(),
            *(m for r in operation.responses.values() for m in r.content.values()),
        ]
        if media.schema_uri
    }
    assert len(uris) > 20
    for uri in sorted(uris):
        plain = plain_class(
            {"$ref": uri}, registry=schemas.registry(), format_checker=plain_class.FORMAT_CHECKER
        )
        for document in [*_instances(schemas.inline_refs(uri)), {}, [], "x", 1, None]:
            found = schemas.json_validator(uri).iter_errors(document)
            assert _errors(found) == _errors(plain.iter_errors(document)), (uri, document)
    run = spec.operation_for("nexthink", "POST", "http://h/api/remoteaction/v2/run")
    assert run is not None
    run_request = schemas.inline_refs(str(run.request_media["application/json"].schema_uri))
    assert "$ref" not in json.dumps(run_request)  # a 10000-UID list: no lookup per UID


def test_the_registry_loads_nothing_outside_the_spec_and_schema_folders(tmp_path: Path) -> None:
    outside = tmp_path / "x.json"
    outside.write_text("{}", encoding="utf-8")
    with pytest.raises(Exception, match=r"Unresolvable"):
        schemas.json_validator(outside.as_uri()).validate({})
    with pytest.raises(Exception, match=r"Unresolvable"):
        schemas.json_validator("https://example.com/x.json").validate({})


def test_xsd_is_compiled_once_with_lxml() -> None:
    from lxml import etree

    first = schemas.xsd("schemas/bigfix/BES.xsd")
    assert isinstance(first, etree.XMLSchema)
    assert schemas.xsd("schemas/bigfix/BES.xsd") is first


def test_xml_problems_checks_xsd_root_and_children() -> None:
    corpus = shared_dir() / "corpus"
    if not corpus.is_dir():
        pytest.skip("corpus not found")
    operation = spec.operation_for("bigfix", "GET", "http://h/api/action/44")
    assert operation is not None
    media = operation.responses["200"].content["application/xml"]
    documents = sorted(corpus.rglob("*.xml"))
    valid = [doc for doc in documents if b"<BES" in doc.read_bytes()[:400]]
    assert any(schemas.xml_problems(doc.read_bytes(), media.schema) == [] for doc in valid)
    assert schemas.xml_problems(b"<BESAPI/>", media.schema)[0].startswith("expected root")
    assert "not acceptable XML" in schemas.xml_problems(b"<BES>", media.schema)[0]
    broken = b"<BES><SingleAction><Title>x</Title></SingleAction></BES>"
    assert "does not validate against BES.xsd" in schemas.xml_problems(broken, media.schema)[0]
    doctype = b'<!DOCTYPE BES [<!ENTITY x SYSTEM "file:///etc/passwd">]><BES>&x;</BES>'
    assert "DOCTYPE" in schemas.xml_problems(doctype, media.schema)[0]


# -- finding an exchange's operation ----------------------------------------------------------


def test_operation_for_respects_the_base_path() -> None:
    found = spec.operation_for(
        "edgeiq",
        "POST",
        "https://api.edgeiq.io/api/v1/platform/fleets/f1/actions",
        "https://api.edgeiq.io/api/v1/platform",
    )
    assert found is not None and found.name == "POST /fleets/{id}/actions"
    # a base URL that is only the host: the spec's server base path is taken off
    found = spec.operation_for(
        "edgeiq", "POST", "http://h/api/v1/platform/fleets/f1/actions", "http://h"
    )
    assert found is not None and found.operation_id == "edgeiqExecuteFleetAction"
    assert spec.operation_for("edgeiq", "POST", "http://h/fleets/f1/actions", "http://h")
    assert spec.operation_for("edgeiq", "GET", "http://h/fleets/f1/actions", "http://h") is None
    assert spec.operation_for("bigfix", "GET", "http://h/api/nothing") is None
    status = spec.operation_for("bigfix", "GET", "http://h/api/action/7/status?fields=Status")
    assert status is not None and status.name == "GET /api/action/{action id}/status"


# -- the judge --------------------------------------------------------------------------------


def _response(
    method: str,
    path: str,
    status: int,
    body: bytes = b"",
    content_type: str | None = None,
    *,
    request_body: bytes = b"",
    request_type: str | None = None,
    credentials: str = "default",
) -> Response:
    headers = {"Authorization": "[redacted]"}
    if request_type:
        headers["Content-Type"] = request_type
    exchange = Exchange(method, BIGFIX_BASE + path, headers, "", credentials=credentials)
    exchange.status = status
    response_headers = CaseInsensitiveDict({"Content-Type": content_type} if content_type else {})
    return Response(status, response_headers, body, exchange, request_body)


def _judge(api: str, response: Response) -> Judgement:
    judgement = Judge(api, BIGFIX_BASE)(response)
    assert judgement is not None
    return judgement


def _failed(judgement: Judgement) -> dict[str, str]:
    return {f.requirement: str(f.problem) for f in judgement.findings if not f.passed}


def test_an_undocumented_status_fails_the_operation_requirement() -> None:
    judgement = _judge("bigfix", _response("POST", "/api/action/7/stop", 204))
    assert _failed(judgement) == {
        "BIGFIX-STOP-POST-200": "status 204 is not documented for POST /api/action/{action id}/stop"
        " (documented: 200, 400, 401, 403, 404)"
    }


def test_a_request_outside_the_spec_leaves_the_status_open() -> None:
    """Chosen credentials, an invalid path parameter, an undocumented query, a malformed body:
    the docs leave the answer open, so the judge does not judge the status."""
    cases = [
        _response("POST", "/api/action/7/stop", 418, credentials="none"),
        _response("POST", "/api/action/seven/stop", 418),
        _response("POST", "/api/action/7/stop?x=1", 418),
        _response("POST", "/api/actions", 500, request_body=b"<BES", request_type="text/xml"),
        _response("POST", "/api/actions", 500, request_body=b"<BES/>", request_type="text/plain"),
    ]
    for response in cases:
        judgement = _judge("bigfix", response)
        assert judgement.request_off_spec, response.exchange.request_line
        assert _failed(judgement) == {}


def test_a_wrong_content_type_fails_the_response_requirement() -> None:
    judgement = _judge("bigfix", _response("GET", "/api/action/7", 200, b"<BES/>", "text/html"))
    assert list(_failed(judgement)) == ["BIGFIX-ACTION-GET-XML"]


def test_a_body_breaking_its_schema_fails_the_media_requirement() -> None:
    xml = _response("GET", "/api/action/7", 200, b"<BESAPI/>", "application/xml")
    assert list(_failed(_judge("bigfix", xml))) == ["BIGFIX-ACTION-GET-SCHEMA"]
    body = json.dumps({"name": "change_master", "status": "done", "progress": 5}).encode()
    redis = _response("GET", "/v1/cluster/actions/change_master", 200, body, "application/json")
    failed = _failed(_judge("redis-enterprise", redis))
    assert list(failed) == ["REDIS-CLUSTER-ACTION-GET-SCHEMA"]
    assert failed["REDIS-CLUSTER-ACTION-GET-SCHEMA"].startswith("body at /status:")


def test_json_errors_land_on_the_requirement_of_their_path() -> None:
    body = {"actions": [{"name": "x", "action_uid": "1", "status": "done", "progress": 1}]}
    response = _response("GET", "/v1/actions", 200, json.dumps(body).encode(), "application/json")
    failed = _failed(_judge("redis-enterprise", response))
    # no state-machines array: the list's shape; a bad status: the listed action's schema
    assert set(failed) == {"REDIS-ACTIONS-GET-SHAPE", "REDIS-ACTIONS-GET-SCHEMA"}


def test_a_conformant_exchange_passes_what_it_names() -> None:
    body = b"ok"
    judgement = _judge("bigfix", _response("DELETE", "/api/action/7", 200, body, "text/plain"))
    assert [(f.requirement, f.passed) for f in judgement.findings] == [
        ("BIGFIX-ACTION-DELETE-OK", True),
        ("BIGFIX-ACTION-DELETE-OK", True),
    ]


def test_empty_error_bodies_and_empty_body_rules() -> None:
    # an error status with an empty body: not judged on content (Redis: "empty or JSON")
    empty = _judge("redis-enterprise", _response("GET", "/v1/actions/9", 404))
    assert empty.findings == []
    # x-empty-body: a 404 for an unknown BigFix action has no body at all
    text = _judge("bigfix", _response("GET", "/api/action/9", 404, b"not found", "text/plain"))
    assert list(_failed(text)) == ["BIGFIX-ACTION-GET-404"]


def test_judged_properties_leave_out_the_tests_own_failure() -> None:
    bad = _judge("bigfix", _response("POST", "/api/action/7/stop", 204))
    good = _judge("bigfix", _response("DELETE", "/api/action/7", 200, b"ok", "text/plain"))
    properties = judged_properties([bad, good])
    assert properties["judged"]["BIGFIX-STOP-POST-200"]["failed"][0]["response"]["status"] == 204
    assert properties["judged"]["BIGFIX-ACTION-DELETE-OK"] == {"passed": 2, "failed": []}
    assert properties["seen"] == {
        "bigfix": {
            "POST /api/action/{action id}/stop": [204],
            "DELETE /api/action/{action id}": [200],
        }
    }
    own = judged_properties([bad, good], own=bad.exchange)
    assert "BIGFIX-STOP-POST-200" not in own["judged"]
    json.dumps(properties)  # travels from xdist workers as plain data


# -- faults that only the judge sees -----------------------------------------------------------

SPEC_ONLY_FAULTS = [
    # (api, fault, requirement): a wrong content type, a schema-breaking JSON field, an
    # undocumented status; no hand-written check looks at any of them.
    ("edgeiq", "bulk-response-text-plain", "EDGEIQ-BULK-RESPONSE-GET"),
    ("redis-enterprise", "conflict-error-code-number", "REDIS-ERROR-BODY"),
    ("redis-enterprise", "running-status-202", "REDIS-CLUSTER-ACTION-GET-JSON"),
]


@pytest.mark.parametrize(("api", "fault", "requirement"), SPEC_ONLY_FAULTS)
def test_a_fault_no_hand_written_check_sees_fails_through_the_spec(
    api: str, fault: str, requirement: str, serve: Any, tmp_path: Path
) -> None:
    """Every piece of evidence comes from the judge: no test's own check saw the fault."""
    from conformance.servers import app_class
    from tests.helpers import run_against

    assert app_class(api).FAULTS[fault].requirement == requirement
    result = run_against(serve(api, fault), api, tmp_path / "report", in_process=True)
    assert result.code == 1, result.stdout + result.stderr
    failed = {rid for rid, status in result.statuses().items() if status == "failed"}
    assert failed == {requirement}
    evidence = result.requirement(requirement)["evidence"]
    assert evidence
    for item in evidence:
        assert "judged against the spec" in item["message"], item["message"]
        assert item["response"]["status"] and item["reproduce"].startswith("curl")


def test_the_judge_reads_the_spec_of_the_vendor_version() -> None:
    """x-since/x-until: a status documented from 8.0.2 on is undocumented for 7.4."""
    body = b'{"error_code": "node_not_found", "description": "no node 9"}'

    def judged(version: str | None) -> dict[str, str]:
        response = _response(
            "POST",
            "/v1/cluster/actions/change_master",
            404,
            body,
            "application/json",
            request_body=b'{"node_uid": "9"}',
            request_type="application/json",
        )
        judgement = Judge("redis-enterprise", BIGFIX_BASE, version=version)(response)
        assert judgement is not None
        return _failed(judgement)

    assert judged(None) == {}
    assert judged("8.0.2") == {}
    assert list(judged("7.4")) == ["REDIS-CLUSTER-ACTION-POST-200"]
