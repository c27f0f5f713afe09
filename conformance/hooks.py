"""Hooks a run calls as it goes, for anything that follows it live (``--events``, the
terminal display, a user's own ``conftest.py`` plugin).

Each receives redacted data, as the report directory would hold it. They are called in the
controlling process only (never in xdist workers).
"""

from __future__ import annotations

from typing import Any

import pytest


def pytest_actionconform_run_started(config: pytest.Config, run: dict[str, Any]) -> None:
    """The run starts. ``run``: ``tool_version``, ``target``, ``apis``, ``selection``,
    ``requirements`` (selected requirements per API) and ``total``."""


def pytest_actionconform_requirement_finished(
    config: pytest.Config, record: dict[str, Any]
) -> None:
    """Every test serving one requirement has run (or the run ended): ``record`` is the
    requirement's report record (``id``, ``api``, ``level``, ``status``, ``evidence``, ...).
    Requirements the selection leaves out finish right after the start, as ``skipped``."""


def pytest_actionconform_run_finished(
    config: pytest.Config, report: dict[str, Any], report_dir: str | None
) -> None:
    """The run ended and its report is written (``report`` as in report.json)."""
