"""Known deviations of one target (CONTRACT.md's expectations file)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance import config_keys
from conformance.catalogue import load_all
from conformance.errors import UsageError

EXPECTED_STATUSES = config_keys.EXPECTED_STATUSES


@dataclass(frozen=True)
class Expectation:
    requirement: str
    status: str
    reason: str
    tracking: str | None = None


def load_expectations(path: str | Path | None) -> dict[str, Expectation]:
    """Expectations by requirement ID; every mistake (wrong type included) is a usage error."""
    if not path:
        return {}
    file = Path(path)
    try:
        with file.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"cannot read expectations file {file}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"expectations file {file} is not valid TOML: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise UsageError(
            f"cannot read expectations file {file}: {exc.__class__.__name__}"
        ) from None
    unknown = sorted(set(data) - {"expected"})
    if unknown:
        raise UsageError(f"expectations file {file}: unknown key(s) {unknown}")
    records = data.get("expected", [])
    if not isinstance(records, list) or not all(isinstance(item, dict) for item in records):
        got = config_keys.describe(records)
        raise UsageError(
            f"expectations file {file}: expected must be [[expected]] tables, got {got}"
        )
    known = load_all()
    result: dict[str, Expectation] = {}
    for index, record in enumerate(records, start=1):
        where = f"expectations file {file}, entry {index}: "
        config_keys.check_table(record, config_keys.EXPECTED, where)
        requirement = record.get("requirement")
        if requirement not in known:
            raise UsageError(f"{where}unknown requirement {requirement!r}")
        if not record.get("reason"):
            raise UsageError(f"{where}a reason is required")
        status = record.get("status", "failed")
        result[requirement] = Expectation(
            requirement, status, record["reason"], record.get("tracking")
        )
    return result
