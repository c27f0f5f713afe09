"""Known deviations of one target (CONTRACT.md's expectations file)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance.catalogue import load_all
from conformance.errors import UsageError

EXPECTED_STATUSES = ("failed", "flaky", "skipped")


@dataclass(frozen=True)
class Expectation:
    requirement: str
    status: str
    reason: str
    tracking: str | None = None


def load_expectations(path: str | Path | None) -> dict[str, Expectation]:
    """Expectations by requirement ID; every mistake is a usage error."""
    if not path:
        return {}
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read expectations file {file}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"expectations file {file} is not valid TOML: {exc}") from None
    known = load_all()
    result: dict[str, Expectation] = {}
    for index, record in enumerate(data.get("expected", []), start=1):
        where = f"expectations file {file}, entry {index}"
        requirement = record.get("requirement")
        status = record.get("status", "failed")
        if requirement not in known:
            raise UsageError(f"{where}: unknown requirement {requirement!r}")
        if status not in EXPECTED_STATUSES:
            raise UsageError(f"{where}: status {status!r} not in {EXPECTED_STATUSES}")
        if not record.get("reason"):
            raise UsageError(f"{where}: a reason is required")
        result[requirement] = Expectation(
            requirement, status, str(record["reason"]), record.get("tracking")
        )
    return result
