"""``--events FILE``: one JSON object per line, written and flushed as the run goes.

Events: ``run-started`` (what will be assessed), ``requirement-finished`` (one per requirement
of the catalogue for the selected APIs, with its status; once more with ``revised: true`` if
the status changed after, because other tests' exchanges judged against the spec failed it),
``run-finished`` (the verdict and
counts, whether the run is complete, where the report is). Every line carries ``event`` and
``time`` (UTC, ISO 8601). A tool can follow the file as it grows (``tail -f``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pytest

from conformance.errors import UsageError

FORMAT = "actionconform-events/1"
RECORD_FIELDS = (
    "id",
    "api",
    "operation",
    "level",
    "title",
    "status",
    "reason",
    "checks",
    "revised",
)


def open_events(path: str | Path) -> IO[str]:
    """Open (truncate) the events file now, so a bad path is a usage error before the run."""
    file = Path(path)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        return file.open("w", encoding="utf-8", buffering=1)
    except OSError as exc:
        raise UsageError(f"cannot write events file {file}: {exc.strerror}") from None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class EventWriter:
    """A pytest plugin object: writes the run's hooks as JSON lines."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def emit(self, event: str, **data: Any) -> None:
        line = json.dumps({"event": event, "time": _now(), **data}, ensure_ascii=False)
        self.stream.write(line + "\n")
        self.stream.flush()

    def pytest_actionconform_run_started(self, run: dict[str, Any]) -> None:
        self.emit("run-started", format=FORMAT, **run)

    def pytest_actionconform_requirement_finished(self, record: dict[str, Any]) -> None:
        data = {key: record[key] for key in RECORD_FIELDS if key in record}
        if record.get("evidence"):
            data["message"] = record["evidence"][0].get("message", "")
        self.emit("requirement-finished", **data)

    def pytest_actionconform_run_finished(
        self, report: dict[str, Any], report_dir: str | None
    ) -> None:
        self.emit(
            "run-finished",
            complete=report.get("complete"),
            stop_reason=report.get("stop_reason"),
            summary=report.get("summary"),
            report_dir=report_dir,
        )

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.stream.close()


def write_ended_run(path: str | Path, report: dict[str, Any], report_dir: str) -> None:
    """The events of a run that ended before its tests (exit 3): started, every requirement
    as the report has it, finished."""
    per_api: dict[str, int] = {api: 0 for api in report.get("apis", [])}
    for record in report["requirements"]:
        if record.get("reason") != "not selected":
            per_api[record["api"]] = per_api.get(record["api"], 0) + 1
    writer = EventWriter(open_events(path))
    try:
        run = {
            "tool_version": report.get("tool_version"),
            "target": report.get("target", {}).get("base_url"),
            "apis": report.get("apis", []),
            "selection": report.get("selection"),
            "requirements": per_api,
            "total": sum(per_api.values()),
        }
        writer.pytest_actionconform_run_started(run)
        for record in report["requirements"]:
            writer.pytest_actionconform_requirement_finished(record)
        writer.pytest_actionconform_run_finished(report, report_dir)
    finally:
        writer.stream.close()
