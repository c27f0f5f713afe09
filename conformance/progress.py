"""The live display of ``conformance run`` on a terminal: per API, requirements done of
total and the failures so far. Drawn with ``rich`` on the terminal the run started on; gone
when the run ends, leaving the final summary alone. Off the terminal nothing is drawn.
"""

from __future__ import annotations

from typing import IO, Any

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn


class ProgressDisplay:
    """A pytest plugin object drawing the run's hooks as one progress bar per API."""

    def __init__(self, stream: IO[str], *, color: bool = True) -> None:
        self.console = Console(
            file=stream, force_terminal=True, no_color=not color, highlight=False
        )
        self.progress = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("requirements"),
            TextColumn("{task.fields[failures]}"),
            console=self.console,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}
        self.statuses: dict[str, dict[str, str]] = {}  # per API: requirement id -> status
        self.started = False

    def pytest_actionconform_run_started(self, run: dict[str, Any]) -> None:
        for api, total in run["requirements"].items():
            self.statuses[api] = {}
            self.tasks[api] = self.progress.add_task(api, total=total, failures="")
        self.progress.start()
        self.started = True

    def pytest_actionconform_requirement_finished(self, record: dict[str, Any]) -> None:
        task = self.tasks.get(record["api"])
        if task is None or record.get("reason") == "not selected":
            return
        statuses = self.statuses[record["api"]]
        advance = 0 if record["id"] in statuses else 1  # a revised status is no new one
        statuses[record["id"]] = record["status"]
        count = sum(1 for status in statuses.values() if status == "failed")
        text = f"[red]{count} failure{'s' if count > 1 else ''}[/red]" if count else ""
        self.progress.update(task, advance=advance, failures=text)

    def pytest_actionconform_run_finished(
        self, report: dict[str, Any], report_dir: str | None
    ) -> None:
        self.close()

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.close()

    def close(self) -> None:
        if self.started:
            self.started = False
            self.progress.stop()
