"""Which requirements a run assesses: ``--include``/``--exclude`` ID globs, ``--level``,
``--operation``.

A requirement that is not selected is reported as ``skipped`` with the reason ``not selected``
(never ``untested``), and a test that serves no selected requirement is not run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from conformance.catalogue import LEVELS, Requirement
from conformance.errors import UsageError

NOT_SELECTED = "not selected"


@dataclass(frozen=True)
class Selection:
    """A filter on requirements; the default selects everything.

    ``include``: ID globs, at least one must match (none given: every ID matches).
    ``exclude``: ID globs, none may match. ``level``: this level and the stricter ones
    (``SHOULD`` selects MUST and SHOULD). ``operation``: a case-insensitive substring of the
    requirement's operation (``GET /api/action/{action id}``, or ``*``).
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    level: str | None = None
    operation: str | None = None

    def __post_init__(self) -> None:
        if self.level is not None and self.level not in LEVELS:
            raise UsageError(f"--level {self.level!r}: choose from {', '.join(LEVELS)}")
        for pattern in (*self.include, *self.exclude):
            if not pattern.strip():
                raise UsageError("--include and --exclude take a non-empty requirement ID glob")
        if self.operation is not None and not self.operation.strip():
            raise UsageError("--operation takes a non-empty text")

    @classmethod
    def of(
        cls,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        level: str | None = None,
        operation: str | None = None,
    ) -> Selection:
        """From option values as parsed (``None`` for an option not given)."""
        return cls(tuple(include or ()), tuple(exclude or ()), level or None, operation or None)

    @property
    def everything(self) -> bool:
        return self == Selection()

    def selects(self, requirement: Requirement) -> bool:
        rid = requirement.id
        if self.include and not any(_match(rid, pattern) for pattern in self.include):
            return False
        if any(_match(rid, pattern) for pattern in self.exclude):
            return False
        if self.level is not None and LEVELS.index(requirement.level) > LEVELS.index(self.level):
            return False
        return self.operation is None or self.operation.lower() in requirement.operation.lower()

    def check(self, requirements: Iterable[Requirement], apis: Iterable[str]) -> None:
        """A selection that leaves nothing to assess is a usage error (exit 2), not exit 3."""
        if not self.everything and not any(self.selects(r) for r in requirements):
            raise UsageError(
                f"the selection ({self.describe()}) matches no requirement of "
                f"{', '.join(apis)} (see `conformance requirements`)"
            )

    def describe(self) -> str:
        """The selection as the flags that make it, for messages and the report."""
        parts = [f"--include {pattern}" for pattern in self.include]
        parts += [f"--exclude {pattern}" for pattern in self.exclude]
        if self.level:
            parts.append(f"--level {self.level}")
        if self.operation:
            parts.append(f"--operation {self.operation!r}")
        return " ".join(parts) or "everything"

    def as_dict(self) -> dict[str, Any]:
        return {
            "include": list(self.include),
            "exclude": list(self.exclude),
            "level": self.level,
            "operation": self.operation,
        }


def _match(requirement_id: str, pattern: str) -> bool:
    return fnmatchcase(requirement_id, pattern.strip().upper())


def not_selected_record(requirement: Requirement) -> dict[str, Any]:
    """The report record of a requirement the selection left out."""
    record: dict[str, Any] = requirement.as_dict()
    record.update(checks=0, evidence=[], status="skipped", reason=NOT_SELECTED)
    return record
