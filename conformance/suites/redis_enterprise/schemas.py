"""JSON Schema checks whose schemas ``$ref`` their neighbours (``action.schema.json#/...``).

``conformance.checks.json_schema`` builds a validator without a base URI, so a relative ``$ref``
to another file cannot resolve. Here each schema is loaded with its file URI as ``$id`` and a
registry that reads ``file:`` URIs under ``schemas/``. (Candidate for ``conformance/checks.py``.)
Every document is first pruned to what holds for the vendor version judged by
(``conformance.versions.prune``): without one, every version's branches count.
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
from conformance.versions import prune, values


def _retriever(version: str | None) -> Any:
    def retrieve(uri: str) -> Resource:
        parts = urlsplit(uri)
        path = Path(url2pathname(parts.path)).resolve()
        if parts.scheme != "file" or SCHEMAS_DIR.resolve() not in path.parents:
            raise NoSuchResource(uri)
        contents = prune(json.loads(path.read_text(encoding="utf-8")), version)
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    return retrieve


def load(name: str) -> Any:
    """The schema document ``schemas/<name>``, as written (every version's branches)."""
    return json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))


@cache
def validator(name: str, version: str | None = None) -> Draft202012Validator:
    """A validator for ``schemas/<name>`` whose relative ``$ref``s resolve beside it, judging by
    the rules of vendor ``version`` (every documented version's when None)."""
    path = (SCHEMAS_DIR / name).resolve()
    schema = {**prune(load(name), version), "$id": path.as_uri()}
    registry: Registry[Any] = Registry(retrieve=_retriever(version))  # type: ignore[call-arg]
    return Draft202012Validator(
        schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def action_statuses(version: str | None) -> list[str]:
    """The statuses a listed v1 action may have under ``version`` (every version's if None):
    the ``status`` branches of action.schema.json that hold for it."""
    schema = load("redis-enterprise/action.schema.json")
    status = prune(schema, version)["properties"]["status"]
    found: list[str] = []
    for branch in status["anyOf"]:
        if branch.get("$ref") == "#/$defs/status":
            branch = prune(schema, version)["$defs"]["status"]
        found += values(branch, None)
    return list(dict.fromkeys(found))


def expect_valid(
    document: Any, name: str, response: Response, what: str = "body", version: str | None = None
) -> None:
    """Raise ``CheckFailure`` with the first error if ``document`` does not match the schema."""
    errors = sorted(
        validator(name, version).iter_errors(document), key=lambda error: list(error.path)
    )
    if errors:
        first = errors[0]
        location = "/".join(str(part) for part in first.absolute_path) or "(root)"
        raise checks.fail(f"{what} does not match {name} at {location}: {first.message}", response)


def expect_json_valid(response: Response, name: str, version: str | None = None) -> Any:
    """Decode the body as JSON and validate it; returns the document."""
    checks.expect_utf8(response)
    try:
        document = response.json()
    except ValueError as exc:
        raise checks.fail(f"body is not JSON: {exc}", response) from None
    expect_valid(document, name, response, version=version)
    return document
