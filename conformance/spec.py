"""The specs as the suite reads them: each operation, what it documents, and which requirement
each documented thing carries.

Loaded once per process. An exchange finds its operation by method and path template, after the
client's base URL (and, when the base URL is only the host, the spec's server base path) is taken
off. ``x-requirement`` (see the README, "The spec is the oracle") names the catalogue requirement
an operation's undocumented status, a response's content type and a media type's body fail; in a
component shared by several operations it may be a mapping ``{operationId: ID}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance import registry
from conformance.schemas import pruned_document

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PLACEHOLDER = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True)
class MediaType:
    """One documented media type of a response (or request) body."""

    name: str
    schema: Mapping[str, Any]  # resolved through local $refs, for the x-xsd annotations
    schema_uri: str | None  # where the schema is, for the JSON Schema registry
    requirement: str | None
    requirement_paths: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_xml(self) -> bool:
        return "x-xsd" in self.schema or "x-xml-root" in self.schema

    @property
    def is_json(self) -> bool:
        return self.name == "application/json" or self.name.endswith("+json")

    def requirement_for(self, pointer: str) -> str | None:
        """The requirement a body error at ``pointer`` fails: the longest matching prefix."""
        best, length = self.requirement, -1
        for prefix, requirement in self.requirement_paths.items():
            if (pointer == prefix or pointer.startswith(prefix.rstrip("/") + "/")) and len(
                prefix
            ) > length:
                best, length = requirement, len(prefix)
        return best


@dataclass(frozen=True)
class ResponseDoc:
    """One documented status (``"200"``, ``"2XX"`` or ``"default"``) of an operation."""

    status: str
    requirement: str | None
    content: Mapping[str, MediaType]
    empty_body: bool = False
    body_optional: bool = False  # x-body-optional: the body may be empty or as ``content`` says


@dataclass(frozen=True)
class Operation:
    """One operation of one API's spec."""

    api: str
    method: str  # upper case
    path: str  # the spec's path template
    doc_path: str  # as the vendor page (and the catalogue) spells it
    operation_id: str
    requirement: str | None
    responses: Mapping[str, ResponseDoc]
    parameters: tuple[Mapping[str, Any], ...]
    request_body: Mapping[str, Any] | None
    request_media: Mapping[str, MediaType]
    pattern: re.Pattern[str]
    secured: bool

    @property
    def name(self) -> str:
        """The operation as the catalogue spells it, e.g. ``GET /api/action/{action id}``."""
        return f"{self.method} {self.doc_path}"

    @property
    def documented(self) -> list[str]:
        return list(self.responses)

    def response_for(self, status: int) -> ResponseDoc | None:
        """The documented response for ``status``: exact, then ``2XX``-style, then default."""
        for key in (str(status), f"{status // 100}XX", "default"):
            for candidate, response in self.responses.items():
                if candidate.upper() == key.upper():
                    return response
        return None

    def path_values(self, path: str) -> dict[str, str] | None:
        match = self.pattern.fullmatch(path)
        return None if match is None else match.groupdict()


@dataclass(frozen=True)
class Spec:
    api: str
    file: Path
    uri: str
    base_path: str
    operations: tuple[Operation, ...]


# -- loading ----------------------------------------------------------------------------------


def spec_file(api: str) -> Path:
    """The spec of ``api``, as its profile names it."""
    return registry.profile(api).spec_file


def _pointer(parts: list[str]) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


class _Resolver:
    """Follows local ``#/...`` references of one spec, keeping track of where things are."""

    def __init__(self, document: Mapping[str, Any], uri: str) -> None:
        self.document = document
        self.uri = uri

    def lookup(self, ref: str) -> tuple[Any, list[str]]:
        if not ref.startswith("#/"):
            raise LookupError(f"only local references are followed here, not {ref!r}")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
        node: Any = self.document
        for part in parts:
            node = node[part]
        return node, parts

    def deref(self, node: Any, where: list[str]) -> tuple[Any, list[str]]:
        seen = 0
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/"):
                break
            node, where = self.lookup(ref)
            seen += 1
            if seen > 32:
                raise LookupError(f"reference loop at {ref}")
        return node, where

    def uri_of(self, where: list[str]) -> str:
        return f"{self.uri}#/{_pointer(where)}"


