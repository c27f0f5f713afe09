"""The schemathesis path: spec-derived requests through the suite's client, judged by
schemathesis's checks, each failure on the requirement the spec names."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Callable

from hypothesis import given, settings
from schemathesis import Case
from schemathesis.generation import GenerationMode

from conformance import spec_properties, st_hooks
from conformance.http import ApiClient
from conformance.profiles import profile_settings
from conformance.redact import Redactor
from conformance.suites import test_spec_properties

STATUS_OPERATION = "bigfixGetActionStatus"
PATH_MARK = "schemathesis response schema"


def _client(url: str) -> ApiClient:
    token = base64.b64encode(b"conformance:conformance").decode()
    return ApiClient(
        url,
        authorization=f"Basic {token}",
        redactor=Redactor([]),
        timeout=10,
        max_response_bytes=1 << 20,
        allow_mutations=False,
    )


def _status_operation() -> spec_properties.SpecOperation:
    return next(
        operation
        for operation in spec_properties.operations("bigfix")
        if operation.operation.operation_id == STATUS_OPERATION
    )


def _judge_status_of_44(url: str) -> list[spec_properties.Finding]:
    operation = _status_operation()
    found: list[spec_properties.Finding] = []

    @settings(profile_settings("fast"), max_examples=3)
    @given(case=spec_properties.strategy(operation, GenerationMode.POSITIVE))
    def probe(case: Case) -> None:
        case.path_parameters["action_id"] = 44  # the documented action, with computers
        case.query = {}  # the full status (a ?fields= answer is judged by the filtered XSD)
        response = spec_properties.send(_client(url), case)
        found.extend(spec_properties.judge(operation, case, response))

    probe()
    return found


def test_a_schema_invalid_xml_answer_fails_its_requirement(serve: Callable[..., str]) -> None:
    """The fault status-no-state drops <State>: the XSD deserializer makes schemathesis's
    response_schema_conformance fail, on the requirement the spec's media type names."""
    findings = _judge_status_of_44(serve("bigfix", "status-no-state"))
    assert findings, "the schema-invalid status passed the schemathesis checks"
    assert {finding.requirement for finding in findings} == {"BIGFIX-STATUS-GET-SCHEMA"}
    assert all(finding.check == PATH_MARK for finding in findings)
    assert "BESAPI.xsd" in str(findings[0].problem)


def test_the_valid_status_passes_the_same_path(serve: Callable[..., str]) -> None:
    assert _judge_status_of_44(serve("bigfix")) == []


def test_the_deserializer_names_the_xsd_problem() -> None:
    schema = st_hooks.xml_schema_for(STATUS_OPERATION, 200, "application/xml")
    assert schema is not None and schema["x-xsd"].endswith("BESAPI.xsd")
    assert st_hooks.xml_schema_for(STATUS_OPERATION, 404, "text/plain") is None


def test_every_spec_operation_has_a_property_test() -> None:
    ids = {param.id for param in test_spec_properties._params()}
    for api in ("bigfix", "edgeiq", "nexthink", "redis-enterprise"):
        for operation in spec_properties.operations(api):
            assert f"{operation.id}-positive" in ids


def test_a_link_cannot_read_an_id_from_an_xml_body() -> None:
    """Why BigFix has no stateful phase (schemathesis.toml): a link reads the deserialized body,
    and an XML body deserializes to its text (the spec types it as a string), so the created
    action's ID is unresolvable. suites/bigfix/test_lifecycle.py follows the ID instead."""
    import requests
    from schemathesis.core.transforms import UNRESOLVABLE
    from schemathesis.core.transport import Response as StResponse
    from schemathesis.generation.stateful.state_machine import StepOutput
    from schemathesis.specs.openapi import expressions

    create = next(
        operation
        for operation in spec_properties.operations("bigfix")
        if operation.operation.operation_id == "bigfixCreateAction"
    )
    case = create.schemathesis.Case(body=b"<BES/>", media_type="application/xml")
    body = (
        b'<BESAPI><Action Resource="http://127.0.0.1/api/action/46"'
        b' LastModified="Tue, 19 Mar 2013 21:23:10 +0000">'
        b"<Name>t</Name><ID>46</ID></Action></BESAPI>"
    )
    request = requests.Request("POST", "http://127.0.0.1/api/actions").prepare()
    response = StResponse(200, {"content-type": ["application/xml"]}, body, request, 0.0, True)
    output = StepOutput(response, case)
    assert expressions.evaluate("$response.body#/BESAPI/Action/ID", output) is UNRESOLVABLE
    assert expressions.evaluate("$response.body#/Action/ID", output) is UNRESOLVABLE


def test_collection_plans_what_schemathesis_loads_in_its_order() -> None:
    """The property tests are collected from the specs alone (``spec_properties.planned``): the
    same operations, in the order schemathesis loads them, so runs draw as before."""
    for api in ("bigfix", "edgeiq", "nexthink", "redis-enterprise"):
        planned = [(op.id, op.negatable) for op in spec_properties.planned(api)]
        loaded = [(op.id, op.negatable) for op in spec_properties.operations(api)]
        assert planned == loaded, api
        assert all(spec_properties.resolve(op).schemathesis for op in spec_properties.planned(api))


def test_collecting_the_spec_drawn_tests_imports_no_schemathesis() -> None:
    """Collection (the plugin, the spec-drawn tests and their parameters) imports neither
    schemathesis nor its hooks: they load when a test first draws, and a Redis run loads them
    while it waits on its cluster action (README: Speed)."""
    code = (
        "import sys, conformance.plugin, conformance.suites.test_spec_properties as t\n"
        "t._params()\n"
        "loaded = [m for m in sys.modules if m.startswith(('schemathesis', 'conformance.st_'))]\n"
        "print(sorted(loaded))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout
