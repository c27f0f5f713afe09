"""The CI examples in examples/ are valid YAML and every conformance command in them parses."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from conformance.cli import _parser

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
README = Path(__file__).resolve().parents[1] / "README.md"


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text("utf-8"))
    return document


def _commands(script: str) -> list[list[str]]:
    """The ``conformance ...`` command lines of a shell script, GitHub expressions filled in."""
    script = re.sub(r"\$\{\{[^}]*\}\}", "VALUE", script).replace("\\\n", " ")
    commands = []
    for line in script.splitlines():
        words = shlex.split(line.strip(), comments=True) if line.strip() else []
        if words[:1] == ["conformance"]:
            commands.append(words[1:])
    return commands


def _github_steps() -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _load("github-actions.yml")["jobs"]["conformance"]["steps"]
    return steps


def test_github_workflow_runs_keeps_reports_and_diffs() -> None:
    steps = _github_steps()
    commands = [command for step in steps for command in _commands(step.get("run", ""))]
    assert [command[0] for command in commands] == ["run", "diff"]
    for command in commands:
        _parser().parse_args(command)  # a flag the CLI does not know raises UsageError
    run_step = next(step for step in steps if "conformance run" in step.get("run", ""))
    assert run_step["env"]["BIGFIX_PASSWORD"] == "${{ secrets.BIGFIX_PASSWORD }}"
    uses = {step.get("uses", "").split("@")[0]: step for step in steps}
    assert uses["actions/upload-artifact"]["with"]["path"] == "report/"
    assert uses["actions/upload-artifact"]["if"] == "always()"
    assert uses["mikepenz/action-junit-report"]["with"]["report_paths"] == "report/junit.xml"
    diff_step = next(step for step in steps if "conformance diff" in step.get("run", ""))
    assert "previous" in diff_step["if"]


def test_gitlab_job_runs_and_reports_junit_always() -> None:
    job = _load("gitlab-ci.yml")["conformance"]
    commands = [command for line in job["script"] for command in _commands(line)]
    assert [command[0] for command in commands] == ["run", "diff"]
    for command in commands:
        _parser().parse_args(command)
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "report/junit.xml"


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_readme_links_the_example(name: str) -> None:
    assert f"(examples/{name})" in README.read_text("utf-8")
