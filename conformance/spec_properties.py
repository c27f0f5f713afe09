"""Spec-derived property tests: schemathesis draws the requests, the suite's client sends them.

For every operation of an API's spec, schemathesis generates requests (positive cases from the
schemas, negative cases that break them); the suite's own ``ApiClient`` sends each one (so the
read-only rule, limits, rate, redaction and the HAR recording hold), and schemathesis's checks
judge the answer: ``status_code_conformance``, ``content_type_conformance``,
``response_schema_conformance`` (XML bodies through the XSD deserializer registered in
``conformance.st_hooks``) and ``negative_data_rejection``. Each failure becomes a ``Finding`` on
the requirement the spec's ``x-requirement`` names for that status, media type or operation.

Left out, with the reason:

- ``positive_data_acceptance``: a schema-valid request names remote actions, fleets and nodes the
  schema cannot know, and the pages document a 4xx refusal for unknown ones.
- the checks ``schemathesis.toml`` switches off for an operation (negative data for the
  Nexthink and EdgeIQ request bodies); the file is read only for those decisions: its pinned
  IDs and credentials are the bundled servers', while the suite uses the target's.
- ``ignored_auth``, ``unsupported_method`` and the stateful checks send requests of their own
  outside the client, so the suite cannot apply its safety rules to them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from hypothesis import strategies as st

from conformance import idle, registry, schemas, spec
from conformance.contract import Finding
from conformance.http import MUTATING_METHODS, ApiClient, Response

if TYPE_CHECKING:  # schemathesis is imported where it is used, once a test needs it
    from schemathesis import Case
    from schemathesis.config import SchemathesisConfig
    from schemathesis.core.failures import Failure
    from schemathesis.core.transport import Response as StResponse
    from schemathesis.generation import GenerationMode
    from schemathesis.schemas import APIOperation, BaseSchema

__all__ = ["Finding", "SpecOperation", "judge", "operations", "send", "strategy"]

CONFIG_FILE = Path(__file__).resolve().parent.parent / "schemathesis.toml"
CHECKS = (
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)


@cache
def _st() -> SimpleNamespace:
    """The schemathesis names judging and drawing use at run time, imported once, when a test
    first needs them (collection imports no schemathesis: a Redis run does it while it waits)."""
    from schemathesis.core.failures import (
        AcceptedNegativeData,
        Failure,
        FailureGroup,
        MalformedJson,
    )
    from schemathesis.core.parameters import ParameterLocation
    from schemathesis.core.transport import Response as StResponse
    from schemathesis.generation import GenerationMode
    from schemathesis.openapi.checks import (
        ContentDeserializationError,
        JsonSchemaError,
        MissingContentType,
        UndefinedContentType,
        UndefinedStatusCode,
    )

    return SimpleNamespace(
        AcceptedNegativeData=AcceptedNegativeData,
        ContentDeserializationError=ContentDeserializationError,
        Failure=Failure,
        FailureGroup=FailureGroup,
        GenerationMode=GenerationMode,
        JsonSchemaError=JsonSchemaError,
        MalformedJson=MalformedJson,
        MissingContentType=MissingContentType,
        ParameterLocation=ParameterLocation,
        StResponse=StResponse,
        UndefinedContentType=UndefinedContentType,
        UndefinedStatusCode=UndefinedStatusCode,
    )


@cache
def _check(name: str) -> Callable[..., Any]:
    """Schemathesis's check named ``name`` (one of ``CHECKS``)."""
    from schemathesis.specs.openapi import checks as st_checks

    check: Callable[..., Any] = getattr(st_checks, name)
    return check


