"""Schemathesis hooks for this project's specs.

Loaded by ``schemathesis.toml`` (``hooks = "conformance.st_hooks"``) and by the suite's own
schemathesis tests (``conformance.spec_properties``), so ``st run`` judges as the suite does:

- an XML deserializer: an XML body is judged against the XSD, root and children its media type
  names (``x-xsd``, ``x-xml-root``, ``x-xml-children``; ``x-xsd-filtered`` under ``?fields=``)
  with the contract layer's ``schemas.xml_problems``; a problem is schemathesis's
  ``response_schema_conformance`` failure "Failed to deserialize response content";
- request-body strategies: each API folder may hold ``st_data.py`` with ``MEDIA_TYPES`` for
  media types schemathesis cannot generate from a schema (BigFix's XSD-checked XML); they are
  registered here, found by path (its ``CONTEXT_KEYS`` serve ``conformance.spec_properties``).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import Any

import schemathesis
from schemathesis.core.deserialization import DeserializationContext
from schemathesis.core.transport import Response as StResponse

from conformance import registry, schemas, spec

XML_MEDIA_TYPES = ("application/xml", "text/xml", "application/*+xml")


def api_data(api: str) -> Any:
    """The API folder's ``st_data`` module, or None."""
    name = f"{registry.profile(api).package}.st_data"
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


def register_media_types() -> list[str]:
    """Register every API folder's ``st_data.MEDIA_TYPES``; the media types registered."""
    registered: list[str] = []
    for api in registry.profiles():
        module = api_data(api)
        for media_type, strategy in getattr(module, "MEDIA_TYPES", {}).items():
            schemathesis.openapi.media_type(media_type, strategy)
            registered.append(media_type)
    return registered


@cache
def _operations() -> dict[str, spec.Operation]:
    """Every spec operation by operationId (unique across the project's specs)."""
    return {
        operation.operation_id: operation
        for name in registry.profiles()
        for operation in spec.operations(name)
    }


def xml_schema_for(operation_id: str, status: int, content_type: str) -> dict[str, Any] | None:
    """The OpenAPI schema object (with ``x-xsd``) documented for this XML answer, if any."""
    operation = _operations().get(operation_id)
    documented = operation.response_for(status) if operation is not None else None
    if documented is None:
        return None
    for name, media in documented.content.items():
        if media.is_xml and (name == content_type or content_type.endswith("xml")):
            return dict(media.schema)
    return None


@schemathesis.deserializer(*XML_MEDIA_TYPES)
def deserialize_xml(ctx: DeserializationContext, response: StResponse) -> str:
    """The XML body as text, once it holds to the XSD its media type names."""
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    operation_id = str(ctx.operation.definition.raw.get("operationId"))
    schema = xml_schema_for(operation_id, response.status_code, content_type.lower())
    if schema is not None:
        query = getattr(ctx.case, "query", None) or {}
        problems = schemas.xml_problems(response.content, schema, filtered="fields" in query)
        if problems:
            raise ValueError("; ".join(problems))
    return response.content.decode("utf-8", "replace")


register_media_types()
