"""User mistakes end in one clear line and a documented exit code, never a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import PASSWORD_ENV, CliResult, assert_no_traceback, run_cli


def _one_line_error(result: CliResult, code: int) -> str:
    assert result.code == code, result.stdout + result.stderr
    assert_no_traceback(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unreachable_base_url_exits_3() -> None:
    result = run_cli("run", "--api", "bigfix", "--base-url", "http://127.0.0.1:9", "--timeout", "5")
    assert "cannot reach http://127.0.0.1:9" in _one_line_error(result, 3)


def test_unknown_flag_exits_2() -> None:
    assert "--bogus" in _one_line_error(run_cli("run", "--bogus"), 2)


def test_unknown_api_exits_2() -> None:
    assert "invalid choice" in _one_line_error(run_cli("run", "--api", "nope"), 2)


@pytest.mark.parametrize(
    "url", ["ftp://example.invalid", "not a url", "http://"], ids=["scheme", "text", "no-host"]
)
def test_bad_base_url_exits_2(url: str) -> None:
    assert "--base-url" in _one_line_error(run_cli("run", "--base-url", url), 2)


def test_missing_password_variable_exits_2() -> None:
    result = run_cli(
        "run", "--base-url", "http://127.0.0.1:9", "--user", "u", "--password-env", "NO_SUCH_VAR"
    )
    assert "NO_SUCH_VAR" in _one_line_error(result, 2)


def test_unreadable_config_exits_2(tmp_path: Path) -> None:
    result = run_cli("run", "--config", str(tmp_path / "missing.toml"))
    assert "cannot read target file" in _one_line_error(result, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[target\nbase_url = 1", "not valid TOML"),
        ('[target]\nbase_ur = "http://x"\n', "unknown key"),
        ('[target]\napi = "bigfix"\n[fixtures]\nremote_action_uid = "x"\n', "unknown [fixtures]"),
        ('[target]\napi = "nope"\n', "unknown API"),
        ('[target]\ntimeout = "soon"\n', "timeout must be a positive number of seconds"),
    ],
    ids=["syntax", "typo", "wrong-fixture", "api", "timeout"],
)
def test_invalid_config_exits_2(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "target.toml"
    config.write_text(text, encoding="utf-8")
    assert message in _one_line_error(run_cli("run", "--config", str(config)), 2)


def test_invalid_expectations_exit_2(tmp_path: Path) -> None:
    expectations = tmp_path / "expected.toml"
    expectations.write_text('[[expected]]\nrequirement = "NO-SUCH-ID"\nreason = "x"\n')
    result = run_cli("run", "--api", "bigfix", "--expectations", str(expectations))
    assert "unknown requirement" in _one_line_error(result, 2)


def test_rejected_credentials_exit_3(serve: Callable[..., str]) -> None:
    url = serve("bigfix")
    result = run_cli(
        "run",
        "--api",
        "bigfix",
        "--base-url",
        url,
        "--user",
        "conformance",
        "--password-env",
        PASSWORD_ENV,
        env={PASSWORD_ENV: "not-the-password"},
    )
    line = _one_line_error(result, 3)
    assert "credentials were rejected" in line
    assert "not-the-password" not in result.stdout + result.stderr


def test_unknown_fault_exits_2() -> None:
    assert "unknown fault" in _one_line_error(run_cli("mock", "bigfix", "--fault", "nope"), 2)


def test_requirements_json_lists_sources() -> None:
    import json

    result = run_cli("requirements", "--api", "bigfix", "--format", "json")
    assert result.code == 0
    records = json.loads(result.stdout)
    assert records and all(record["source"] and record["api"] == "bigfix" for record in records)