@dataclass(frozen=True)
class PlannedOperation:
    """A spec operation the property tests draw for, known from the spec alone: what their
    collection needs (``planned``), before the spec is loaded into schemathesis."""

    api: str
    operation: spec.Operation

    @property
    def id(self) -> str:
        return f"{self.api}:{self.operation.operation_id}"

    @property
    def mutating(self) -> bool:
        return self.operation.method in MUTATING_METHODS

    @property
    def negatable(self) -> bool:
        """Whether schemathesis can draw a request that breaks the spec: a body, or a parameter
        whose schema constrains more than "some string" (a bare string takes anything)."""
        if self.operation.request_body is not None:
            return True
        for parameter in self.operation.parameters:
            schema = parameter.get("schema") or {}
            constraints = set(schema) - {"type", "description", "example", "examples"}
            if constraints or schema.get("type") not in (None, "string"):
                return True
        return False


@dataclass(frozen=True)
class SpecOperation(PlannedOperation):
    """One operation as both schemathesis and the contract layer know it."""

    schemathesis: APIOperation


@cache
def _config() -> SchemathesisConfig:
    from schemathesis.config import SchemathesisConfig

    if CONFIG_FILE.is_file():
        return SchemathesisConfig.from_path(str(CONFIG_FILE))
    return SchemathesisConfig()


@cache
def load_schema(api: str, bundled: bool = False) -> BaseSchema:
    """The API's spec as schemathesis loads it (file references resolved from its folder).

    Against a bundled server, ``schemathesis.toml`` supplies its seeded IDs and example values,
    as it does for ``st run``. Security parameters are never generated: the client always sends
    the target's credentials (authentication has its own requirements and tests).

    Schemathesis is first imported here, with this project's hooks (``conformance.st_hooks``:
    the XML deserializer, request-body strategies), not while the run collects: a run whose
    tests wait on a server (Redis) does this in its idle time (``planned``)."""
    import schemathesis

    import conformance.st_hooks  # noqa: F401  # registers itself with schemathesis

    path = str(registry.profile(api).spec_file)
    if bundled:
        schema = schemathesis.openapi.from_path(path, config=_config())
    else:
        schema = schemathesis.openapi.from_path(path)
    schema.config.generation.update(with_security_parameters=False)
    return schema


def operations(api: str, *, bundled: bool = False) -> Iterator[SpecOperation]:
    """Every operation of the spec that names the requirement its statuses carry."""
    by_id = {operation.operation_id: operation for operation in spec.operations(api)}
    for result in load_schema(api, bundled).get_all_operations():
        st_operation = result.ok()  # type: ignore[union-attr]  # our specs load (test_api_registry)
        operation = by_id.get(str(st_operation.definition.raw.get("operationId")))
        if operation is not None and operation.requirement:
            yield SpecOperation(api, operation, st_operation)


def planned(api: str) -> list[PlannedOperation]:
    """What ``operations(api)`` yields, in its order (the spec file's paths and methods, as
    schemathesis reads them), from the spec alone: collecting the property tests loads nothing
    into schemathesis. ``load_schema`` is deferred to the run's idle time (``conformance.idle``)
    or the first test that draws."""
    by_id = {operation.operation_id: operation for operation in spec.operations(api)}
    document = schemas.load_document(spec.spec_file(api).resolve())
    found: list[PlannedOperation] = []
    for item in (document.get("paths") or {}).values():
        for method, raw in item.items():
            if method not in spec.METHODS or not isinstance(raw, dict):
                continue
            operation = by_id.get(str(raw.get("operationId")))
            if operation is not None and operation.requirement:
                found.append(PlannedOperation(api, operation))
    idle.defer(f"spec_properties.load_schema {api}", lambda: load_schema(api))
    return found


def resolve(planned: PlannedOperation) -> SpecOperation:
    """The operation as ``operations`` gives it (the spec loaded into schemathesis); what takes
    an operation (``strategy``, ``judge``) takes a planned one too."""
    if isinstance(planned, SpecOperation):
        return planned
    return _loaded(planned.api, planned.operation.operation_id)


def _loaded(api: str, operation_id: str) -> SpecOperation:
    operation = by_operation_id(api, operation_id, bundled=False)
    if operation is None:
        raise LookupError(f"schemathesis does not load {api}:{operation_id}")
    return operation


