"""JSON Schema checks whose schemas ``$ref`` their neighbours (``action.schema.json#/...``).

``conformance.checks.json_schema`` builds a validator without a base URI, so a relative ``$ref``
to another file cannot resolve. Here each schema is loaded with its file URI as ``$id`` and a
registry that reads ``file:`` URIs under ``schemas/``. (Candidate for ``conformance/checks.py``.)
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT202012

from conformance import checks
from conformance.http import Response
from conformance.paths import SCHEMAS_DIR


def _retrieve(uri: str) -> Resource:
    parts = urlsplit(uri)
    path = Path(url2pathname(parts.path)).resolve()
    if parts.scheme != "file" or SCHEMAS_DIR.resolve() not in path.parents:
        raise NoSuchResource(uri)
    contents = json.loads(path.read_text(encoding="utf-8"))
    return Resource.from_contents(contents, default_specification=DRAFT202012)


@cache
def validator(name: str) -> Draft202012Validator:
    """A validator for ``schemas/<name>`` whose relative ``$ref``s resolve beside it."""
    path = (SCHEMAS_DIR / name).resolve()
    schema = {**json.loads(path.read_text(encoding="utf-8")), "$id": path.as_uri()}
    registry: Registry[Any] = Registry(retrieve=_retrieve)  # type: ignore[call-arg]
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def expect_valid(document: Any, name: str, response: Response, what: str = "body") -> None:
    """Raise ``CheckFailure`` with the first error if ``document`` does not match the schema."""
    errors = sorted(validator(name).iter_errors(document), key=lambda error: list(error.path))
    if errors:
        first = errors[0]
        location = "/".join(str(part) for part in first.absolute_path) or "(root)"
        raise checks.fail(f"{what} does not match {name} at {location}: {first.message}", response)


def expect_json_valid(response: Response, name: str) -> Any:
    """Decode the body as JSON and validate it; returns the document."""
    checks.expect_utf8(response)
    try:
        document = response.json()
    except ValueError as exc:
        raise checks.fail(f"body is not JSON: {exc}", response) from None
    expect_valid(document, name, response)
    return document