def _named(value: Any, operation_id: str, where: str) -> str | None:
    """An ``x-requirement`` value: one ID, or a mapping by operationId (``None`` if absent)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        named = value.get(operation_id, value.get("*"))
        return None if named is None else str(named)
    raise ValueError(f"{where}: x-requirement must be an ID or a mapping, not {value!r}")


def _media(
    resolver: _Resolver, name: str, node: Any, where: list[str], default: str | None, op_id: str
) -> MediaType:
    node, where = resolver.deref(node, where)
    schema_node = node.get("schema") if isinstance(node, Mapping) else None
    schema: Mapping[str, Any] = {}
    schema_uri = None
    if schema_node is not None:
        schema_uri = resolver.uri_of([*where, "schema"])
        resolved, _ = resolver.deref(schema_node, [*where, "schema"])
        schema = resolved if isinstance(resolved, Mapping) else {}
    requirement = _named(node.get("x-requirement"), op_id, "/".join(where)) or default
    paths = node.get("x-requirement-paths") or {}
    return MediaType(name, schema, schema_uri, requirement, dict(paths))


def _responses(resolver: _Resolver, node: Any, where: list[str], op_id: str) -> dict[str, Any]:
    responses: dict[str, ResponseDoc] = {}
    for status, raw in (node or {}).items():
        response, at = resolver.deref(raw, [*where, str(status)])
        requirement = _named(response.get("x-requirement"), op_id, "/".join(at))
        content = {
            media_name: _media(
                resolver, media_name, media, [*at, "content", media_name], requirement, op_id
            )
            for media_name, media in (response.get("content") or {}).items()
        }
        responses[str(status)] = ResponseDoc(
            str(status),
            requirement,
            content,
            bool(response.get("x-empty-body")),
            bool(response.get("x-body-optional")),
        )
    return responses


def _pattern(path: str) -> re.Pattern[str]:
    regex = ""
    position = 0
    for match in _PLACEHOLDER.finditer(path):
        regex += re.escape(path[position : match.start()])
        name = re.sub(r"\W", "_", match.group(1))
        regex += f"(?P<{name}>[^/]+)"
        position = match.end()
    return re.compile(regex + re.escape(path[position:]))


@cache
def load(api: str, version: str | None = None) -> Spec:
    """The spec of ``api``, parsed once, holding what vendor ``version`` documents (every
    documented version's responses when None; ``conformance.versions``)."""
    file = spec_file(api).resolve()
    document = pruned_document(file, version)
    resolver = _Resolver(document, file.as_uri())
    servers = document.get("servers") or [{"url": "/"}]
    base_path = urlsplit(_server_url(servers[0])).path.rstrip("/")
    secured_default = bool(document.get("security"))
    operations = []
    for path, item in (document.get("paths") or {}).items():
        doc_path = item.get("x-doc-path", path)
        shared = list(item.get("parameters") or [])
        for method in METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            op_id = str(raw.get("operationId") or f"{method} {path}")
            where = ["paths", path, method]
            parameters = tuple(
                resolver.deref(param, where)[0]
                for param in [*shared, *(raw.get("parameters") or [])]
            )
            body, body_at = (None, where)
            if raw.get("requestBody") is not None:
                body, body_at = resolver.deref(raw["requestBody"], [*where, "requestBody"])
            request_media = {
                name: _media(resolver, name, media, [*body_at, "content", name], None, op_id)
                for name, media in ((body or {}).get("content") or {}).items()
            }
            security = raw.get("security")
            operations.append(
                Operation(
                    api=api,
                    method=method.upper(),
                    path=path,
                    doc_path=doc_path,
                    operation_id=op_id,
                    requirement=_named(raw.get("x-requirement"), op_id, "/".join(where)),
                    responses=_responses(
                        resolver, raw.get("responses"), [*where, "responses"], op_id
                    ),
                    parameters=parameters,
                    request_body=body,
                    request_media=request_media,
                    pattern=_pattern(path),
                    secured=bool(security) if security is not None else secured_default,
                )
            )
    return Spec(api, file, file.as_uri(), base_path, tuple(operations))


def _server_url(server: Mapping[str, Any]) -> str:
    url = str(server.get("url", "/"))
    for name, variable in (server.get("variables") or {}).items():
        url = url.replace("{" + name + "}", str(variable.get("default", "")))
    return url


# -- finding an exchange's operation --------------------------------------------------------


def operation_for(
    api: str, method: str, url: str, base_url: str = "", version: str | None = None
) -> Operation | None:
    """The operation a request to ``url`` is for, or ``None`` if the spec does not have it.

    The client's ``base_url`` path is taken off first; a base URL that is only the host (no
    base path) is also tried with the spec's server base path taken off.
    """
    spec = load(api, version)
    path = urlsplit(url).path or "/"
    base = urlsplit(base_url).path.rstrip("/")
    candidates = []
    if base and path.startswith(base):
        candidates.append(path[len(base) :] or "/")
    else:
        candidates.append(path)
    if spec.base_path and candidates[0].startswith(spec.base_path + "/"):
        candidates.append(candidates[0][len(spec.base_path) :])
    method = method.upper()
    for candidate in candidates:
        for operation in spec.operations:
            if operation.method == method and operation.path_values(candidate) is not None:
                return operation
    return None


def operations(api: str, version: str | None = None) -> tuple[Operation, ...]:
    return load(api, version).operations
