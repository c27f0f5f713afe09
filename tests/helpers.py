"""Helpers for the suite's own tests: run the CLI as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PASSWORD_ENV = "ACTIONCONFORM_TEST_PASSWORD"
TOKEN_ENV = "ACTIONCONFORM_TEST_TOKEN"
RESTRICTED_PASSWORD_ENV = "ACTIONCONFORM_TEST_RESTRICTED_PASSWORD"
RESTRICTED_TOKEN_ENV = "ACTIONCONFORM_TEST_RESTRICTED_TOKEN"
# The bundled servers' credentials, as a user's target file names its own (run_against).
BUNDLED_ENV = {
    PASSWORD_ENV: "conformance",
    TOKEN_ENV: "conformance-token",
    RESTRICTED_PASSWORD_ENV: "viewer",
    RESTRICTED_TOKEN_ENV: "conformance-restricted-token",
}


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str
    report_dir: Path | None

    @property
    def report(self) -> dict[str, Any]:
        assert self.report_dir is not None
        return json.loads((self.report_dir / "report.json").read_text(encoding="utf-8"))

    def requirement(self, requirement_id: str) -> dict[str, Any]:
        for record in self.report["requirements"]:
            if record["id"] == requirement_id:
                return record
        raise KeyError(requirement_id)

    def statuses(self) -> dict[str, str]:
        return {record["id"]: record["status"] for record in self.report["requirements"]}


def run_cli(
    *args: str,
    report_dir: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    cwd: Path | None = None,
) -> CliResult:
    """Run ``python -m conformance ARGS`` in a subprocess, as a user's script would."""
    command = [sys.executable, "-m", "conformance", *args]
    if report_dir is not None:
        command += ["--report-dir", str(report_dir)]
    environment = {**os.environ, **(env or {})}
    environment.pop("ACTIONCONFORM_DEBUG", None)
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=environment, cwd=cwd
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr, report_dir)


def write_target(
    path: Path, api: str, url: str, fixtures: dict[str, Any], *, restricted: bool = False
) -> Path:
    """A target file for one API at ``url`` with the bundled credentials and ``fixtures``;
    ``restricted`` adds the bundled restricted user and token (their variables: BUNDLED_ENV)."""
    lines = [
        "[target]",
        f"api = {json.dumps(api)}",
        f"base_url = {json.dumps(url)}",
        'username = "conformance"',
        f"password_env = {json.dumps(PASSWORD_ENV)}",
        f"token_env = {json.dumps(TOKEN_ENV)}",
    ]
    if restricted:
        lines += [
            'restricted_username = "viewer"',
            f"restricted_password_env = {json.dumps(RESTRICTED_PASSWORD_ENV)}",
            f"restricted_token_env = {json.dumps(RESTRICTED_TOKEN_ENV)}",
        ]
    lines += [
        "[fixtures]",
        *(f"{key} = {json.dumps(value)}" for key, value in fixtures.items()),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_in_process(
    *args: str, report_dir: Path | None = None, env: dict[str, str] | None = None
) -> CliResult:
    """``conformance ARGS`` through the command's own entry point (``conformance.cli.main``)
    in this interpreter: the same path from flag to verdict as ``run_cli``, without starting an
    interpreter per run. ``env`` is set for the run and restored after it."""
    import contextlib
    import io

    from conformance import cli

    argv = [*args, *(["--report-dir", str(report_dir)] if report_dir is not None else [])]
    changes = {**(env or {}), "ACTIONCONFORM_DEBUG": None}
    saved = {name: os.environ.get(name) for name in changes}
    out, err = io.StringIO(), io.StringIO()
    try:
        for name, value in changes.items():
            _set_env(name, value)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(argv)
    finally:
        for name, value in saved.items():
            _set_env(name, value)
    return CliResult(code, out.getvalue(), err.getvalue(), report_dir)


def _set_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def run_against(
    url: str,
    api: str,
    report_dir: Path,
    *extra: str,
    in_process: bool = False,
    fixtures: dict[str, Any] | None = None,
) -> CliResult:
    """Run the suite for one API against a reference server at ``url``, mutations allowed:
    ``conformance run`` in a subprocess, or with ``in_process`` through the same entry point in
    this interpreter (``run_in_process``).

    The target file names the reference server's seeded objects, as a user's would name theirs:
    ``fixtures``, else those of the API's default app.
    """
    from conformance.servers import app_class

    report_dir.parent.mkdir(parents=True, exist_ok=True)
    if fixtures is None:
        fixtures = app_class(api)().fixtures()
    config = write_target(
        report_dir.parent / f"target-{api}.toml", api, url, fixtures, restricted=True
    )
    runner = run_in_process if in_process else run_cli
    return runner(
        "run",
        "--config",
        str(config),
        "--allow-mutations",
        *extra,
        report_dir=report_dir,
        env=BUNDLED_ENV,
    )


def assert_no_traceback(result: CliResult) -> None:
    output = result.stderr + result.stdout
    assert "Traceback" not in output, output[-4000:]


def shared_dir() -> Path:
    """The ../shared folder beside the checkout (override with ACTIONCONFORM_SHARED)."""
    override = os.environ.get("ACTIONCONFORM_SHARED")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1].parent / "shared"
