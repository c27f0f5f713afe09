"""The judge: every exchange, whatever test made it, against the operation the spec documents.

For each response to a request the spec has an operation for:

- **status**: documented (exact, ``2XX``-style or ``default``); an undocumented status fails the
  operation's ``x-requirement``. Judged only when the request itself follows the spec (the
  default credentials, documented and valid parameters, a body valid for a documented request
  media type): what a server answers to a request outside the spec is for the test that sent it
  to judge, and the docs leave it open.
- **content type**: when the documented response has content, a non-empty body carries one of
  its media types; ``x-empty-body: true`` means no body at all. Fails the response's
  ``x-requirement``.
- **body**: valid for the media type's schema (JSON Schema through the one registry, or the XSD
  and ``x-xml-*`` annotations for XML). Fails the media type's ``x-requirement`` (default: the
  response's), or the one ``x-requirement-paths`` gives for where the error is.

An error status (400 and above) with an empty body is not judged on content: most pages leave
error bodies open. Nothing is judged against a requirement the spec does not name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema

from conformance import schemas, spec
from conformance.http import Exchange, Response
from conformance.memo import BoundedMemo

__all__ = ["Finding", "Judge", "Judgement", "judge_response", "request_problems"]


@dataclass(frozen=True)
class Finding:
    """One judged point of one exchange: the requirement, and the problem (``None`` = held)."""

    requirement: str
    check: str  # status | content-type | empty-body | body
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None


@dataclass
class Judgement:
    """What the judge made of one exchange."""

    exchange: Exchange
    operation: spec.Operation
    status: int
    findings: list[Finding] = field(default_factory=list)
    request_off_spec: str | None = None


# -- the request: does it follow the spec? ------------------------------------------------------


def _coerce(value: str, schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return {"true": True, "false": False}[value]
    return value


def _param_problem(value: str, parameter: Mapping[str, Any]) -> str | None:
    schema = parameter.get("schema") or {}
    try:
        coerced = _coerce(value, schema)
    except (ValueError, KeyError):
        where = f"{parameter.get('in')} parameter {parameter.get('name')}={value!r}"
        return f"{where} is not a {schema.get('type')}"
    validator = jsonschema.Draft202012Validator(schema)
    error = next(iter(validator.iter_errors(coerced)), None)
    if error is not None:
        return f"{parameter.get('in')} parameter {parameter.get('name')}={value!r}: {error.message}"
    return None


def request_problems(
    operation: spec.Operation,
    exchange: Exchange,
    path: str,
    body: bytes,
    version: str | None = None,
    url: str | None = None,
) -> str | None:
    """Why the request is outside the spec (``None`` if it follows it); ``url`` is the request's
    unredacted URL (default: the exchange's)."""
    if exchange.credentials != "default":
        return f"credentials chosen by the test ({exchange.credentials})"
    if operation.secured and "authorization" not in {h.lower() for h in exchange.request_headers}:
        return "no credentials"
    values = operation.path_values(path) or {}
    by_location: dict[str, dict[str, Mapping[str, Any]]] = {"path": {}, "query": {}}
    for parameter in operation.parameters:
        location = str(parameter.get("in"))
        if location in by_location:
            by_location[location][str(parameter.get("name"))] = parameter
    for name, parameter in by_location["path"].items():
        value = values.get(name.replace(" ", "_"))
        if value is not None and (problem := _param_problem(value, parameter)):
            return problem
    query = parse_qsl(urlsplit(url or exchange.url).query, keep_blank_values=True)
    for name, value in query:
        documented = by_location["query"].get(name)
        if documented is None:
            return f"undocumented query parameter {name!r}"
        if problem := _param_problem(value, documented):
            return problem
    return _body_problem(operation, exchange, body, version)


def _body_problem(
    operation: spec.Operation, exchange: Exchange, body: bytes, version: str | None
) -> str | None:
    if operation.request_body is None:
        return "a body the operation does not document" if body else None
    if not body:
        return "no body" if operation.request_body.get("required") else None
    content_type = ""
    for name, value in exchange.request_headers.items():
        if name.lower() == "content-type":
            content_type = value.split(";")[0].strip().lower()
    media = _media_for(operation.request_media, content_type)
    if media is None:
        return f"request Content-Type {content_type or '(none)'} is not documented"
    if media.is_xml:
        return _xml_request_problem(media, hashlib.sha256(body).digest(), body)
    if media.is_json and media.schema_uri is not None:
        return _json_request_problem(media.schema_uri, version, hashlib.sha256(body).digest(), body)
    return None


_REQUEST_VERDICTS: BoundedMemo[tuple[object, ...], str | None] = BoundedMemo(4096)


def _xml_request_problem(media: spec.MediaType, digest: bytes, body: bytes) -> str | None:
    """The first problem of an XML request body, judged once per process for the same bytes
    and schema (its place in the spec, as ``_json_request_problem``; BigFix bodies name up to
    10000 targets)."""

    def judge() -> str | None:
        xml = schemas.xml_problems(body, media.schema)
        return f"request body: {xml[0]}" if xml else None

    return _REQUEST_VERDICTS.remember(("xml", media.schema_uri, digest), judge)


def _json_request_problem(uri: str, version: str | None, digest: bytes, body: bytes) -> str | None:
    """The first problem of a JSON request body, judged once per process for the same bytes:
    the suite sends the same bodies again (derandomised examples, several runs in one process),
    some of them 10000 device UIDs long."""

    def judge() -> str | None:
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):
            return "request body is not JSON"
        problems = schemas.json_problems(uri, document, version)
        return f"request body at {problems[0][0] or '/'}: {problems[0][1]}" if problems else None

    return _REQUEST_VERDICTS.remember(("json", uri, version, digest), judge)


