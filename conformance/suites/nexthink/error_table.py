"""The error-code table as data: ``error_codes.toml`` beside this file.

Each ``ErrorCode`` is one row of the page's table: the code, its HTTP status, the requirement,
and either the ``Variant`` requests that break its rule alone, or why none can.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from conformance.catalogue import load_all
from conformance.suites.nexthink.runs import JSON_TYPE, RunCall, synthetic_device_uids

ERROR_CODES_FILE = Path(__file__).with_name("error_codes.toml")
CODE_KEYS = {"code", "status", "requirement", "untested", "auth", "variant"}
AUTH_MODES = ("default", "restricted")  # restricted: the target's user without the permission
VARIANT_KEYS = {
    "description",
    "set",
    "remove",
    "content_type",
    "raw_body",
    "latin1",
    "insert_device",
    "devices_over_limit",
}


class ErrorTableError(ValueError):
    """error_codes.toml breaks its own rules."""


def _placeholders_in(value: Any) -> set[str]:
    if isinstance(value, str):
        return {
            match.group("braced") or match.group("named")
            for match in string.Template.pattern.finditer(value)
            if match.group("braced") or match.group("named")
        }
    if isinstance(value, Mapping):
        return set().union(*(_placeholders_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(_placeholders_in(item) for item in value))
    return set()


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return string.Template(value).substitute(values)
    if isinstance(value, Mapping):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    return value


@dataclass(frozen=True)
class Variant:
    """One way to break exactly one rule of a valid run request."""

    description: str
    fields: Mapping[str, Any] = field(default_factory=dict)  # the TOML key `set`
    remove: tuple[str, ...] = ()
    content_type: str | None = None
    raw_body: str | None = None
    latin1: bool = False
    insert_device: str | None = None
    devices_over_limit: int | None = None

    @property
    def placeholders(self) -> set[str]:
        return _placeholders_in([self.raw_body or "", dict(self.fields)])

    def apply(
        self,
        base: Mapping[str, Any],
        values: Mapping[str, str],
        *,
        device_limit: int,
        position: int = 0,
    ) -> RunCall:
        """The request: ``base`` (a valid run) with this variant's one change."""
        content_type = JSON_TYPE if self.content_type is None else self.content_type
        if self.raw_body is not None:
            body = _fill(self.raw_body, values).encode("utf-8")
            return RunCall(body, content_type, None, self.description)
        document = {key: value for key, value in base.items() if key not in self.remove}
        document.update(_fill(dict(self.fields), values))
        if self.insert_device is not None:
            devices = list(document["deviceUids"])
            devices.insert(position % (len(devices) + 1), self.insert_device)
            document["deviceUids"] = devices
        if self.devices_over_limit is not None:
            document["deviceUids"] = synthetic_device_uids(device_limit + self.devices_over_limit)
        return RunCall.of(
            document, content_type=content_type, latin1=self.latin1, description=self.description
        )


@dataclass(frozen=True)
class ErrorCode:
    """One row of the page's error table."""

    code: str
    status: int
    requirement: str
    untested: str | None = None
    variants: tuple[Variant, ...] = ()
    auth: str = "default"

    def usable(self, values: Mapping[str, str]) -> list[Variant]:
        """The variants whose placeholders ``values`` can fill."""
        return [variant for variant in self.variants if variant.placeholders <= set(values)]


def _variant(where: str, record: dict[str, Any], *, must_change: bool = True) -> Variant:
    unknown = set(record) - VARIANT_KEYS
    if unknown:
        raise ErrorTableError(f"{where}: unknown key(s) {sorted(unknown)}")
    if not record.get("description"):
        raise ErrorTableError(f"{where}: a variant needs a description")
    changes = VARIANT_KEYS - {"description", "latin1"}
    if must_change and not any(key in record for key in changes):
        raise ErrorTableError(f"{where}: a variant must change something")
    return Variant(
        description=str(record["description"]),
        fields=dict(record.get("set", {})),
        remove=tuple(record.get("remove", ())),
        content_type=record.get("content_type"),
        raw_body=record.get("raw_body"),
        latin1=bool(record.get("latin1", False)),
        insert_device=record.get("insert_device"),
        devices_over_limit=record.get("devices_over_limit"),
    )


def _code(index: int, record: dict[str, Any]) -> ErrorCode:
    where = f"error_codes.toml code #{index}"
    unknown = set(record) - CODE_KEYS
    if unknown:
        raise ErrorTableError(f"{where}: unknown key(s) {sorted(unknown)}")
    requirement = load_all().get(str(record.get("requirement")))
    if requirement is None or requirement.api != "nexthink":
        raise ErrorTableError(f"{where}: unknown requirement {record.get('requirement')!r}")
    auth = str(record.get("auth", "default"))
    if auth not in AUTH_MODES:
        raise ErrorTableError(f"{where}: auth {auth!r} not in {AUTH_MODES}")
    # With the restricted user, the page's valid request itself breaks the rule.
    variants = tuple(
        _variant(f"{where} variant #{number}", variant, must_change=auth == "default")
        for number, variant in enumerate(record.get("variant", []), 1)
    )
    untested = record.get("untested")
    if bool(untested) == bool(variants):
        raise ErrorTableError(f"{where}: give either variants or an untested reason")
    return ErrorCode(
        str(record["code"]), int(record["status"]), requirement.id, untested, variants, auth
    )


def parse_error_codes(document: Mapping[str, Any]) -> tuple[ErrorCode, ...]:
    """The rows of a parsed error_codes.toml, checked."""
    unknown = set(document) - {"code"}
    if unknown:
        raise ErrorTableError(f"error_codes.toml: unknown table(s) {sorted(unknown)}")
    rows = tuple(_code(index, record) for index, record in enumerate(document.get("code", []), 1))
    codes = [row.code for row in rows]
    if len(codes) != len(set(codes)):
        raise ErrorTableError("error_codes.toml lists a code twice")
    return rows


@cache
def load_error_codes() -> tuple[ErrorCode, ...]:
    """Every row of error_codes.toml, checked."""
    with ERROR_CODES_FILE.open("rb") as handle:
        return parse_error_codes(tomllib.load(handle))
