"""JSON Schema checks whose schemas ``$ref`` their neighbours (``action.schema.json#/...``).

``conformance.checks.json_schema`` resolves them through the one registry of
``conformance.schemas``; every document is first pruned to what holds for the vendor version
judged by (``conformance.versions.prune``): without one, every version's branches count.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema.protocols import Validator

from conformance import checks
from conformance.http import Response
from conformance.paths import SCHEMAS_DIR
from conformance.versions import prune, values


def load(name: str) -> Any:
    """The schema document ``schemas/<name>``, as written (every version's branches)."""
    return json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))


def validator(name: str, version: str | None = None) -> Validator:
    """A validator for ``schemas/<name>`` whose relative ``$ref``s resolve beside it, judging by
    the rules of vendor ``version`` (every documented version's when None)."""
    return checks.json_schema(name, version)


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