# -- the response ---------------------------------------------------------------------------


def judge_response(
    operation: spec.Operation,
    response: Response,
    *,
    judge_status: bool,
    filtered: bool,
    version: str | None = None,
) -> list[Finding]:
    """The findings for one response (what held and what did not)."""
    findings: list[Finding] = []
    documented = operation.response_for(response.status)
    if documented is None:
        if judge_status and operation.requirement:
            listed = ", ".join(operation.documented) or "none"
            findings.append(
                Finding(
                    operation.requirement,
                    "status",
                    f"status {response.status} is not documented for {operation.name} "
                    f"(documented: {listed})",
                )
            )
        return findings
    body = response.content
    if (response.status >= 400 or documented.body_optional) and not body.strip():
        return findings
    requirement = documented.requirement
    if documented.empty_body:
        if requirement:
            problem = None
            if body.strip():
                problem = f"expected an empty body, got {len(body)} bytes"
            findings.append(Finding(requirement, "empty-body", problem))
        return findings
    if not documented.content:
        return findings
    media = _media_for(documented.content, response.content_type)
    if media is None:
        if requirement:
            got = response.headers.get("Content-Type", "(none)")
            wanted = " or ".join(documented.content)
            problem = f"expected Content-Type {wanted} for status {response.status}, got {got}"
            findings.append(Finding(requirement, "content-type", problem))
        return findings
    if requirement:
        findings.append(Finding(requirement, "content-type"))
    findings.extend(_judge_body(media, response, filtered, version))
    return findings


