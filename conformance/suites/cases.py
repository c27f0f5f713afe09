"""Documented exchanges as data: ``conformance/suites/<api>/cases.toml``.

A case is a request (method, path with ``{placeholders}``, optional body, which credentials)
and what the docs promise about the answer, always including the status. Each file is checked
against ``cases.schema.json`` when it is loaded: unknown keys and a case without an expected
status are errors, so neither a typo nor a forgotten promise can pass on any answer.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from conformance.catalogue import load_all
from conformance.paths import SUITES_DIR

CASE_KEYS = {
    "requirement",
    "description",
    "method",
    "path",
    "query",
    "auth",
    "body",
    "body_file",
    "headers",
    "mutating",
    "expect_refusal",
    "expect",
}
EXPECT_KEYS = {
    "status",
    "content_type",
    "empty_body",
    "xml_schema",
    "xml_root",
    "json_schema",
    "body",
}
AUTH_MODES = ("default", "none", "wrong", "restricted")
SCHEMA_FILE = SUITES_DIR / "cases.schema.json"


class CaseError(ValueError):
    """A case file breaks the case rules."""


@dataclass(frozen=True)
class Case:
    api: str
    requirement: str
    description: str
    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    auth: str = "default"
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    mutating: bool | None = None
    expect_refusal: bool | None = None
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.requirement}[{self.description}]"


def _parse(api_dir: Path, index: int, record: dict[str, Any]) -> Case:
    where = f"{api_dir.name}/cases.toml case #{index}"
    unknown = set(record) - CASE_KEYS
    if unknown:
        raise CaseError(f"{where}: unknown key(s) {sorted(unknown)}")
    unknown = set(record.get("expect", {})) - EXPECT_KEYS
    if unknown:
        raise CaseError(f"{where}: unknown expect key(s) {sorted(unknown)}")
    requirement = load_all().get(record.get("requirement", ""))
    if requirement is None:
        raise CaseError(f"{where}: unknown requirement {record.get('requirement')!r}")
    description = str(record.get("description", ""))
    if not description or len(description) > 80 or re.search(r"\bshould\b", description, re.I):
        raise CaseError(f"{where}: description must be 1-80 chars, declarative, no 'should'")
    auth = record.get("auth", "default")
    if auth not in AUTH_MODES:
        raise CaseError(f"{where}: auth {auth!r} not in {AUTH_MODES}")
    body: bytes | None = None
    if "body_file" in record:
        body = (api_dir / record["body_file"]).read_bytes()
    elif "body" in record:
        body = str(record["body"]).encode("utf-8")
    expect = dict(record.get("expect", {}))
    for key in ("status", "content_type"):
        if key in expect and not isinstance(expect[key], list):
            expect[key] = [expect[key]]
    return Case(
        api=requirement.api,
        requirement=requirement.id,
        description=description,
        method=str(record["method"]).upper(),
        path=str(record["path"]),
        query={key: str(value) for key, value in record.get("query", {}).items()},
        auth=auth,
        body=body,
        headers={key: str(value) for key, value in record.get("headers", {}).items()},
        mutating=record.get("mutating"),
        expect_refusal=record.get("expect_refusal"),
        expect=expect,
    )


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def check_case_file(document: dict[str, Any], name: str) -> None:
    """Raise ``CaseError`` naming the first case of ``document`` that breaks the case schema."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is None:
        return
    where = name
    if len(error.absolute_path) >= 2 and error.absolute_path[0] == "case":
        where = f"{name} case #{int(error.absolute_path[1]) + 1}"
    raise CaseError(f"{where}: {error.message}")


@cache
def load_cases(folders: tuple[str, ...] | None = None) -> tuple[Case, ...]:
    """Every case of every API folder (of ``folders`` when given, e.g. ``redis_enterprise``),
    checked; duplicate IDs are an error."""
    cases: list[Case] = []
    for file in sorted(SUITES_DIR.glob("*/cases.toml")):
        if folders is not None and file.parent.name not in folders:
            continue
        with file.open("rb") as handle:
            document = tomllib.load(handle)
        check_case_file(document, f"{file.parent.name}/cases.toml")
        records = document.get("case", [])
        cases.extend(_parse(file.parent, index, record) for index, record in enumerate(records, 1))
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise CaseError(f"duplicate case {case.id}")
        seen.add(case.id)
    return tuple(cases)
