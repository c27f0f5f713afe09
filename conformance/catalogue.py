"""The requirement catalogue: one TOML file per API under ``conformance/catalogue/``.

Each ``[[requirement]]`` record names a stable slug ID, the operation as the vendor page spells it,
a level, a one-line title and the sentence it comes from. Adding a requirement means adding a
record; a sanity test refuses a record without a test, and a test naming an unknown record.
A requirement whose tests send POST, PUT, PATCH or DELETE declares ``mutations = N``: how many of
them a server may act on (``conformance/budget.py``; the client keeps back the rest).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from typing import Any

from conformance import registry, versions

API_NAMES: tuple[str, ...] = registry.names()  # the registry's, kept for callers of this name
LEVELS = ("MUST", "SHOULD", "MAY")
ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
OPERATION_PATTERN = re.compile(r"^(\*|(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S.*)$")
_FIELDS = {
    "id",
    "operation",
    "level",
    "title",
    "page",
    "quote",
    "untested",
    "since",
    "until",
    "mutations",
}


@dataclass(frozen=True)
class Requirement:
    """One documented behaviour that a server either shows or does not."""

    id: str
    api: str
    operation: str
    level: str
    title: str
    page: str
    quote: str
    untested: str | None = None
    since: str | None = None  # first vendor version it holds for (conformance.versions)
    until: str | None = None  # first vendor version it no longer holds for
    # How many requests its tests may send that a server acts on (conformance/budget.py).
    mutations: int = 0

    @property
    def source(self) -> str:
        return f"{self.page}: '{self.quote}'"

    def as_dict(self) -> dict[str, str]:
        record = {
            "id": self.id,
            "api": self.api,
            "operation": self.operation,
            "level": self.level,
            "title": self.title,
            "source": self.source,
        }
        for key in ("since", "until"):
            value = getattr(self, key)
            if value is not None:
                record[key] = value
        return record


class CatalogueError(ValueError):
    """A catalogue file breaks the catalogue's own rules."""


def _parse_record(api: str, record: dict[str, object], where: str) -> Requirement:
    unknown = set(record) - _FIELDS
    if unknown:
        raise CatalogueError(f"{where}: unknown field(s) {sorted(unknown)}")
    missing = {"id", "operation", "level", "title", "page", "quote"} - set(record)
    if missing:
        raise CatalogueError(f"{where}: missing field(s) {sorted(missing)}")
    mutations = record.get("mutations", 0)
    if not isinstance(mutations, int) or isinstance(mutations, bool) or mutations < 0:
        raise CatalogueError(f"{where}: mutations must be a non-negative integer")
    values: dict[str, Any] = {
        key: str(value) for key, value in record.items() if key != "mutations"
    }
    values["mutations"] = mutations
    requirement = Requirement(api=api, **values)
    if not ID_PATTERN.match(requirement.id):
        raise CatalogueError(f"{where}: id {requirement.id!r} is not an upper-case slug")
    if requirement.level not in LEVELS:
        raise CatalogueError(f"{where}: level {requirement.level!r} not in {LEVELS}")
    for bound in (requirement.since, requirement.until):
        if bound is not None:
            try:
                versions.Version(bound)
            except ValueError as exc:
                raise CatalogueError(f"{where}: {exc}") from None
    if not OPERATION_PATTERN.match(requirement.operation):
        raise CatalogueError(f"{where}: operation {requirement.operation!r} is not 'METHOD /path'")
    if len(requirement.title) > 100 or "should" in requirement.title.lower().split():
        raise CatalogueError(f"{where}: title must be short and declarative (no 'should')")
    return requirement


@cache
def load_api(api: str) -> tuple[Requirement, ...]:
    """Requirements of one API, in catalogue order."""
    if api not in registry.profiles():
        return ()
    path = registry.profile(api).catalogue_file
    if not path.exists():
        return ()
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    records = data.get("requirement", [])
    return tuple(
        _parse_record(api, record, f"{path.name} requirement #{index + 1}")
        for index, record in enumerate(records)
    )


@cache
def load_all() -> dict[str, Requirement]:
    """Every requirement of every API, by ID; duplicate IDs are an error."""
    by_id: dict[str, Requirement] = {}
    for api in registry.names():
        for requirement in load_api(api):
            if requirement.id in by_id:
                raise CatalogueError(f"duplicate requirement id {requirement.id}")
            by_id[requirement.id] = requirement
    return by_id


def for_apis(apis: list[str] | tuple[str, ...]) -> list[Requirement]:
    """Requirements of the given APIs, in catalogue order."""
    return [requirement for api in apis for requirement in load_api(api)]