def _present(document: Any, pointer: str) -> bool:
    """Whether ``pointer`` names a non-empty value in ``document``."""
    node = document
    for part in [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return node not in (None, [], {}, "")


def _family(media_type: str) -> str:
    """XML and JSON media types are one family each (``text/xml`` is XML as much as
    ``application/xml`` is; the pages say "XML" or "JSON", not which label)."""
    if media_type in ("application/xml", "text/xml") or media_type.endswith("+xml"):
        return "xml"
    if media_type == "application/json" or media_type.endswith("+json"):
        return "json"
    return media_type


def _media_for(content: Mapping[str, spec.MediaType], media_type: str) -> spec.MediaType | None:
    if media_type in content:
        return content[media_type]
    family = _family(media_type)
    return next((m for name, m in content.items() if _family(name) == family), None)


def _judge_body(
    media: spec.MediaType, response: Response, filtered: bool, version: str | None
) -> list[Finding]:
    """The body's findings; the body is parsed and validated once per response (its cache
    serves the checks and tests that read it next)."""
    body = response.content
    if media.is_xml:
        if media.requirement is None:
            return []
        problems = schemas.xml_problems(body, media.schema, filtered=filtered, cache=response.cache)
        return [Finding(media.requirement, "body", problems[0] if problems else None)]
    if media.is_json and media.schema_uri is not None:
        try:
            document = response.json()
        except (ValueError, RecursionError, UnicodeDecodeError) as exc:
            if media.requirement is None:
                return []
            return [Finding(media.requirement, "body", f"body is not JSON: {exc}")]
        failed: dict[str, str] = {}
        for pointer, message in schemas.json_problems(media.schema_uri, document, version):
            requirement = media.requirement_for(pointer)
            if requirement is not None and requirement not in failed:
                failed[requirement] = f"body at {pointer or '/'}: {message}"
        # A path's requirement is judged only where the body has something at that path (an
        # empty state-machines list proves nothing about state machines).
        named = {media.requirement} | {
            rid for pointer, rid in media.requirement_paths.items() if _present(document, pointer)
        }
        named |= set(failed)
        return [Finding(rid, "body", failed.get(rid)) for rid in sorted(r for r in named if r)]
    if media.name.startswith("text/") and media.schema_uri and media.requirement:
        try:
            text = body.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            return [Finding(media.requirement, "body", f"body is not valid UTF-8: {exc.reason}")]
        text_problems = schemas.json_problems(media.schema_uri, text, version)
        problem = f"body {text[:80]!r}: {text_problems[0][1]}" if text_problems else None
        return [Finding(media.requirement, "body", problem)]
    return []


# -- the observer ---------------------------------------------------------------------------


class Judge:
    """An HTTP client observer: judges each response of one API and records what it saw.

    ``sink`` receives every ``Judgement``; ``seen`` counts statuses per operation name.
    """

    def __init__(
        self,
        api: str,
        base_url: str,
        sink: Callable[[Judgement], None] | None = None,
        version: str | None = None,
    ) -> None:
        self.api = api
        self.base_url = base_url
        self.sink = sink
        self.version = version  # the vendor version judged by (None: any documented one)
        self.seen: dict[str, set[int]] = {}

    def __call__(self, response: Response) -> Judgement | None:
        exchange = response.exchange
        url = response.request_url or exchange.url  # unredacted: a secret may share its letters
        operation = spec.operation_for(self.api, exchange.method, url, self.base_url, self.version)
        if operation is None:
            return None
        self.seen.setdefault(operation.name, set()).add(response.status)
        relative = _relative_path(url, self.base_url, self.api)
        off_spec = request_problems(
            operation, exchange, relative, response.request_content, self.version, url
        )
        query = dict(parse_qsl(urlsplit(url).query))
        judgement = Judgement(exchange, operation, response.status, request_off_spec=off_spec)
        judgement.findings = judge_response(
            operation,
            response,
            judge_status=off_spec is None,
            filtered="fields" in query,
            version=self.version,
        )
        if self.sink is not None:
            self.sink(judgement)
        return judgement


def _relative_path(url: str, base_url: str, api: str) -> str:
    path = urlsplit(url).path or "/"
    base = urlsplit(base_url).path.rstrip("/")
    if base and path.startswith(base):
        path = path[len(base) :] or "/"
    spec_base = spec.load(api).base_path  # the same for every version
    if spec_base and path.startswith(spec_base + "/"):
        path = path[len(spec_base) :]
    return path


# -- what a test phase hands to the report ----------------------------------------------------

MAX_EVIDENCE_PER_TEST = 3


def judged_properties(judgements: list[Judgement], own: object = None) -> dict[str, Any]:
    """The judgements of one test phase, as plain data (they travel from xdist workers).

    ``judged`` maps each requirement to ``{"passed": n, "failed": [evidence...]}``; ``seen``
    maps api -> operation -> statuses. When the test itself failed on an exchange (``own``),
    violations on that exchange's operation in the same test phase are left out: the test's
    failure already explains them (Hypothesis, for one, replays a failing example with a new
    request, so the first failing exchange is not the one the failure names).
    """
    explained = {j.operation.name for j in judgements if own is not None and j.exchange is own}
    judged: dict[str, dict[str, Any]] = {}
    seen: dict[str, dict[str, set[int]]] = {}
    for judgement in judgements:
        operation = judgement.operation
        seen.setdefault(operation.api, {}).setdefault(operation.name, set()).add(judgement.status)
        for finding in judgement.findings:
            if not finding.passed and operation.name in explained:
                continue
            entry = judged.setdefault(finding.requirement, {"passed": 0, "failed": []})
            if finding.passed:
                entry["passed"] += 1
            elif len(entry["failed"]) < MAX_EVIDENCE_PER_TEST:
                entry["failed"].append(
                    {
                        "message": f"{finding.problem} (judged against the spec: "
                        f"{operation.name}, {finding.check})",
                        **judgement.exchange.evidence(),
                    }
                )
    return {
        "judged": judged,
        "seen": {
            api: {name: sorted(statuses) for name, statuses in ops.items()}
            for api, ops in seen.items()
        },
    }


def coverage_record(
    apis: list[str], seen: Mapping[str, Mapping[str, set[int]]], version: str | None = None
) -> dict[str, Any]:
    """``coverage`` of report.json: per spec operation, documented and seen statuses."""
    records = []
    for api in apis:
        for operation in spec.operations(api, version):
            records.append(
                {
                    "api": api,
                    "operation": operation.name,
                    "documented": operation.documented,
                    "seen": sorted(seen.get(api, {}).get(operation.name, set())),
                }
            )
    return {"operations": records}