def enabled_checks(operation: PlannedOperation) -> list[Callable[..., Any]]:
    """``CHECKS`` less those ``schemathesis.toml`` switches off for this operation."""
    return list(_enabled_checks(operation.api, operation.operation.operation_id))


@cache
def _enabled_checks(api: str, operation_id: str) -> tuple[Callable[..., Any], ...]:
    """Once per process and operation: schemathesis builds the operation's configuration from
    the whole project hierarchy at each call (~2 ms, at every spec-drawn exchange)."""
    project = _config().projects.get(load_schema(api).raw_schema)
    config = project.checks_config_for(operation=_loaded(api, operation_id).schemathesis)
    return tuple(_check(name) for name in CHECKS if config.get_by_name(name=name).enabled)


def required_query(operation: PlannedOperation) -> set[str]:
    return {
        str(parameter.get("name"))
        for parameter in operation.operation.parameters
        if parameter.get("in") == "query" and parameter.get("required")
    }


def context_keys(operation: PlannedOperation) -> dict[str, str]:
    """Path parameter -> ``context.py`` key for this operation (``st_data.CONTEXT_KEYS``)."""
    from conformance.st_hooks import api_data

    module = api_data(operation.api)
    keys: dict[str, dict[str, str]] = getattr(module, "CONTEXT_KEYS", {})
    return keys.get(operation.operation.operation_id, {})


def strategy(
    operation: PlannedOperation, mode: GenerationMode | str, *, bundled: bool = False
) -> st.SearchStrategy[Case]:
    """Requests for ``operation`` (``mode``: a ``GenerationMode`` or its value); against a
    bundled server, drawn with ``schemathesis.toml``."""
    same = (
        by_operation_id(operation.api, operation.operation.operation_id, bundled=True)
        if bundled
        else None
    )
    found = same or resolve(operation)
    return found.schemathesis.as_strategy(generation_mode=_st().GenerationMode(mode))


def linked_apis() -> list[str]:
    """The APIs whose spec declares links between operations (the stateful phase). Read from
    the spec files as written (a response's own ``links``), so that a run of other APIs does
    not load these specs into schemathesis only to deselect their tests."""
    found = []
    for api in registry.names():
        document = schemas.pruned_document(spec.spec_file(api).resolve(), None)
        for item in (document.get("paths") or {}).values():
            methods = [raw for raw in item.values() if isinstance(raw, dict)]
            responses = [r for raw in methods for r in (raw.get("responses") or {}).values()]
            if any(isinstance(response, dict) and response.get("links") for response in responses):
                found.append(api)
                break
    return found


def by_operation_id(api: str, operation_id: str, *, bundled: bool) -> SpecOperation | None:
    for operation in operations(api, bundled=bundled):
        if operation.operation.operation_id == operation_id:
            return operation
    return None


# -- sending through the suite's client --------------------------------------------------------


def send(client: ApiClient, case: Case, *, mutating: bool | None = None) -> Response:
    """Send ``case`` with the suite's client: its credentials, limits and safety rules."""
    kwargs = case.as_transport_kwargs(base_url=client.base_url)
    url = str(kwargs["url"])
    path = url[len(client.base_url) :] if url.startswith(client.base_url) else urlsplit(url).path
    headers = {
        str(name): str(value)
        for name, value in (kwargs.get("headers") or {}).items()
        if str(name).lower() not in {"authorization", "user-agent", "x-schemathesis-testcaseid"}
    }
    body: bytes | str | None = kwargs.get("data")
    if "json" in kwargs:
        body = json.dumps(kwargs["json"])
        headers.setdefault("Content-Type", "application/json")
    if isinstance(body, dict | list):
        body = json.dumps(body)
    params = kwargs.get("params") or None
    return client.request(
        case.method, path, params=params, body=body, headers=headers, mutating=mutating
    )


def as_schemathesis_response(response: Response) -> StResponse:
    request = requests.Request(
        response.exchange.method, response.exchange.url, headers=response.exchange.request_headers
    ).prepare()
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    made: StResponse = _st().StResponse(
        status_code=response.status,
        headers=headers,
        content=response.content,
        request=request,
        elapsed=response.exchange.elapsed,
        verify=True,
    )
    return made


# -- judging --------------------------------------------------------------------------------


def judge(operation: PlannedOperation, case: Case, response: Response) -> list[Finding]:
    """Schemathesis's checks on one exchange, as findings on the requirements the spec names."""
    names = _st()
    checks = enabled_checks(operation)
    documented = operation.operation.response_for(response.status)
    may_be_empty = response.status >= 400 or (documented is not None and documented.body_optional)
    if may_be_empty and not response.content.strip():
        # As the contract judge: an error answer (or a response marked x-body-optional) with an
        # empty body is not judged on its content (the pages do not promise a body there).
        content = (_check("content_type_conformance"), _check("response_schema_conformance"))
        checks = [check for check in checks if check not in content]
    try:
        # The XML deserializer sees only the bytes: it reuses the spec judge's parse and
        # verdict of this very response (a large body is not validated twice).
        with schemas.remembered(response.content, response.cache):
            case.validate_response(as_schemathesis_response(response), checks=checks)
    except names.FailureGroup as group:
        failures: list[Failure] = list(group.exceptions)
    except names.Failure as single:
        failures = [single]
    else:
        return []
    findings = []
    for each in failures:
        requirement, check = requirement_for(
            operation.operation, response, each, body_negated=_body_negated(case)
        )
        if requirement is not None:
            message = f"{each.title}: {each.message}".strip()
            findings.append(Finding(requirement, label(check), message))
    return findings


def _body_negated(case: Case) -> bool:
    meta = case.meta
    return meta is not None and meta.is_negative_at(_st().ParameterLocation.BODY)


def label(check: str) -> str:
    """How a finding names its check: ``schemathesis response schema`` (no word a redactor
    could take for a secret: the bundled password is ``conformance``)."""
    return "schemathesis " + check.removesuffix("_conformance").replace("_", " ")


def requirement_for(
    operation: spec.Operation, response: Response, failure: Failure, *, body_negated: bool = True
) -> tuple[str | None, str]:
    """The requirement a schemathesis failure fails (its ``x-requirement``), and the check."""
    names = _st()
    documented = operation.response_for(response.status)
    if isinstance(failure, names.UndefinedStatusCode):
        return operation.requirement, "status_code_conformance"
    if isinstance(failure, names.AcceptedNegativeData):
        # A body the spec forbids was answered as if valid: the operation's own requirement.
        # Query and path values outside the spec are sent and their answers judged, but the
        # pages do not promise to refuse them (BigFix ignores an unknown ?output=, say).
        if not body_negated:
            return None, "negative_data_rejection"
        return operation.requirement, "negative_data_rejection"
    if documented is None:
        return None, "unknown"
    if isinstance(failure, names.MissingContentType | names.UndefinedContentType):
        if response.status >= 400 and not response.content.strip():
            return None, "content_type_conformance"  # an empty error body has no type to judge
        return documented.requirement, "content_type_conformance"
    if isinstance(
        failure, names.JsonSchemaError | names.ContentDeserializationError | names.MalformedJson
    ):
        media = _media(documented, response.content_type)
        if media is None:
            return documented.requirement, "response_schema_conformance"
        pointer = "/" + "/".join(str(part) for part in getattr(failure, "instance_path", []))
        found = media.requirement_for(pointer) if pointer != "/" else media.requirement
        return found or documented.requirement, "response_schema_conformance"
    return None, "other"


def _media(documented: spec.ResponseDoc, content_type: str) -> spec.MediaType | None:
    for name, media in documented.content.items():
        if name == content_type:
            return media
    xml = content_type.endswith("/xml") or content_type.endswith("+xml")
    for name, media in documented.content.items():
        if xml and (name.endswith("/xml") or name.endswith("+xml")):
            return media
    return None
